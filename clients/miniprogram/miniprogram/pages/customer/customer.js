// One customer: App7's insight (segment, churn risk, reasons, recommendations), and on request App4's
// relationship and App8's consolidation of their clues. All load their data on the server from the
// customer id.
const { api, errorText } = require('../../lib/api.js');
const { clockBehavior } = require('../../lib/clock.js');
const { consolidationBehavior } = require('../../lib/consolidation.js');
const { IDLE, aiMeta, runInto, relationView, LEVEL } = require('../../lib/answers.js');
const { askAbout } = require('../../lib/ask.js');

Component({
  behaviors: [clockBehavior, consolidationBehavior],
  data: { customerId: '', name: '', loading: false, error: '', insight: null, insightAi: null, relation: IDLE },
  methods: {
    onLoad(query) {
      this.setData({ customerId: query.id || '', name: query.name || '' });
      return this.load();
    },
    async load({ refresh = false } = {}) {
      this.setData({ loading: true, error: '' });
      try {
        const answer = await api().apps.run('app7_customer_insight', { customer_id: this.data.customerId }, { refresh });
        const meta = aiMeta(answer);
        const insight = meta.noData ? null : { ...answer.result, riskLabel: LEVEL[answer.result.churn_risk] || answer.result.churn_risk };
        this.setData({ loading: false, insight, insightAi: meta });
      } catch (err) {
        this.setData({ loading: false, error: errorText(err) });
      }
    },
    relate() { return runInto(this, 'relation', 'app4_relationship', { customer_id: this.data.customerId }, relationView); },
    ask() { askAbout({ page: 'customer', customer_id: this.data.customerId }, `客户${this.data.name || ''}`); },
  },
});
