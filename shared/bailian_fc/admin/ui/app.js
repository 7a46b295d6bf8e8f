// The console shell: sign-in, navigation, and one page module per hash route.

import { clear, h } from './lib/dom.js';
import { en, setVenueZone, t, tl } from './lib/i18n.js';
import { claims, clearToken, getToken, isAdmin, makeClient, setToken, takeTokenFromFragment, whoLabel } from './lib/session.js';
import * as apps from './pages/apps.js';
import * as chat from './pages/chat.js';
import * as dashboard from './pages/dashboard.js';
import * as operations from './pages/operations.js';
import * as runlogs from './pages/runlogs.js';
import * as runtime from './pages/runtime.js';
import * as triggers from './pages/triggers.js';

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
  // Tabs that scroll sideways on a phone; the current one is scrolled into view.
  clear(nav, PAGES.map(([id]) => h(`a${id === current ? '.active' : ''}`,
    { href: `#/${id}`, dataset: { page: id }, 'aria-current': id === current ? 'page' : undefined }, t(`nav.${id}`))),
    who ? h('span.muted', { id: 'who' }, who) : null);
  const active = nav.querySelector('a.active');
  if (active) nav.scrollLeft = Math.max(0, active.offsetLeft - (nav.clientWidth - active.offsetWidth) / 2);
  signout.hidden = !getToken();
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
takeTokenFromFragment();
window.addEventListener('hashchange', route);
route();
