// The one place a deployment is configured: where bailian-fc answers and where the token lives.
// Both URLs must be https:// (a release build refuses anything else at launch; a debug build also
// takes http://127.0.0.1 for `bailian-fc dev`). baseUrl: the HTTPS custom domain bound to the FC
// functions; add it as a "request 合法域名" in the MP console (no IP, no localhost). loginUrl: the venue's main backend route that turns wx.login's
// code into a bailian-fc token (see README.md: the claims it must mint).
module.exports = {
  baseUrl: 'https://ai.example.com',
  loginUrl: 'https://venue.example.com/api/bailian/token',
  tokenKey: 'bailian_token',
  // How amounts read (¥ and digit grouping) and which colour a rise is: 'red-up' is the mainland
  // Chinese market convention (rises red, falls green); 'green-up' the reverse.
  locale: 'zh-CN',
  trendColors: 'red-up',
};
