// Tiny DOM helpers: h() builds elements, fmt* format numbers and times (venue locale and zone),
// dataTable() builds tables that turn into cards on a phone.

import { detailMessage, errorLabel, LOCALE, t, venueZone } from './i18n.js';

/**
 * h('div.card#x', {onclick, dataset: {...}, ...attrs}, ...children)
 * Strings become text nodes (never HTML): data from the API is never parsed as markup.
 */
export function h(tag, attrs, ...children) {
  const [name, ...rest] = tag.split(/(?=[.#])/);
  const el = document.createElement(name || 'div');
  for (const part of rest) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value') el.value = value;
    else if (key === 'checked') el.checked = !!value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export const num = (n, digits = 0) => (n === null || n === undefined ? '—'
  : Number(n).toLocaleString(LOCALE, { maximumFractionDigits: digits }));
export const pct = (r) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`);
/** ¥ with 2 decimals (4 under one fen, so a cheap call does not read as free); — when absent. */
export const yuan = (v) => (typeof v === 'number' ? `¥${v.toFixed(v > 0 && v < 0.01 ? 4 : 2)}` : '—');
export const ms = (v) => (v === null || v === undefined ? '—' : v >= 10000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);

/** An instant in the venue's zone (Asia/Shanghai unless the server says otherwise), e.g. 2026-11-28 20:15:03. */
export function fmtTime(value, tz = venueZone()) {
  if (value === null || value === undefined) return '—';
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(date);
  const get = (t) => parts.find((p) => p.type === t)?.value;
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
}

export function countdown(untilIso, now = Date.now()) {
  const left = Math.round((new Date(untilIso).getTime() - now) / 1000);
  if (left <= 0) return t('runtime.expired');
  const hh = Math.floor(left / 3600);
  const mm = Math.floor((left % 3600) / 60);
  const ss = left % 60;
  return `${hh}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')}`;
}

/** An error as a visible message box: a Chinese sentence with its code, each invalid field with a
 * Chinese message, the request id for support; the server's own text behind a toggle (it may be
 * an upstream library's English, never the first thing a venue operator reads). */
export function errorBox(err, labels = {}) {
  const code = err?.code || 'Error';
  const details = (err?.details || []).filter((d) => d && (d.message || d.type))
    .map((d) => h('li', { dataset: { field: d.field || '' } }, `${d.field ? `${labels[d.field] || d.field}：` : ''}${detailMessage(d)}`,
      d.message ? h('small.en', d.message) : null));
  return h('div.error', { role: 'alert', dataset: { code } }, failureText(code, err?.message || String(err)),
    err?.requestId ? h('small.en', t('err.request', { id: err.requestId })) : null,
    details.length ? h('ul', details) : null);
}

/** An error code as a Chinese sentence with the code; the raw message behind a toggle. */
export function failureText(code, raw) {
  return [h('strong', errorLabel(code)), ` [${code}]`,
    raw ? h('details.raw', h('summary', t('err.raw')), h('small.en', { dataset: { role: 'raw-error' } }, raw)) : null];
}

// -- venue time in forms ------------------------------------------------------------------------

const pad = (n) => String(n).padStart(2, '0');

/** Minutes the zone is ahead of UTC at `ms`. */
function zoneOffset(ms, tz) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return (Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000) / 60000;
}

/** A datetime-local value read as the venue's wall time (not the browser's) → ISO instant. */
export function venueInstant(value, tz = venueZone()) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value || '');
  if (!m) return undefined;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
  const first = wall - zoneOffset(wall, tz) * 60000;
  return new Date(wall - zoneOffset(first, tz) * 60000).toISOString(); // twice: right across a DST change
}

/** An instant as a datetime-local value in the venue's zone. */
export function venueLocal(value, tz = venueZone()) {
  const ms = new Date(value).getTime();
  const d = new Date(ms + zoneOffset(ms, tz) * 60000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/**
 * A table whose rows become labelled cards on a narrow screen (CSS: table.cards).
 * columns: [[label, (row) => cell content, className?]]; opts.row(row, tr) decorates each row.
 */
export function dataTable(columns, rows, opts = {}) {
  const heads = columns.map(([label]) => (Array.isArray(label) ? label : [label]));
  const text = (label) => (Array.isArray(label) ? String(label[0]) : String(label));
  const body = rows.flatMap((row) => {
    const tr = h('tr', columns.map(([label, cell, cls]) => h(`td${cls ? `.${cls}` : ''}`, { dataset: { label: text(label) } }, cell(row))));
    const extra = opts.row ? opts.row(row, tr) : null;
    return Array.isArray(extra) ? [tr, ...extra] : [tr];
  });
  return h('div.table-wrap', h('table.cards', { id: opts.id }, h('thead', h('tr', heads.map((l) => h('th', l)))), h('tbody', body)));
}

export function badge(text, kind = '') {
  return h(`span.badge${kind ? `.${kind}` : ''}`, text);
}

/** Run `fn` every `seconds` while `el` stays in the document. */
export function every(el, seconds, fn) {
  const timer = setInterval(() => {
    if (!el.isConnected) { clearInterval(timer); return; }
    fn();
  }, seconds * 1000);
  return timer;
}
