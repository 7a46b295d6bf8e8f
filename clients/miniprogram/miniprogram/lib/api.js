// The miniprogram's only way to bailian-fc: clients/js (npm package bailian-fc-client, copied into
// miniprogram_npm/ by DevTools' "构建 npm") over wx.request with enableChunked.
const config = require('../config.js');
const { createClient, wxTransport } = require('bailian-fc-client');

let settings = { ...config };
/** @type {import('bailian-fc-client').Client | null} */
let client = null;

/** Override config.js (tests; a debug build pointing at staging). Drops the client built so far. */
function configure(overrides) {
  settings = { ...settings, ...overrides };
  client = null;
}

function getToken() {
  return wx.getStorageSync(settings.tokenKey) || '';
}

function setToken(token) {
  wx.setStorageSync(settings.tokenKey, token);
}

/** The shared client, built on first use (so `wx` and configure() are in place by then). */
function api() {
  if (!client) {
    client = createClient({
      baseUrl: settings.baseUrl,
      getToken,
      transport: wxTransport(wx),
      // 401/403 on a token: forget it, so the next login() fetches a fresh one.
      onAuthError: (err) => { if (err.status === 401) wx.removeStorageSync(settings.tokenKey); },
    });
  }
  return client;
}

/** wx.login → the venue's main backend → a bailian-fc token kept in storage. */
function login() {
  return new Promise((resolve, reject) => {
    wx.login({
      success: ({ code }) => wx.request({
        url: settings.loginUrl, method: 'POST', header: { 'Content-Type': 'application/json' },
        data: JSON.stringify({ code }), dataType: 'json',
        success: (res) => {
          // WeChat parses JSON for dataType 'json'; a client that does not hands over the text.
          let body = /** @type {any} */ (res.data);
          if (typeof body === 'string') { try { body = JSON.parse(body); } catch (e) { body = null; } }
          const token = res.statusCode === 200 && body && body.token;
          if (!token) { reject(new Error(`login failed (${res.statusCode})`)); return; }
          setToken(token);
          resolve(token);
        },
        fail: (e) => reject(new Error(e.errMsg || 'login failed')),
      }),
      fail: (e) => reject(new Error(e.errMsg || 'wx.login failed')),
    });
  });
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
  if (err.status === 401) return '登录已过期，请重新进入';
  if (err.status === 403) return '没有权限查看';
  if (err.status === 404) return '没有找到该记录';
  if (err.retryable) return '服务繁忙，请稍后重试';
  return err.message || '出错了';
}

module.exports = { api, configure, getToken, setToken, login, venue, errorText };
