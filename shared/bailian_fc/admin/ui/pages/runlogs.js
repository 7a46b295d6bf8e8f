// Run logs: filter by app, site, status and time; a failure's detail explains what went wrong.
// The app filter lists the catalogue (GET /admin/apps): no app key is written here.

import { catalogue } from '../lib/catalogue.js';
import { badge, clear, dataTable, errorBox, fmtTime, h, ms, num } from '../lib/dom.js';
import { t, tl } from '../lib/i18n.js';

/** datetime-local value (browser time) → ISO instant, or undefined. */
const instant = (value) => (value ? new Date(value).toISOString() : undefined);
const statusBadge = (s) => badge(MESSAGES_STATUS[s] ? t(`status.${s}`) : s, s === 'ok' ? 'ok' : 'error');
const MESSAGES_STATUS = { ok: 1, error: 1, partial: 1, failed: 1, incomplete: 1 };
const cacheLabel = (c) => (['hit', 'miss', 'stale', 'bypass', 'refresh'].includes(c) ? t(`cache.${c}`) : c || '—');

export function render({ client, el }) {
  const app = h('select', { name: 'app' }, h('option', { value: '' }, t('all')));
  const site = h('input', { name: 'site', placeholder: 'site-001', size: 10 });
  const status = h('select', { name: 'status' }, h('option', { value: '' }, t('all')), h('option', { value: 'ok' }, t('status.ok')),
    h('option', { value: 'error' }, t('status.error')), h('option', { value: 'rejected' }, t('status.rejected')));
  const from = h('input', { name: 'from', type: 'datetime-local' });
  const to = h('input', { name: 'to', type: 'datetime-local' });
  const list = h('div');
  const detail = h('div', { id: 'runlog-detail' });
  let cursor = null;
  let rows = [];
  let names = {};

  const query = () => ({ app: app.value || undefined, site: site.value.trim() || undefined,
    status: status.value || undefined, from: instant(from.value), to: instant(to.value), limit: 50 });

  async function search(more = false) {
    if (!more) { rows = []; cursor = null; clear(detail); }
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
      [t('runlogs.tokens'), (r) => num((r.tokens?.input_tokens || 0) + (r.tokens?.output_tokens || 0))],
    ], rows, { id: 'runlog-table', row: (r, tr) => {
      tr.classList.add('clickable');
      Object.assign(tr.dataset, { id: r.id, status: r.status });
      tr.tabIndex = 0;
      const open = () => {
        list.querySelectorAll('tr.selected').forEach((x) => x.classList.remove('selected'));
        tr.classList.add('selected');
        showDetail(detail, r, names);
        detail.scrollIntoView({ block: 'nearest' });
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
      h('label', t('from'), from), h('label', t('to'), to), h('button.primary', { type: 'submit' }, tl('filter')))),
    h('div.stack', h('section.card', list), detail));
  catalogue(client).then((apps) => {
    names = Object.fromEntries(apps.map((a) => [a.key, a.title]));
    app.append(...apps.map((a) => h('option', { value: a.key }, a.title)));
  }).catch((err) => list.prepend(errorBox(err))).finally(() => search());
}

function showDetail(el, r, names) {
  const lat = r.latency_ms || {};
  const failed = r.status === 'error' || r.error_code;
  clear(el, h('section.card', { 'data-record': r.id },
    h('h2', tl(failed ? 'runlogs.failure' : 'runlogs.record')),
    failed ? h('div.error', { id: 'failure-reason' }, h('strong', r.error_code || 'error'), ` ${r.error_message || ''}`) : null,
    h('dl.kv',
      kv(t('app'), `${names[r.app] || r.app}（${r.app}）`), kv(t('site'), r.site_id), kv(t('runlogs.user'), r.user), kv(t('time'), fmtTime(r.at)),
      kv(t('status'), t(`status.${r.status}`)), kv(t('runlogs.cache'), cacheLabel(r.cache)), kv(tl('runlogs.attempts'), r.attempts),
      kv(tl('runlogs.prompt'), r.prompt_version || '—'),
      kv(t('runlogs.total'), ms(lat.total)), kv(t('runlogs.upstream'), ms(lat.upstream)), kv(t('runlogs.ttfb'), ms(lat.upstream_ttfb)),
      kv(t('runlogs.overhead'), ms(lat.overhead)), kv(t('runlogs.queue'), ms(lat.queue)),
      kv(t('runlogs.tokens-io'), `${num(r.tokens?.input_tokens)} / ${num(r.tokens?.output_tokens)}`),
      kv(t('runlogs.request'), r.request_id || '—'), kv(t('runlogs.upstream-request'), r.upstream_request_id || '—')),
    r.reply_excerpt ? [h('h2', tl('runlogs.excerpt')), h('pre', { id: 'reply-excerpt' }, r.reply_excerpt)] : null));
}

function kv(key, value) {
  return [h('dt', key), h('dd', value === undefined || value === null ? '—' : String(value))];
}


