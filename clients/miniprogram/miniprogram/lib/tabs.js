// The tab bar's entries, each with the least role that may use it. app.json lists every tab page
// (WeChat needs that for switchTab); the custom tab bar shows only those the token's role allows.
const { atLeast, roleOf } = require('./role.js');
const session = require('./session.js');

const TABS = [
  { pagePath: '/pages/chat/chat', text: 'AI 助手', icon: '💬', role: 'staff' },
  { pagePath: '/pages/finance/finance', text: '经营看板', icon: '📊', role: 'manager' },
  { pagePath: '/pages/clues/clues', text: '线索', icon: '📋', role: 'staff' },
  { pagePath: '/pages/customers/customers', text: '客户', icon: '👥', role: 'staff' },
];

/** The tabs the current token's role may open. */
function visibleTabs() {
  const role = roleOf(session.getToken());
  return TABS.filter((tab) => atLeast(role, tab.role));
}

/** Mixed into each tab page: on show, the bar marks that page and re-reads the role (a new login). */
const tabPageBehavior = Behavior({
  pageLifetimes: {
    show() {
      const bar = typeof this.getTabBar === 'function' ? this.getTabBar() : null;
      if (bar && bar.refresh) bar.refresh(`/${this.route || ''}`);
    },
  },
});

module.exports = { TABS, visibleTabs, tabPageBehavior };
