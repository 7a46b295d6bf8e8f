// Operations: cache purge by site/app, prewarm progress, and the run-now queue.

import { clear, errorBox, every, fmtTime, h, num } from '../lib/dom.js';

export function render({ client, el }) {
  const app = h('select', { name: 'app' }, h('option', { value: '' }, '全部应用 any app'));
  const site = h('input', { name: 'site', placeholder: 'site-001', size: 12 });
  const purgeOut = h('div');
  const progress = h('div');
  const queue = h('div');
  client.admin.appSchemas().then(({ apps }) => apps.forEach((a) => app.append(h('option', { value: a.key }, `${a.key} ${a.title}`))))
    .catch(() => {});
  const purge = async (e) => {
    e.preventDefault();
    try {
      const out = await client.admin.purgeCache({ app: app.value || undefined, site_id: site.value.trim() || undefined });
      clear(purgeOut, h('div.notice', { dataset: { role: 'purged' } }, `已清除 Deleted ${out.deleted} cache entries.`));
    } catch (err) {
      clear(purgeOut, errorBox(err));
    }
  };
  clear(el, h('h1', '运维 Operations'),
    h('section.card', h('h2', '清除缓存 Cache purge'),
      h('form.row', { onsubmit: purge }, h('label', 'App', app), h('label', '门店 Site', site),
        h('button.danger', { type: 'submit' }, '清除 Purge')), purgeOut),
    h('div.grid2', h('section.card', h('h2', '预热进度 Prewarm progress'), progress),
      h('section.card', h('h2', '立即运行队列 Run-now queue'), queue)));
  const refresh = () => { loadProgress(client, progress); loadQueue(client, queue); };
  refresh();
  every(el, 3, refresh);
}

async function loadProgress(client, el) {
  try {
    const { runs } = await client.admin.triggers.runs('app2_prewarm', { limit: 5 });
    if (!runs.length) { clear(el, h('p.muted', '还没有预热运行 No prewarm run yet.')); return; }
    clear(el, runs.map((r) => {
      const s = r.summary || {};
      const share = s.total ? Math.min(1, (s.done || 0) / s.total) : r.status === 'ok' ? 1 : 0;
      const bar = h('div.progress', h('div'));
      bar.firstChild.style.width = `${Math.round(share * 100)}%`;
      return h('div', { dataset: { run: r.id } },
        h('p', `${fmtTime(r.started_at || r.slot)} · ${r.trigger} · ${r.status}${s.complete === false ? ' · 未完成 continues next tick' : ''}`),
        bar,
        h('p.muted', s.total !== undefined ? `${num(s.done)}/${num(s.total)} · computed ${num(s.computed)} · skipped ${num(s.skipped)} · failures ${num(s.failures)}`
          : r.error || ''));
    }));
  } catch (err) {
    clear(el, errorBox(err));
  }
}

async function loadQueue(client, el) {
  try {
    const { queued } = await client.admin.queue();
    clear(el, queued.length ? h('div.table-wrap', h('table', { id: 'queue' },
      h('thead', h('tr', ['Queued', 'Job', 'Site', 'Force', 'By'].map((c) => h('th', c)))),
      h('tbody', queued.map((q) => h('tr', h('td', fmtTime(q.queued_at)), h('td', q.job), h('td', q.site_id || 'all'),
        h('td', q.force ? 'yes' : ''), h('td', q.queued_by)))))) : h('p.muted', '队列为空 The queue is empty.'));
  } catch (err) {
    clear(el, errorBox(err));
  }
}
