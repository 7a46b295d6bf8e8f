// The custom tab bar: built from the token's role (staff: AI 助手, 线索, 客户; manager and above:
// also 经营看板), so nobody is offered a tab that would only say 没有权限.
const { visibleTabs } = require('../lib/tabs.js');

Component({
  data: { tabs: [], selected: '' },
  lifetimes: {
    attached() { this.refresh(this.data.selected); },
  },
  methods: {
    refresh(selected) { this.setData({ tabs: visibleTabs(), selected: selected || '' }); },
    go(e) {
      const url = e.currentTarget.dataset.path;
      this.setData({ selected: url });
      wx.switchTab({ url });
    },
  },
});
