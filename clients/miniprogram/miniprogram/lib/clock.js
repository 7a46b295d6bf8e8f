// The runtime clock: GET /clock says the site's business date and whether a sandbox clock (set by an
// admin in the console) is in force. Every page shows a banner while it is, and every business date
// on screen comes from here, never from the phone's Date().
const { api } = require('./api.js');
const { own } = require('./own.js');

// Zones a venue can be in have no DST in mainland China; others fall back to showing UTC.
const OFFSET_MINUTES = { 'Asia/Shanghai': 480, 'Asia/Chongqing': 480, 'Asia/Hong_Kong': 480, 'Asia/Macau': 480, 'Asia/Taipei': 480, UTC: 0 };

const EMPTY = { loaded: false, sandbox: false, businessDate: '', nowText: '', expiresText: '', tz: '' };
let current = EMPTY;
let inflight = null;
const listeners = new Set();

const pad = (n) => String(n).padStart(2, '0');

/** 'MM-DD HH:mm' of an ISO instant in the business time zone (UTC with a suffix when unknown). */
function formatInstant(iso, tz) {
  if (!iso) return '';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  const offset = OFFSET_MINUTES[tz || current.tz || 'Asia/Shanghai'];
  const d = new Date(ms + (offset === undefined ? 0 : offset) * 60000);
  const text = `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return offset === undefined ? `${text} UTC` : text;
}

function present(raw) {
  return {
    loaded: true,
    sandbox: !!raw.sandbox,
    businessDate: raw.business_date,
    nowText: formatInstant(raw.now, raw.tz),
    expiresText: raw.expires_at ? formatInstant(raw.expires_at, raw.tz) : '',
    tz: raw.tz,
  };
}

/** Re-read GET /clock (one request however many pages ask at once); listeners get the new view. */
function refresh() {
  if (!inflight) {
    inflight = api().clock().then((raw) => {
      inflight = null;
      current = present(raw);
      listeners.forEach((fn) => fn(current));
      return current;
    }, (err) => { inflight = null; throw err; });
  }
  return inflight;
}

function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

const now = () => current;

/** Mixed into every page and the banner: `data.clock` follows GET /clock, re-read on each show. */
const clockBehavior = Behavior({
  data: { clock: EMPTY },
  lifetimes: {
    attached() {
      own(this).clockOff = subscribe((view) => this.setData({ clock: view }));
      if (current.loaded) this.setData({ clock: current });
      refresh().catch(() => {});
    },
    detached() { if (own(this).clockOff) own(this).clockOff(); },
  },
  pageLifetimes: {
    show() { refresh().catch(() => {}); },
  },
});

module.exports = { clockBehavior, refresh, subscribe, now, formatInstant, present };
