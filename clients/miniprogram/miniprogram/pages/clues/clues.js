// The site's clues as of the business date, newest first, a page at a time; filter by status,
// search; a tap opens App3's clue detail.
const { venue, errorText } = require('../../lib/api.js');
const { clockBehavior } = require('../../lib/clock.js');
const { tabPageBehavior } = require('../../lib/tabs.js');

const STATUSES = [
  { key: '', label: '全部状态' }, { key: 'open', label: '待跟进' }, { key: 'following', label: '跟进中' },
  { key: 'won', label: '已成交' }, { key: 'lost', label: '已流失' },
];
const STATUS_LABEL = Object.fromEntries(STATUSES.filter((s) => s.key).map((s) => [s.key, s.label]));
const PAGE = 20;

Component({
  behaviors: [clockBehavior, tabPageBehavior],
  data: {
    statusLabels: STATUSES.map((s) => s.label), statusIndex: 0, q: '',
    items: [], cursor: null, loading: false, error: '',
  },
  methods: {
    onLoad() { return this.load(); },
    onReachBottom() { return this.more(); },
    onPullDownRefresh() { return this.load().finally(() => wx.stopPullDownRefresh()); },
    pickStatus(e) { this.setData({ statusIndex: Number(e.detail.value) }); return this.load(); },
    onSearchInput(e) { this.setData({ q: e.detail.value }); },
    search() { return this.load(); },

    /** First page (reset = true) or the next one after `cursor`. */
    async load(reset = true) {
      if (this.data.loading) return;
      this.setData({ loading: true, error: '' });
      try {
        const page = await venue.clues({
          status: STATUSES[this.data.statusIndex].key, q: this.data.q.trim(),
          cursor: reset ? undefined : this.data.cursor, limit: PAGE,
        });
        const items = page.items.map((c) => ({ ...c, statusLabel: STATUS_LABEL[c.status] || c.status }));
        this.setData({ loading: false, items: reset ? items : [...this.data.items, ...items], cursor: page.next_cursor });
      } catch (err) {
        this.setData({ loading: false, error: errorText(err) });
      }
    },
    more() { return this.data.cursor ? this.load(false) : Promise.resolve(); },
    open(e) {
      const { id, customer, name } = e.currentTarget.dataset;
      wx.navigateTo({ url: `/pages/clue/clue?id=${encodeURIComponent(id)}&customer=${encodeURIComponent(customer)}&name=${encodeURIComponent(name)}` });
    },
  },
});
