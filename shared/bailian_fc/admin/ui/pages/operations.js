// Operations: cache purge by site/app (confirmed first), prewarm progress, and the run-now queue.

import { catalogue } from '../lib/catalogue.js';
import { budgetCard } from './budget.js';
import { confirmAction } from '../lib/confirm.js';
import { clear, dataTable, errorBox, every, fmtTime, h, num } from '../lib/dom.js';
import { t, tl } from '../lib/i18n.js';

export function render({ client, el, claims }) {
  const app = h('select', { name: 'app' }, h('option', { value: '' }, t('ops.any-app')));
  // A site admin purges its own site (the default: every app there); a platform admin names a
  // site or leaves it empty for every site, with an app picked (the server refuses "everything").
  const site = h('input', { name: 'site', size: 12, value: claims.platform ? undefined : claims.site_id,
    placeholder: claims.platform ? t('ops.site-help') : undefined });
  const purgeOut = h('div');
  const progress = h('div');
  const queue = h('div');
  catalogue(client).then((apps) => {
    const single = apps.filter((a) => a.mode === 'single');
    single.forEach((a) => app.append(h('option', { value: a.key }, a.title)));
    if (claims.platform && single.length) app.value = single[0].key; // a valid default: one app, every site
  }).catch(() => {});
  const purge = async (e) => {
    e.preventDefault();
    const body = { app: app.value || undefined, site_id: site.value.trim() || undefined };
    if (!body.app && !body.site_id) { clear(purgeOut, h('div.error', { dataset: { role: 'pick-target' } }, t('ops.pick-target'))); return; }
    const appText = app.value ? app.selectedOptions[0].textContent : t('ops.any-app');
    if (!(await confirmAction(t('ops.confirm-purge', { app: appText, site: body.site_id || t('ops.every-site') })))) return;
    try {
      const out = await client.admin.purgeCache(body);
      clear(purgeOut, h('div.notice', { dataset: { role: 'purged', deleted: out.deleted } }, t('ops.purged', { n: out.deleted })));
    } catch (err) {
      clear(purgeOut, errorBox(err, { site_id: t('site'), app: t('app') }));
    }
  };
  clear(el, h('h1', tl('ops.title')),
    h('section.card', h('h2', tl('ops.purge')),
      h('form.row', { onsubmit: purge, id: 'purge-form' }, h('label', t('app'), app), h('label', t('site'), site),
        h('button.danger', { type: 'submit' }, tl('ops.purge-button'))), purgeOut),
    budgetCard(client, claims),
    h('div.grid2', h('section.card', h('h2', tl('ops.prewarm')), progress),
      h('section.card', h('h2', tl('ops.queue')), queue)));
  const refresh = () => { loadProgress(client, progress); loadQueue(client, queue); };
  refresh();
  every(el, 3, refresh);
}

async function loadProgress(client, el) {
  try {
    const { runs } = await client.admin.triggers.runs('app2_prewarm', { limit: 5 });
    if (!runs.length) { clear(el, h('p.muted', t('ops.no-prewarm'))); return; }
    clear(el, runs.map((r) => {
      const s = r.summary || {};
      const share = s.total ? Math.min(1, (s.done || 0) / s.total) : r.status === 'ok' ? 1 : 0;
      const bar = h('div.progress', h('div'));
      bar.firstChild.style.width = `${Math.round(share * 100)}%`;
      return h('div', { dataset: { run: r.id } },
        h('p', `${fmtTime(r.started_at || r.slot)} · ${t(`triggers.${r.trigger}`)} · ${t(`status.${r.status}`)}`,
          s.complete === false ? [' · ', t('ops.continues'), h('small.en', 'continues next tick')] : null),
        bar,
        h('p.muted', s.total !== undefined ? t('triggers.progress', { done: num(s.done), total: num(s.total), computed: num(s.computed),
          skipped: num(s.skipped), failures: num(s.failures) }) : r.error || ''));
    }));
  } catch (err) {
    clear(el, errorBox(err));
  }
}

async function loadQueue(client, el) {
  try {
    const { queued } = await client.admin.queue();
    clear(el, queued.length ? dataTable([
      [t('ops.queued-at'), (q) => fmtTime(q.queued_at)],
      [t('triggers.job'), (q) => q.job],
      [t('site'), (q) => q.site_id || t('ops.every-site')],
      [t('ops.force'), (q) => (q.force ? t('yes') : '')],
      [t('by'), (q) => q.queued_by],
    ], queued, { id: 'queue' }) : h('p.muted', { dataset: { role: 'queue-empty' } }, t('ops.queue-empty')));
  } catch (err) {
    clear(el, errorBox(err));
  }
}
