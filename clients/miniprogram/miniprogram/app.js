// Sign in once at launch: the venue's main backend mints the bailian-fc token after wx.login.
const { getToken, login } = require('./lib/api.js');

App({
  onLaunch() {
    if (!getToken()) login().catch((err) => console.warn('bailian-fc login:', err.message));
  },
});
