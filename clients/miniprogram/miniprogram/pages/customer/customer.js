// One customer: App7's insight (segment, churn risk, reasons, recommendations) and, on request,
// App8's consolidation of their clues. Both load their data on the server from the customer id.
const { api, errorText } = require('../../lib/api.js');
const { clockBehavior } = require('../../lib/clock.js');

const RISK = { high: '高', medium: '中', low: '低' };

Component({
  behaviors: [clockBehavior],
  data: { customerId: '', name: '', loading: false, error: '', insight: null, consolidating: false, consolidation: null, consolidationError: '' },
  methods: {
    onLoad(query) {
      this.setData({ customerId: query.id || '', name: query.name || '' });
      return this.load();
    },
    async load({ refresh = false } = {}) {
      this.setData({ loading: true, error: '' });
      try {
        const answer = await api().apps.run('app7_customer_insight', { customer_id: this.data.customerId }, { refresh });
        this.setData({ loading: false, insight: { ...answer.result, riskLabel: RISK[answer.result.churn_risk] || answer.result.churn_risk } });
      } catch (err) {
        this.setData({ loading: false, error: errorText(err) });
      }
    },
    async consolidate() {
      if (this.data.consolidating) return;
      this.setData({ consolidating: true, consolidationError: '' });
      try {
        const answer = await api().apps.run('app8_clue_consolidation', { customer_id: this.data.customerId });
        this.setData({ consolidating: false, consolidation: answer.result });
      } catch (err) {
        this.setData({ consolidating: false, consolidationError: errorText(err) });
      }
    },
  },
});
