// Run logs: filter by app, site, status and time; a failure's detail explains what went wrong.

import { badge, clear, errorBox, fmtTime, h, ms, num } from '../lib/dom.js';

const APP_KEYS = ['app1_chat', 'app2_finance', 'app2a_finance_digest', 'app3_clue_detail', 'app4_relationship',
  'app5_tactics', 'app6_note_analysis', 'app7_customer_insight', 'app8_clue_consolidation'];

/** datetime-local value (browser time) → ISO instant, or undefined. */
const instant = (value) => (value ? new Date(value).toISOString() : undefined);

export function render({ client, el }) {
  const app = h('select', { name: 'app' }, h('option', { value: '' }, '全部 all'), APP_KEYS.map((k) => h('option', { value: k }, k)));
  const site = h('input', { name: 'site', placeholder: 'site-001', size: 10 });
  const status = h('select', { name: 'status' }, h('option', { value: '' }, '全部 all'), h('option', { value: 'ok' }, 'ok'),
    h('option', { value: 'error' }, 'error'), h('option', { value: 'rejected' }, 'rejected (4xx)'));
  const from = h('input', { name: 'from', type: 'datetime-local' });
  const to = h('input', { name: 'to', type: 'datetime-local' });
  const list = h('div');
  const detail = h('div', { id: 'runlog-detail' });
  let cursor = null;
  let rows = [];

  const query = () => ({ app: app.value || undefined, site: site.value.trim() || undefined,
    status: status.value || undefined, from: instant(from.value), to: instant(to.value), limit: 50 });

  async function search(more = false) {
    if (!more) { rows = []; cursor = null; clear(detail); }
    clear(list, h('p.muted', '加载中 Loading…'));
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
    const table = h('table', { id: 'runlog-table' },
      // Status, time, app and error first: what a phone shows before the table scrolls.
      h('thead', h('tr', ['Status', '时间 Time', 'App', 'Error', 'Site', 'Cache', 'Attempts', 'Latency', 'Tokens'].map((c) => h('th', c)))),
      h('tbody', rows.map((r) => {
        const tr = h('tr.clickable', { dataset: { id: r.id, status: r.status }, tabindex: 0 },
          h('td', badge(r.status, r.status === 'ok' ? 'ok' : 'error')), h('td', fmtTime(r.at).slice(5)), h('td', r.app),
          h('td', r.error_code || ''), h('td', r.site_id), h('td', r.cache), h('td', r.attempts), h('td', ms(r.latency_ms?.total)),
          h('td', num((r.tokens?.input_tokens || 0) + (r.tokens?.output_tokens || 0))));
        const open = () => {
          table.querySelectorAll('tr.selected').forEach((x) => x.classList.remove('selected'));
          tr.classList.add('selected');
          showDetail(detail, r);
        };
        tr.addEventListener('click', open);
        tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
        return tr;
      })));
    clear(list,
      h('p.muted', `${rows.length} records · ${page.from.slice(0, 19)} → ${page.to.slice(0, 19)} UTC · scanned ${page.scanned}`),
      rows.length ? h('div.table-wrap', table) : h('p', '没有匹配的记录 No matching records.'),
      cursor ? h('button', { onclick: () => search(true), id: 'more' }, '更多 Load more') : null);
  }

  clear(el, h('h1', '运行日志 Run logs'),
    h('section.card', h('form.row', { id: 'runlog-filters', onsubmit: (e) => { e.preventDefault(); search(); } },
      h('label', 'App', app), h('label', '门店 Site', site), h('label', '状态 Status', status),
      h('label', '从 From', from), h('label', '到 To', to), h('button.primary', { type: 'submit' }, '筛选 Filter'))),
    h('div.grid2', h('section.card', list), detail));
  search();
}

function showDetail(el, r) {
  const lat = r.latency_ms || {};
  const failed = r.status === 'error' || r.error_code;
  clear(el, h('section.card', { 'data-record': r.id },
    h('h2', failed ? '失败详情 Failure detail' : '记录详情 Record detail'),
    failed ? h('div.error', { id: 'failure-reason' }, h('strong', r.error_code || 'error'), ` ${r.error_message || ''}`) : null,
    h('dl.kv',
      kv('App', r.app), kv('Site', r.site_id), kv('User', r.user), kv('Time', fmtTime(r.at)),
      kv('Status', r.status), kv('Cache', r.cache), kv('Attempts 尝试次数', r.attempts),
      kv('Prompt version', r.prompt_version || '—'),
      kv('Latency 总耗时', ms(lat.total)), kv('· upstream', ms(lat.upstream)), kv('· first byte', ms(lat.upstream_ttfb)),
      kv('· overhead', ms(lat.overhead)), kv('· queue', ms(lat.queue)),
      kv('Tokens in / out', `${num(r.tokens?.input_tokens)} / ${num(r.tokens?.output_tokens)}`),
      kv('Request id', r.request_id || '—'), kv('Upstream request id', r.upstream_request_id || '—')),
    r.reply_excerpt ? [h('h2', '未通过校验的回复 Reply that failed its schema (excerpt)'), h('pre', { id: 'reply-excerpt' }, r.reply_excerpt)] : null));
}

function kv(key, value) {
  return [h('dt', key), h('dd', value === undefined || value === null ? '—' : String(value))];
}
