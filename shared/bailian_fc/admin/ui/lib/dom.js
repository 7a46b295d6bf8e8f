// Tiny DOM helpers: h() builds elements, fmt* format numbers and times for the console.

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
  : Number(n).toLocaleString('en-US', { maximumFractionDigits: digits }));
export const pct = (r) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`);
export const ms = (v) => (v === null || v === undefined ? '—' : v >= 10000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);

/** An instant in the venue's zone (Asia/Shanghai unless given), e.g. 2026-11-28 20:15:03. */
export function fmtTime(value, tz = 'Asia/Shanghai') {
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
  if (left <= 0) return '已过期 expired';
  const hh = Math.floor(left / 3600);
  const mm = Math.floor((left % 3600) / 60);
  const ss = left % 60;
  return `${hh}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')}`;
}

/** An error as a visible message box; keeps code and request id for support. */
export function errorBox(err) {
  const code = err?.code || 'Error';
  const rid = err?.requestId ? ` · request ${err.requestId}` : '';
  const details = (err?.details || []).filter((d) => d && d.message)
    .map((d) => h('li', `${d.field ? `${d.field}: ` : ''}${d.message}`));
  return h('div.error', { role: 'alert', dataset: { code } }, h('strong', code), ` ${err?.message || err}${rid}`,
    details.length ? h('ul', details) : null);
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
