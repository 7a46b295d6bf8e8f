// The user's conversations, newest first; a tap opens one in the chat page with its history.
const { api, errorText } = require('../../lib/api.js');
const { clockBehavior, formatInstant } = require('../../lib/clock.js');
const { openConversation } = require('../../lib/ask.js');

const STEP = 20;

Component({
  behaviors: [clockBehavior],
  data: { items: [], loading: false, error: '', limit: STEP, more: false },
  methods: {
    onLoad() { return this.load(); },
    onPullDownRefresh() { return this.load().finally(() => wx.stopPullDownRefresh()); },
    async load() {
      this.setData({ loading: true, error: '' });
      try {
        const { conversations } = await api().conversations.list({ limit: this.data.limit });
        const items = conversations.map((c) => ({
          id: c.conversation_id, title: c.title || '（无标题）',
          updated: formatInstant(new Date(c.updated_at * 1000).toISOString()),
        }));
        this.setData({ loading: false, items, more: conversations.length >= this.data.limit });
      } catch (err) {
        this.setData({ loading: false, error: errorText(err) });
      }
    },
    loadMore() {
      this.setData({ limit: this.data.limit + STEP });
      return this.load();
    },
    /** Chat is a tab page: switchTab (navigateTo cannot open it), the conversation handed over. */
    open(e) { openConversation(e.currentTarget.dataset.id); },
  },
});
