// The miniprogram's only way to bailian-fc: clients/js (npm package bailian-fc-client, copied into
// miniprogram_npm/ by DevTools' "构建 npm") over wx.request with enableChunked, through the session
// (lib/session.js): one login at a time, a silent re-login and retry on a 401.
const settings = require('./settings.js');
const session = require('./session.js');
const { createClient, wxTransport } = require('bailian-fc-client');

/** @type {import('bailian-fc-client').Client | null} */
let client = null;
settings.onConfigure(() => { client = null; });

/** Override config.js (tests; a debug build pointing at staging). Drops the client built so far. */
const configure = settings.configure;

/** The shared client, built on first use (so `wx` and configure() are in place by then). */
function api() {
  if (!client) {
    client = createClient({
      baseUrl: settings.current().baseUrl, // throws in a release build with an http:// URL
      getToken: session.getToken,
      transport: session.sessionTransport(wxTransport(wx)),
    });
  }
  return client;
}

/** The pickers' lists (site-scoped, as of the runtime clock's business date, one page at a time). */
/** @typedef {{status?: string, q?: string, cursor?: string | null, limit?: number}} ListQuery */
const venue = {
  areas: () => api().call('GET', '/apps/areas'),
  clues: (/** @type {ListQuery} */ { status, q, cursor, limit } = {}) => api().call('GET', '/apps/clues', { query: { status, q, cursor, limit } }),
  customers: (/** @type {ListQuery} */ { q, cursor, limit } = {}) => api().call('GET', '/apps/customers', { query: { q, cursor, limit } }),
};

/** A BailianApiError (or any error) as one line of Chinese for the page. */
function errorText(err) {
  if (!err) return '';
  if (err.status === 0) return '网络中断，请检查网络后重试';
  if (err.status === 401) return '登录已失效，请重新登录';
  if (err.status === 403) return '没有权限查看';
  if (err.status === 404) return '没有找到该记录';
  if (err.retryable) return '服务繁忙，请稍后重试';
  return err.message || '出错了';
}

module.exports = {
  api, configure, venue, errorText,
  getToken: session.getToken, setToken: session.setToken, login: session.login,
};
