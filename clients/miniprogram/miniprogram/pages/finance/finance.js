// Board finance: App2's insight cards and the figures it computed from the venue data (never the
// model's numbers), App2a's one-line digest, for a range and an area picked from the server's list.
const { api, venue, errorText } = require('../../lib/api.js');
const { own } = require('../../lib/own.js');
const { clockBehavior, formatInstant, refresh: readClock } = require('../../lib/clock.js');
const { figureView, periodText } = require('../../lib/figures.js');
const session = require('../../lib/session.js');
const settings = require('../../lib/settings.js');
const { atLeast, roleOf } = require('../../lib/role.js');
const { tabPageBehavior } = require('../../lib/tabs.js');
const { askAbout } = require('../../lib/ask.js');
const { aiMeta } = require('../../lib/answers.js');

const NEEDED_ROLE = 'manager'; // the board's apps (catalogue roles) need manager or above

// The range keys are App2's input enum (types/bailian-apps.d.ts, checked by typecheck/); their
// dates come from the answer (meta.period), computed on the server's business day.
/** @type {{key: import('../../../../../types/bailian-apps').App2FinanceInput['range'], label: string}[]} */
const RANGES = [
  { key: 'today', label: '今天' }, { key: 'yesterday', label: '昨天' },
  { key: 'last_7_days', label: '近 7 天' }, { key: 'this_week', label: '本周' }, { key: 'last_week', label: '上周' },
  { key: 'this_month', label: '本月' }, { key: 'last_month', label: '上月' }, { key: 'last_30_days', label: '近 30 天' },
];
const ALL_AREAS = '全部区域';
const TONES = { positive: '向好', neutral: '平稳', negative: '需关注' };

Component({
  behaviors: [clockBehavior, tabPageBehavior],
  data: {
    ranges: RANGES, rangeLabels: RANGES.map((r) => r.label), rangeIndex: 2,
    areas: [ALL_AREAS], areaIndex: 0,
    loading: false, error: '', empty: false, denied: false, role: '',
    colors: `colors-${settings.raw().trendColors || 'red-up'}`, insightAsOf: '', handle: null,
    summary: '', insights: [], suggestions: [], digest: null,
    metrics: [], areaRows: [], chart: [], period: '', previousPeriod: '', updatedAt: '', stale: false,
  },
  methods: {
    async onLoad() {
      await session.ready(); // the launch login decides the role
      const role = roleOf(session.getToken());
      if (!atLeast(role, NEEDED_ROLE)) { this.setData({ denied: true, role }); return; }
      await Promise.all([this.loadAreas(), this.load()]);
    },

    ask() {
      const range = RANGES[this.data.rangeIndex];
      const area = this.data.areas[this.data.areaIndex];
      askAbout({ page: 'finance', range: range.key, area: this.data.areaIndex > 0 ? area : 'all' }, `经营看板（${range.label}·${area}）`);
    },
    onPullDownRefresh() {
      if (this.data.denied) { wx.stopPullDownRefresh(); return Promise.resolve(); }
      return this.load({ refresh: true }).finally(() => wx.stopPullDownRefresh());
    },

    async loadAreas() {
      try {
        const { areas } = await venue.areas();
        this.setData({ areas: [ALL_AREAS, ...areas] });
      } catch (err) {
        this.setData({ areas: [ALL_AREAS] }); // the board still works for the whole site
      }
    },

    pickRange(e) { this.setData({ rangeIndex: Number(e.detail.value) }); return this.load(); },
    pickArea(e) { this.setData({ areaIndex: Number(e.detail.value) }); return this.load(); },
    refresh() { return this.load({ refresh: true }); },

    async load({ refresh = false } = {}) {
      /** @type {import('../../../../../types/bailian-apps').App2FinanceInput} */
      const input = { range: RANGES[this.data.rangeIndex].key };
      if (this.data.areaIndex > 0) input.area = this.data.areas[this.data.areaIndex];
      own(this).seq = (own(this).seq || 0) + 1;
      const seq = own(this).seq;
      this.setData({ loading: true, error: '' });
      try {
        const [answer, digest, clock] = await Promise.all([
          api().apps.run('app2_finance', input, { refresh }),
          api().apps.run('app2a_finance_digest', input, { refresh }).catch(() => null),
          readClock().catch(() => null),
        ]);
        if (seq !== own(this).seq) return; // a newer pick is on its way
        const day = /** @type {any} */ (answer).meta?.business_date;
        if (!refresh && clock && day && day !== clock.businessDate) {
          // An answer cached for another business day (the sandbox clock moved): never show it as
          // today's; ask once more past the cache.
          return this.load({ refresh: true });
        }
        const figures = answer.figures;
        const meta = aiMeta(answer);
        // Nothing to read (issue: no data, no model): the empty state, never insight cards.
        const empty = meta.noData || (!!figures && figures.days_with_data === 0);
        this.setData({
          loading: false,
          empty,
          summary: empty ? '' : answer.result.summary || '',
          insights: empty ? [] : answer.result.insights || [],
          suggestions: empty ? [] : answer.result.suggestions || [],
          digest: digest && !empty ? { headline: digest.result.headline, tone: TONES[digest.result.tone] || '' } : null,
          insightAsOf: meta.asOf, handle: meta.handle,
          ...figureView(figures, settings.raw().locale),
          period: figures ? periodText(figures.period) : '',
          previousPeriod: figures ? periodText(figures.previous_period) : '',
          updatedAt: formatInstant(answer.generated_at),
          stale: !!answer.stale,
        });
      } catch (err) {
        if (seq !== own(this).seq) return;
        if (err.status === 403) { this.setData({ loading: false, denied: true, role: roleOf(session.getToken()) }); return; }
        this.setData({ loading: false, error: errorText(err) });
      }
    },
  },
});
