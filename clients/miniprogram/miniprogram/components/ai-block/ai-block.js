// One AI answer on a page: headed with what it is about, marked "AI 生成", the time of the data the
// insight was computed from when the server says so, and 👍/👎 when the answer offers feedback.
// The page puts the answer's titled sections in the slot.
const { api } = require('../../lib/api.js');

Component({
  options: { multipleSlots: false },
  properties: {
    heading: { type: String, value: '' }, // what the answer is: 线索画像, 关系分析 …
    subject: { type: String, value: '' }, // who it is about: the clue's or the customer's name
    asOf: { type: String, value: '' }, // insight_data_as_of, already in the venue's time
    handle: { type: Object, value: null }, // feedbackHandle(answer), or null: no buttons
  },
  data: { rating: '', ratingError: '' },
  methods: {
    async rate(e) {
      const rating = e.currentTarget.dataset.rating;
      const handle = this.data.handle;
      if (!handle || this.data.rating === rating) return;
      const before = this.data.rating;
      this.setData({ rating, ratingError: '' });
      try {
        if (handle.kind === 'app') await api().feedback.app(handle.requestId, rating);
        else await api().feedback.turn(handle.conversationId, handle.turnId, rating);
      } catch (err) {
        this.setData({ rating: before, ratingError: '反馈未能提交' });
      }
    },
  },
});
