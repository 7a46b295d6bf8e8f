// The site's customers, a page at a time; search by name or the phone number's last digits; a tap
// opens the customer's insight (App7) and clue consolidation (App8).
const { venue, errorText } = require('../../lib/api.js');
const { clockBehavior } = require('../../lib/clock.js');
const { tabPageBehavior } = require('../../lib/tabs.js');

const PAGE = 20;

Component({
  behaviors: [clockBehavior, tabPageBehavior],
  data: { q: '', items: [], cursor: null, loading: false, error: '' },
  methods: {
    onLoad() { return this.load(); },
    onReachBottom() { return this.more(); },
    onPullDownRefresh() { return this.load().finally(() => wx.stopPullDownRefresh()); },
    onSearchInput(e) { this.setData({ q: e.detail.value }); },
    search() { return this.load(); },
    async load(reset = true) {
      if (this.data.loading) return;
      this.setData({ loading: true, error: '' });
      try {
        const page = await venue.customers({ q: this.data.q.trim(), cursor: reset ? undefined : this.data.cursor, limit: PAGE });
        this.setData({ loading: false, items: reset ? page.items : [...this.data.items, ...page.items], cursor: page.next_cursor });
      } catch (err) {
        this.setData({ loading: false, error: errorText(err) });
      }
    },
    more() { return this.data.cursor ? this.load(false) : Promise.resolve(); },
    open(e) {
      const { id, name } = e.currentTarget.dataset;
      wx.navigateTo({ url: `/pages/customer/customer?id=${encodeURIComponent(id)}&name=${encodeURIComponent(name)}` });
    },
  },
});
