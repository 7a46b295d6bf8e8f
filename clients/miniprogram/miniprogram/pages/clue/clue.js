// One clue: App3's detail (loaded by the server from the venue data by id), and App8's
// consolidation of all of that customer's clues.
const { api, errorText } = require('../../lib/api.js');
const { clockBehavior } = require('../../lib/clock.js');
const { consolidationBehavior } = require('../../lib/consolidation.js');

const INTENT = { high: '高', medium: '中', low: '低' };

Component({
  behaviors: [clockBehavior, consolidationBehavior],
  data: { clueId: '', customerId: '', loading: false, error: '', detail: null },
  methods: {
    onLoad(query) {
      this.setData({ clueId: query.id || '', customerId: query.customer || '' });
      return this.load();
    },
    async load({ refresh = false } = {}) {
      this.setData({ loading: true, error: '' });
      try {
        const answer = await api().apps.run('app3_clue_detail', { clue_id: this.data.clueId }, { refresh });
        this.setData({ loading: false, detail: { ...answer.result, intentLabel: INTENT[answer.result.intent_level] || answer.result.intent_level } });
      } catch (err) {
        this.setData({ loading: false, error: errorText(err) });
      }
    },
  },
});
