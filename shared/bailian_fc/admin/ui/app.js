// The console shell: sign-in, navigation, and one page module per hash route.

import { clear, h } from './lib/dom.js';
import { en, setVenueZone, t, tl } from './lib/i18n.js';
import { fmtTime } from './lib/dom.js';
import { claims, clearToken, getToken, isAdmin, makeClient, secondsLeft, setToken, takeTokenFromFragment, whoLabel } from './lib/session.js';
import * as apps from './pages/apps.js';
import * as chat from './pages/chat.js';
import * as dashboard from './pages/dashboard.js';
import * as operations from './pages/operations.js';
import * as runlogs from './pages/runlogs.js';
import * as runtime from './pages/runtime.js';
import * as triggers from './pages/triggers.js';

takeTokenFromFragment(); // first of all: the token leaves the address bar before any page runs

const PAGES = [
  ['dashboard', dashboard],
  ['runlogs', runlogs],
  ['triggers', triggers],
  ['operations', operations],
  ['runtime', runtime],
  ['chat', chat],
  ['apps', apps],
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const signout = document.getElementById('signout');
const menu = document.getElementById('menu');
let authMessage = null;
let zoneKnown = false;

function onAuthError(err) {
  // A site admin's 403 on something of another site or of the platform is that page's error, not
  // a sign-out: only a token that is no admin's, or one the server rejects (401), ends the session.
  if (err.status === 403 && isAdmin(claims(getToken()))) return;
  clearToken();
  const key = err.status === 403 ? 'auth.forbidden' : 'auth.rejected';
  authMessage = [t(key), h('small.en', `${en(key)} (${err.code}: ${err.message})`)];
  if (location.hash !== '#/signin') location.hash = '#/signin';
  else route();
}

const client = makeClient(onAuthError);

function renderNav(current) {
  const who = getToken() ? whoLabel(claims(getToken())) : '';
  // A laptop shows the links in the header; a phone one line with a menu button that opens them
  // all as a list (CSS, under 720 px), so no target hides off-screen.
  clear(nav, !getToken() ? [] : PAGES.map(([id]) => h(`a${id === current ? '.active' : ''}`,
    { href: `#/${id}`, dataset: { page: id }, 'aria-current': id === current ? 'page' : undefined, onclick: () => setMenu(false) }, t(`nav.${id}`))),
    who ? h('span.muted', { id: 'who' }, who) : null);
  menu.hidden = !getToken();
  clear(menu, `☰ ${current ? t(`nav.${current}`) : t('nav.menu')}`);
  setMenu(false);
  signout.hidden = !getToken();
}

function setMenu(open) {
  document.body.classList.toggle('menu-open', open);
  menu.setAttribute('aria-expanded', String(open));
}

/** A token past its `exp` ends the session with a message saying so (the server would say 401). */
function expired() {
  const left = secondsLeft(claims(getToken()));
  if (left === null || left > 0) return false;
  authMessage = [t('auth.expired', { at: fmtTime(claims(getToken()).exp) }), h('small.en', en('auth.expired'))];
  clearToken();
  return true;
}

function signIn() {
  renderNav(null);
  const box = h('textarea', { placeholder: 'eyJhbGciOi…', 'aria-label': t('signin.token'), spellcheck: 'false' });
  const status = h('div');
  const submit = async () => {
    if (!box.value.trim()) return;
    setToken(box.value);
    clear(status, h('p.muted', t('checking')));
    try {
      await client.admin.triggers.list();
      authMessage = null;
      location.hash = '#/dashboard';
    } catch (err) {
      if (!err.isAuth) clear(status, h('div.error', `${err.code}: ${err.message}`));
    }
  };
  clear(main, h('section.card.signin', { 'data-page': 'signin' },
    h('h1', tl('signin.title')),
    authMessage ? h('div.error', { role: 'alert', id: 'auth-message' }, authMessage) : null,
    h('p', t('signin.help')),
    h('label', t('signin.token'), box), h('div.row', h('button.primary', { onclick: submit, id: 'signin-button' }, tl('signin.title'))), status));
}

function route() {
  const id = (location.hash.match(/^#\/([\w-]+)/) || [])[1] || 'dashboard';
  if (getToken() && expired()) {
    if (location.hash !== '#/signin') { location.hash = '#/signin'; return; }
  }
  if (id === 'signin' || !getToken()) {
    signIn();
    return;
  }
  const page = PAGES.find(([pid]) => pid === id) || PAGES[0];
  renderNav(page[0]);
  const who = claims(getToken());
  const holder = h('div', { 'data-page': page[0] });
  clear(main, holder);
  const show = () => page[1].render({ client, el: holder, claims: who || {} });
  if (zoneKnown) { show(); return; }
  // Dates show in the venue's zone: learn it once from GET /clock (Asia/Shanghai until then).
  client.clock().then((c) => setVenueZone(c.tz)).catch(() => {}).finally(() => { zoneKnown = true; if (holder.isConnected) show(); });
}

signout.textContent = t('signout');
document.title = t('app.title');
signout.addEventListener('click', () => { clearToken(); authMessage = null; location.hash = '#/signin'; });
menu.addEventListener('click', () => setMenu(!document.body.classList.contains('menu-open')));
// A short-lived link's token runs out while the tab is open: say so rather than fail the next call.
setInterval(() => { if (getToken() && expired()) { location.hash = '#/signin'; route(); } }, 15000);
window.addEventListener('hashchange', route);
route();
