// Staying signed in. The bailian-fc token is short-lived (15–60 min), so it expires during a working
// day: every request waits for a login in flight, a 401 gets one silent re-login and one retry, and
// only a second 401 in a row (or a login the backend refuses) asks the person to sign in again.
const settings = require('./settings.js');

let inflight = null; // the one login in flight; every caller waits for it
let signInNeeded = false;
const listeners = new Set();

function getToken() { return wx.getStorageSync(settings.raw().tokenKey) || ''; }
function setToken(token) { wx.setStorageSync(settings.raw().tokenKey, token); }
function dropToken() { wx.removeStorageSync(settings.raw().tokenKey); }

function setSignInNeeded(value) {
  if (signInNeeded === value) return;
  signInNeeded = value;
  listeners.forEach((fn) => fn(value));
}

/** Calls fn(needed) whenever the sign-in prompt should appear or go; returns the unsubscriber. */
function onSignInNeeded(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** wx.login → the venue's main backend → a bailian-fc token kept in storage (one request, no retry). */
function loginOnce() {
  const { loginUrl } = settings.current();
  return new Promise((resolve, reject) => {
    wx.login({
      success: ({ code }) => wx.request({
        url: loginUrl, method: 'POST', header: { 'Content-Type': 'application/json' },
        data: JSON.stringify({ code }), dataType: 'json',
        success: (res) => {
          // WeChat parses JSON for dataType 'json'; a client that does not hands over the text.
          let body = /** @type {any} */ (res.data);
          if (typeof body === 'string') { try { body = JSON.parse(body); } catch (e) { body = null; } }
          const token = res.statusCode === 200 && body && body.token;
          if (!token || typeof token !== 'string') { reject(new Error(`login failed (${res.statusCode})`)); return; }
          setToken(token);
          resolve(token);
        },
        fail: (e) => reject(new Error(e.errMsg || 'login failed')),
      }),
      fail: (e) => reject(new Error(e.errMsg || 'wx.login failed')),
    });
  });
}

/** A fresh token: joins the login in flight, or starts the one. */
function login() {
  if (!inflight) {
    inflight = loginOnce().then(
      (token) => { inflight = null; setSignInNeeded(false); return token; },
      (err) => { inflight = null; throw err; },
    );
  }
  return inflight;
}

/** At launch: sign in when no token is stored. Requests made meanwhile wait for it (ready()). */
function launch() {
  settings.current(); // a release build with an http:// URL stops here, before any request
  if (!getToken()) login().catch(() => setSignInNeeded(true));
}

/** Before a request: the login in flight has ended, and there is a token (or we tried to get one). */
async function ready() {
  if (inflight) await inflight.catch(() => {});
  if (!getToken() && !signInNeeded) await login().catch(() => setSignInNeeded(true));
}

/** The sign-in prompt's button: a login the person asked for, then the page they were on again. */
async function signIn() {
  await login();
  const pages = typeof getCurrentPages === 'function' ? getCurrentPages() : [];
  const page = pages[pages.length - 1];
  if (page && page.route) wx.reLaunch({ url: `/${page.route}` });
}

const bearer = (token) => (token ? { Authorization: `Bearer ${token}` } : {});

/**
 * `inner` (wxTransport) with the session's rules: wait for a login in flight, and on a 401 log in
 * once (unless another request already did, with a newer token than this one sent) and send the
 * request once more. A stream's 401 is decided at its head, before any delta: its bytes (the error
 * body) are held back so the retried stream starts clean. A second 401 shows the sign-in prompt.
 */
function sessionTransport(inner) {
  async function attempt(req, token) {
    let status = null;
    const held = []; // bytes before the status is known, or of a 401: not the caller's yet
    const flush = () => { held.splice(0).forEach((bytes) => req.onChunk?.(bytes)); };
    const res = await inner.request({
      ...req,
      headers: { ...req.headers, ...bearer(token) },
      onHead: (s) => { status = s; if (s !== 401) { req.onHead?.(s); flush(); } },
      onChunk: (bytes) => { if (status === null || status === 401) held.push(bytes); else req.onChunk?.(bytes); },
    });
    if (res.status !== 401) flush(); // a client that never said the status: the bytes are the answer's
    return { res, held };
  }
  return {
    async request(req) {
      await ready();
      const sent = getToken();
      const first = await attempt(req, sent);
      if (first.res.status !== 401) { setSignInNeeded(false); return first.res; }
      let token = getToken();
      if (!token || token === sent) {
        dropToken();
        try { token = await login(); } catch (e) { setSignInNeeded(true); return replay(req, first); }
      }
      const second = await attempt(req, token);
      if (second.res.status === 401) { dropToken(); setSignInNeeded(true); return replay(req, second); }
      setSignInNeeded(false);
      return second.res;
    },
  };
}

/** The refused attempt as the caller would have seen it: its head, its body. */
function replay(req, { res, held }) {
  req.onHead?.(401);
  held.forEach((bytes) => req.onChunk?.(bytes));
  return res;
}

module.exports = { getToken, setToken, login, launch, ready, signIn, onSignInNeeded, sessionTransport, isSignInNeeded: () => signInNeeded };
