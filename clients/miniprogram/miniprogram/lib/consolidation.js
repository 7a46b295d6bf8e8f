// App8's consolidation of one customer's clues, shared by the clue and the customer pages: the
// server loads every clue (with follow-ups) of data.customerId from the venue data.
const { api, errorText } = require('./api.js');
const { aiMeta } = require('./answers.js');

const consolidationBehavior = Behavior({
  data: { customerId: '', consolidating: false, consolidation: null, consolidationError: '', consolidationAi: null },
  methods: {
    async consolidate() {
      if (!this.data.customerId || this.data.consolidating) return;
      this.setData({ consolidating: true, consolidationError: '' });
      try {
        const answer = await api().apps.run('app8_clue_consolidation', { customer_id: this.data.customerId });
        const meta = aiMeta(answer);
        this.setData({ consolidating: false, consolidation: meta.noData ? null : answer.result, consolidationAi: meta });
      } catch (err) {
        this.setData({ consolidating: false, consolidationError: errorText(err) });
      }
    },
  },
});

module.exports = { consolidationBehavior };
