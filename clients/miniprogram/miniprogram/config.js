// The one place a deployment is configured: where bailian-fc answers and where the token lives.
// baseUrl: the HTTPS custom domain bound to the FC functions; add it as a "request 合法域名" in the
// MP console (no IP, no localhost). loginUrl: the venue's main backend route that turns wx.login's
// code into a bailian-fc token (see README.md: the claims it must mint).
module.exports = {
  baseUrl: 'https://ai.example.com',
  loginUrl: 'https://venue.example.com/api/bailian/token',
  tokenKey: 'bailian_token',
};
