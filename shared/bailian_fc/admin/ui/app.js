// The console shell: sign-in, navigation, and one page module per hash route.

import { clear, h } from './lib/dom.js';
import { claims, clearToken, getToken, isAdmin, makeClient, setToken, takeTokenFromFragment, whoLabel } from './lib/session.js';
import * as apps from './pages/apps.js';
import * as chat from './pages/chat.js';
import * as dashboard from './pages/dashboard.js';
import * as operations from './pages/operations.js';
import * as runlogs from './pages/runlogs.js';
import * as runtime from './pages/runtime.js';
import * as triggers from './pages/triggers.js';

const PAGES = [
  ['dashboard', '仪表盘 Dashboard', dashboard],
  ['runlogs', '运行日志 Run logs', runlogs],
  ['triggers', '触发器 Triggers', triggers],
  ['operations', '运维 Operations', operations],
  ['runtime', '运行时钟 Runtime', runtime],
  ['chat', '对话 Chat', chat],
  ['apps', '应用 Apps', apps],
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const signout = document.getElementById('signout');
let authMessage = '';

function onAuthError(err) {
  // A site admin's 403 on something of another site or of the platform is that page's error, not
  // a sign-out: only a token that is no admin's, or one the server rejects (401), ends the session.
  if (err.status === 403 && isAdmin(claims(getToken()))) return;
  clearToken();
  authMessage = err.status === 403
    ? `此令牌不是管理员令牌 — this token is not an admin token (${err.code}: ${err.message}). Sign in with an admin token.`
    : `登录已失效 — the token was rejected (${err.code}: ${err.message}). It may have expired; sign in again.`;
  if (location.hash !== '#/signin') location.hash = '#/signin';
  else route();
}

const client = makeClient(onAuthError);

function renderNav(current) {
  const who = getToken() ? whoLabel(claims(getToken())) : '';
  clear(nav, PAGES.map(([id, label]) => h(`a${id === current ? '.active' : ''}`, { href: `#/${id}`, dataset: { page: id } }, label)),
    who ? h('span.muted', { id: 'who' }, who) : null);
  signout.hidden = !getToken();
}

function signIn() {
  renderNav(null);
  const box = h('textarea', { placeholder: 'eyJhbGciOi… (admin token)', 'aria-label': 'admin token', spellcheck: 'false' });
  const status = h('div');
  const submit = async () => {
    if (!box.value.trim()) return;
    setToken(box.value);
    clear(status, h('p.muted', '验证中 Checking…'));
    try {
      await client.admin.triggers.list();
      authMessage = '';
      location.hash = '#/dashboard';
    } catch (err) {
      if (!err.isAuth) clear(status, h('div.error', `${err.code}: ${err.message}`));
    }
  };
  clear(main, h('section.card.signin', { 'data-page': 'signin' },
    h('h1', '登录 Sign in'),
    authMessage ? h('div.error', { role: 'alert', id: 'auth-message' }, authMessage) : null,
    h('p', 'Open the console link that ', h('code', 'bailian-fc dev'), ' prints, or paste an admin token ',
      '(', h('code', 'bailian-fc token --role admin'), '). It is kept in this tab only (sessionStorage).'),
    box, h('div.row', h('button.primary', { onclick: submit, id: 'signin-button' }, '登录 Sign in')), status));
}

function route() {
  const id = (location.hash.match(/^#\/([\w-]+)/) || [])[1] || 'dashboard';
  if (id === 'signin' || !getToken()) {
    signIn();
    return;
  }
  const page = PAGES.find(([pid]) => pid === id) || PAGES[0];
  renderNav(page[0]);
  const who = claims(getToken());
  const holder = h('div', { 'data-page': page[0] });
  clear(main, holder);
  page[2].render({ client, el: holder, claims: who || {} });
}

signout.addEventListener('click', () => { clearToken(); authMessage = ''; location.hash = '#/signin'; });
takeTokenFromFragment();
window.addEventListener('hashchange', route);
route();
