// One customer: App7's insight (segment, churn risk, reasons, recommendations) and, on request,
// App8's consolidation of their clues. Both load their data on the server from the customer id.
const { api, errorText } = require('../../lib/api.js');
const { clockBehavior } = require('../../lib/clock.js');
const { consolidationBehavior } = require('../../lib/consolidation.js');

const RISK = { high: '高', medium: '中', low: '低' };

Component({
  behaviors: [clockBehavior, consolidationBehavior],
  data: { customerId: '', name: '', loading: false, error: '', insight: null },
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
  },
});
