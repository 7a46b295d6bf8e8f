// Run logs: filter by app, site, status and venue time; a row opens its trace in a side panel
// (a full-screen sheet on a phone): what was asked, what was answered, cost, rating, failure.
// The app filter lists the catalogue (GET /admin/apps): no app key is written here.

import { catalogue } from '../lib/catalogue.js';
import { badge, clear, dataTable, errorBox, failureText, fmtTime, h, ms, num, venueInstant, yuan } from '../lib/dom.js';
import { MESSAGES, t, tl } from '../lib/i18n.js';

/** An enum value the run log returns (status, cache state) in Chinese; the raw value if unknown. */
const label = (group, value) => (value && MESSAGES[`${group}.${value}`] ? t(`${group}.${value}`) : value || '—');
const statusBadge = (s) => badge(label('status', s), s === 'ok' ? 'ok' : s === 'rejected' ? 'warn' : 'error');
const cacheLabel = (c) => label('cache', c || 'none');
const tokens = (r) => (r.tokens?.input_tokens || 0) + (r.tokens?.output_tokens || 0);

export function render({ client, el }) {
  const app = h('select', { name: 'app' }, h('option', { value: '' }, t('all')));
  const site = h('input', { name: 'site', size: 10 });
  const status = h('select', { name: 'status' }, h('option', { value: '' }, t('all')), h('option', { value: 'ok' }, t('status.ok')),
    h('option', { value: 'error' }, t('status.error')), h('option', { value: 'rejected' }, t('status.rejected')));
  const from = h('input', { name: 'from', type: 'datetime-local' });
  const to = h('input', { name: 'to', type: 'datetime-local' });
  const finder = h('input', { name: 'search', size: 18, spellcheck: 'false', placeholder: t('runlogs.search'),
    value: new URLSearchParams(location.hash.split('?')[1] || '').get('user') || undefined });
  const down = h('input', { type: 'checkbox', name: 'down' });
  const list = h('div');
  const detail = h('aside.sheet', { id: 'runlog-detail', hidden: true, 'aria-label': t('runlogs.record') });
  let cursor = null;
  let rows = [];
  let names = {};

  // One box for both searches: a request id looks like one (hex or a UUID); anything else is a user (sub).
  const term = () => finder.value.trim();
  const isRequestId = (v) => /^[0-9a-f]{16,}$|^[0-9a-f-]{32,36}$/i.test(v);
  const query = () => ({ app: app.value || undefined, site: site.value.trim() || undefined,
    user: term() || undefined,
    rating: down.checked ? 'down' : undefined,
    status: status.value || undefined, from: venueInstant(from.value), to: venueInstant(to.value), limit: 50 });

  async function search(more = false) {
    if (!more) { rows = []; cursor = null; closeDetail(detail); }
    if (!more && isRequestId(term())) { findRequest(term()); return; }
    clear(list, h('p.muted', t('loading')));
    try {
      const page = await client.admin.runlogs(more && cursor ? { cursor, limit: 50 } : query());
      rows = rows.concat(page.items);
      cursor = page.next_cursor;
      draw(page);
    } catch (err) {
      clear(list, errorBox(err));
    }
  }

  /** A request id names one record (GET /admin/runlogs/{request_id}): it is the list, opened. */
  async function findRequest(id) {
    clear(list, h('p.muted', t('loading')));
    try {
      const full = await client.call('GET', `/admin/runlogs/${encodeURIComponent(id)}`);
      rows = [{ ...(full.record || {}), request_id: id, id: full.record?.id || id }];
      draw({ scanned: 1 });
      list.querySelector('#runlog-table tbody tr')?.click();
    } catch (err) {
      clear(list, errorBox(err));
    }
  }

  function draw(page) {
    // Status, time, app and error first: the key columns, whatever the width.
    const table = dataTable([
      [t('status'), (r) => statusBadge(r.status)],
      [t('time'), (r) => fmtTime(r.at).slice(5)],
      [t('app'), (r) => h('span', { title: r.app }, names[r.app] || r.app)],
      [t('error'), (r) => r.error_code || ''],
      [t('site'), (r) => r.site_id],
      [t('runlogs.cache'), (r) => cacheLabel(r.cache)],
      [t('runlogs.attempts'), (r) => r.attempts],
      [t('runlogs.latency'), (r) => ms(r.latency_ms?.total)],
      [t('runlogs.tokens'), (r) => num(tokens(r))],
      [t('runlogs.cost'), (r) => yuan(r.cost_cny)],
    ], rows, { id: 'runlog-table', row: (r, tr) => {
      tr.classList.add('clickable');
      Object.assign(tr.dataset, { id: r.id, status: r.status });
      tr.tabIndex = 0;
      const open = () => {
        list.querySelectorAll('tr.selected').forEach((x) => x.classList.remove('selected'));
        tr.classList.add('selected');
        openDetail(client, detail, r, names, () => { tr.classList.remove('selected'); tr.focus(); });
      };
      tr.addEventListener('click', open);
      tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
    } });
    clear(list,
      h('p.muted', t('runlogs.count', { n: rows.length, from: fmtTime(page.from), to: fmtTime(page.to), scanned: num(page.scanned) })),
      rows.length ? table : h('p', t('runlogs.empty')),
      cursor ? h('button', { onclick: () => search(true), id: 'more' }, tl('more')) : null);
  }

  clear(el, h('h1', tl('runlogs.title')),
    h('section.card', h('form.row', { id: 'runlog-filters', onsubmit: (e) => { e.preventDefault(); search(); } },
      h('label', t('app'), app), h('label', t('site'), site), h('label', t('status'), status),
      h('label', t('from'), from), h('label', t('to'), to), h('label', t('runlogs.search'), finder),
      h('label.inline', down, t('runlogs.down-only')), h('button.primary', { type: 'submit' }, tl('filter')))),
    h('section.card', list), detail);
  catalogue(client).then((apps) => {
    names = Object.fromEntries(apps.map((a) => [a.key, a.title]));
    app.append(...apps.map((a) => h('option', { value: a.key }, a.title)));
  }).catch((err) => list.prepend(errorBox(err))).finally(() => search());
}

function closeDetail(el) {
  el.hidden = true;
  document.body.classList.remove('sheet-open');
  clear(el);
}

/** The side panel: the row at once, then the full record (GET /admin/runlogs/{request_id}) with
 * its trace when the server has one. Escape or the close button puts it away. */
async function openDetail(client, el, row, names, onClose) {
  const close = () => { closeDetail(el); document.removeEventListener('keydown', onKey); onClose(); };
  const onKey = (e) => { if (e.key === 'Escape') close(); };
  document.addEventListener('keydown', onKey);
  el.hidden = false;
  document.body.classList.add('sheet-open');
  const draw = (r, note) => clear(el, h('div.sheet-head', h('h2', tl(r.status === 'error' || r.error_code ? 'runlogs.failure' : 'runlogs.record')),
    h('button', { dataset: { role: 'close' }, onclick: close }, '✕ ', t('runlogs.close'))), detailBody(r, names), note);
  draw(row, null);
  el.querySelector('[data-role=close]').focus();
  if (!row.request_id) return;
  try {
    const full = await client.call('GET', `/admin/runlogs/${encodeURIComponent(row.request_id)}`, { query: { at: row.at } });
    if (!el.hidden && el.querySelector(`[data-record="${row.id}"]`)) draw(withTrace(row, full), null);
  } catch (err) {
    if (err.status !== 404 && err.status !== 405 && !el.hidden) draw(row, errorBox(err));
  }
}

/** The list's row with what GET /admin/runlogs/{request_id} adds: the trace, ratings, conversation. */
function withTrace(row, full) {
  return { ...row, ...(full.record || {}), id: row.id, trace: { input: full.input, output: full.output, truncated: full.truncated },
    ratings: full.ratings || [], conversation_id: full.conversation?.conversation_id };
}

function detailBody(r, names) {
  const lat = r.latency_ms || {};
  const failed = r.status === 'error' || r.error_code;
  return h('div', { dataset: { record: r.id } },
    failed ? h('div.error', { id: 'failure-reason' }, failureText(r.error_code || 'error', r.error_message || '')) : null,
    h('dl.kv',
      kv(t('app'), `${names[r.app] || r.app}（${r.app}）`), kv(t('site'), r.site_id), kv(t('runlogs.user'), r.user || r.sub), kv(t('time'), fmtTime(r.at)),
      kv(t('status'), label('status', r.status)), kv(t('runlogs.cache'), cacheLabel(r.cache)), kv(tl('runlogs.attempts'), r.attempts),
      kv(tl('runlogs.prompt'), r.prompt_version || '—'), kv(t('runlogs.model'), r.model || '—'),
      kv(t('runlogs.total'), ms(lat.total)), kv(t('runlogs.upstream'), ms(lat.upstream)), kv(t('runlogs.ttfb'), ms(lat.upstream_ttfb)),
      kv(t('runlogs.overhead'), ms(lat.overhead)), kv(t('runlogs.queue'), ms(lat.queue)),
      kv(t('runlogs.tokens-io'), `${num(r.tokens?.input_tokens)} / ${num(r.tokens?.output_tokens)}`),
      kv(t('runlogs.cost'), r.unpriced_tokens ? t('runlogs.unpriced') : yuan(r.cost_cny)), // never a guessed price
      kv(t('runlogs.request'), r.request_id || '—'), kv(t('runlogs.upstream-request'), r.upstream_request_id || '—')),
    trace(r),
    r.reply_excerpt ? [h('h2', tl('runlogs.excerpt')), h('pre', { id: 'reply-excerpt' }, r.reply_excerpt)] : null);
}

/** What was asked and answered (kept for RUNLOG_PAYLOAD_RETENTION_DAYS), the ratings, the conversation. */
function trace(r) {
  const tr = r.trace || {};
  const hasTrace = (tr.input !== undefined && tr.input !== null) || (tr.output !== undefined && tr.output !== null);
  const ratings = r.ratings || (r.rating ? [r.rating] : []);
  const conversation = r.conversation_id;
  return h('div', { id: 'trace' },
    hasTrace ? [
      h('h2', tl('runlogs.input')), h('pre', { dataset: { role: 'input' } }, show(tr.input)),
      h('h2', tl('runlogs.output')), h('pre', { dataset: { role: 'output' } }, show(tr.output)),
    ] : h('p.muted', t('runlogs.no-trace')),
    h('h2', tl('runlogs.rating')),
    ratings.length ? h('ul.ratings', { dataset: { role: 'ratings' } }, ratings.map((x) => h('li', { dataset: { rating: x.rating } },
      t(`rating.${x.rating}`), x.comment ? ` “${x.comment}”` : '', h('small.muted', ` ${x.user || ''} · ${fmtTime(x.at)}`))))
      : h('p.muted', { dataset: { role: 'ratings' } }, t('runlogs.no-rating')),
    // The admin API has no route into a user's conversation: its turns are this user's records.
    conversation ? h('p', { dataset: { role: 'conversation', conversation } }, t('runlogs.conversation-id', { id: conversation }), ' ',
      h('a', { href: `#/runlogs?user=${encodeURIComponent(r.user || '')}` }, t('runlogs.conversation'))) : null);
}

const show = (v) => (v === undefined || v === null ? '—' : typeof v === 'string' ? v : JSON.stringify(v, null, 2));

function kv(key, value) {
  return [h('dt', key), h('dd', value === undefined || value === null ? '—' : String(value))];
}


