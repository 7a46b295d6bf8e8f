// Triggers / trigger manager: jobs with last and next runs, enable/disable (confirmed), cron edit
// with a live preview, payload edit checked against the job kind's schema, run now, create and
// remove jobs, and the audit of who changed which job.

import { badge, clear, dataTable, errorBox, fmtTime, h, num } from '../lib/dom.js';
import { confirmAction } from '../lib/confirm.js';
import { titles } from '../lib/catalogue.js';
import { enumLabel, t, tl } from '../lib/i18n.js';
import { schemaForm } from '../lib/schema-form.js';
import { can } from '../lib/session.js';

const jobsApi = (client) => ({
  kinds: () => client.call('GET', '/admin/jobs/kinds'),
  audit: (limit = 20) => client.call('GET', '/admin/jobs/audit', { query: { limit } }),
  create: (body) => client.call('POST', '/admin/triggers', { body }),
  remove: (name) => client.call('DELETE', `/admin/triggers/${encodeURIComponent(name)}`),
});

export function render({ client, el, claims }) {
  const list = h('div');
  const create = h('div');
  const offered = h('div');
  const added = h('div'); // outside the offer card: it is gone once nothing is left to offer
  const audit = h('section.card', { id: 'jobs-audit-card' });
  const ctx = { client, claims, api: jobsApi(client), kinds: {}, names: {}, list, offered, added, audit };
  clear(el, h('h1', tl('triggers.title')), offered, added, create, list, audit);
  Promise.all([
    ctx.api.kinds().then(({ kinds }) => { ctx.kinds = Object.fromEntries(kinds.map((k) => [k.kind, k])); }),
    titles(client).then((names) => { ctx.names = names; }),
  ]).catch(() => {}).finally(() => { if (can(claims, 'trigger.create')) clear(create, createForm(ctx)); load(ctx); loadAudit(ctx); });
}

async function load(ctx) {
  clear(ctx.list, h('p.muted', t('loading')));
  try {
    const { jobs, available } = await ctx.client.admin.triggers.list();
    clear(ctx.list, jobs.map((job) => jobCard(ctx, job)));
    clear(ctx.offered, (available || []).length ? availableCard(ctx, available) : []);
  } catch (err) {
    clear(ctx.list, errorBox(err));
  }
}

async function loadAudit(ctx) {
  try {
    const { audit } = await ctx.api.audit(20);
    clear(ctx.audit, h('h2', tl('triggers.audit')), audit.length ? dataTable([
      [t('time'), (a) => fmtTime(a.at)],
      [t('triggers.action'), (a) => t(`audit.${a.action}`)],
      [t('triggers.job'), (a) => a.job],
      [t('by'), (a) => a.actor],
      [t('triggers.what'), (a) => auditWhat(a), 'wrap'],
    ], audit, { id: 'jobs-audit', row: (a, tr) => Object.assign(tr.dataset, { action: a.action, auditJob: a.job }) })
      : h('p.muted', t('triggers.no-audit')));
  } catch (err) {
    clear(ctx.audit, errorBox(err));
  }
}

// Defaults a later release added (listed for a platform admin only): each is the exact create body,
// so adding one is one click; nothing is created unasked.
function availableCard(ctx, available) {
  const message = ctx.added;
  const add = (body) => async () => {
    try {
      const job = await ctx.api.create(body);
      clear(message, h('div.notice', { dataset: { role: 'created' } }, t('triggers.created', { job: job.name })));
      load(ctx);
      loadAudit(ctx);
    } catch (err) {
      clear(message, errorBox(err));
    }
  };
  return h('section.card', { id: 'jobs-available' }, h('h2', tl('triggers.available')),
    available.map((body) => h('div.row', { dataset: { available: body.name } },
      h('span', `${ctx.kinds[body.kind]?.title || body.kind}（${body.name}）· ${body.cron} ${body.tz || ''}`),
      h('button.primary', { dataset: { role: 'add-default' }, onclick: add(body) }, t('triggers.add-default')))));
}

function auditWhat(a) {
  if (a.changes) return Object.entries(a.changes).map(([k, v]) => `${k}: ${JSON.stringify(v.from)} → ${JSON.stringify(v.to)}`).join('；');
  const d = a.definition || {};
  return `${d.cron || ''} ${d.tz || ''} ${JSON.stringify(d.payload || {})}`;
}

function payloadHelp(kind) {
  const props = kind?.payload_schema?.properties || {};
  const fields = Object.entries(props).map(([k, p]) => `${k}（${p.title || k}）`).join('、');
  return fields ? t('triggers.payload-help', { fields }) : t('none');
}

function parsePayload(text) {
  if (!text.trim()) return {};
  try {
    const v = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v;
  } catch (_) { /* reported below */ }
  return null;
}

function createForm(ctx) {
  const name = h('input', { name: 'name', placeholder: 'prewarm_site2', pattern: '[a-z][a-z0-9_-]{0,62}', required: true });
  const kind = h('select', { name: 'kind' }, Object.values(ctx.kinds).map((k) => h('option', { value: k.kind }, k.title)));
  const cron = h('input', { name: 'cron', value: '0 0 6 * * *', spellcheck: 'false' });
  const tz = h('input', { name: 'tz', value: 'Asia/Shanghai', size: 14 });
  const description = h('input', { name: 'description', maxlength: 500 });
  const payload = h('textarea', { name: 'payload', spellcheck: 'false', placeholder: '{}' });
  const help = h('small.muted');
  const enabled = h('input', { type: 'checkbox', name: 'enabled' });
  const message = h('div');
  const syncHelp = () => clear(help, payloadHelp(ctx.kinds[kind.value]));
  kind.addEventListener('change', syncHelp);
  syncHelp();
  const submit = async (e) => {
    e.preventDefault();
    const body = parsePayload(payload.value);
    if (body === null) { clear(message, h('div.error', t('triggers.payload-json'))); return; }
    try {
      const job = await ctx.api.create({ name: name.value.trim(), kind: kind.value, cron: cron.value.trim(), tz: tz.value.trim() || undefined,
        description: description.value.trim(), payload: body, enabled: enabled.checked });
      clear(message, h('div.notice', { dataset: { role: 'created' } }, t('triggers.created', { job: job.name }), ' ', estimateText(job.estimate)));
      name.value = '';
      load(ctx);
      loadAudit(ctx);
    } catch (err) {
      clear(message, errorBox(err, { name: t('triggers.name'), cron: 'Cron', payload: t('triggers.payload') }));
    }
  };
  return h('details.card', { id: 'job-create' }, h('summary', tl('triggers.create')),
    h('form', { onsubmit: submit, id: 'job-create-form' },
      h('div.row', h('label', t('triggers.name'), name), h('label', t('triggers.kind'), kind),
        h('label', t('triggers.cron'), cron), h('label', t('triggers.tz'), tz)),
      h('div.row', h('label', t('triggers.description'), description)),
      h('div.payload', h('label', t('triggers.payload'), payload), help),
      h('div.row', h('label.inline', enabled, t('triggers.enable-now')), h('button.primary', { type: 'submit' }, tl('triggers.create'))),
      message));
}

function jobCard(ctx, initial) {
  const { client } = ctx;
  let job = initial;
  const card = h('section.card', { dataset: { job: job.name } });
  const runs = h('div.runs');
  const draw = () => {
    const kind = ctx.kinds[job.kind] || null;
    card.dataset.enabled = String(job.enabled);
    const cron = h('input', { name: 'cron', value: job.cron, size: 22, 'aria-label': 'cron', spellcheck: 'false' });
    const tz = h('input', { name: 'tz', value: job.tz, size: 14, 'aria-label': t('triggers.tz') });
    const preview = h('div.preview', { dataset: { role: 'preview' } }, fires(job.next_fire_times, job.tz));
    const message = h('div');
    const save = h('button.primary', { dataset: { role: 'save' } }, tl('save'));
    let timer = null;
    let valid = true;
    const check = () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        try {
          const p = await client.admin.cronPreview(cron.value.trim(), tz.value.trim() || undefined);
          valid = true;
          save.disabled = false;
          clear(preview, h('small.muted', t('triggers.preview', { tz: p.tz })), fires(p.next_fire_times, p.tz));
        } catch (err) {
          valid = false;
          save.disabled = true;
          clear(preview, h('div.error', { dataset: { role: 'cron-error' } }, `${t('err.InvalidCron')} [${err.code}]: ${err.message}`));
        }
      }, 250);
    };
    cron.addEventListener('input', check);
    tz.addEventListener('input', check);
    save.addEventListener('click', async () => {
      if (!valid) return;
      try {
        job = await client.admin.triggers.update(job.name, { cron: cron.value.trim(), tz: tz.value.trim() });
        draw();
        clear(card.querySelector('[data-role=message]'), h('div.notice', { dataset: { role: 'saved' } }, t('triggers.saved', { cron: job.cron, tz: job.tz })));
        loadAudit(ctx);
      } catch (err) {
        clear(message, errorBox(err));
      }
    });
    const toggle = h('button', { dataset: { role: 'toggle' }, onclick: async () => {
      const ask = [t(job.enabled ? 'triggers.confirm-disable' : 'triggers.confirm-enable', { job: kind?.title ? `${kind.title} · ${job.name}` : job.name }),
        job.enabled ? '' : ` ${estimateText(job.estimate)}`].join('');
      if (!(await confirmAction(ask, { danger: job.enabled }))) return;
      try {
        job = await client.admin.triggers.update(job.name, { enabled: !job.enabled });
        draw();
        loadAudit(ctx);
      } catch (err) { clear(message, errorBox(err)); }
    } }, tl(job.enabled ? 'triggers.disable' : 'triggers.enable'));
    const remove = h('button.danger', { dataset: { role: 'remove' }, onclick: async () => {
      if (!(await confirmAction(t('triggers.confirm-remove', { job: job.name })))) return;
      try {
        await ctx.api.remove(job.name);
        card.replaceWith(h('div.notice', { dataset: { role: 'removed' } }, t('triggers.removed', { job: job.name })));
        loadAudit(ctx);
      } catch (err) { clear(message, errorBox(err)); }
    } }, tl('triggers.remove'));
    // The payload as a form from the kind's schema (Chinese labels); raw JSON for a kind this
    // console does not know. Either way the server checks it against the kind's model.
    const fields = Object.keys(kind?.payload_schema?.properties || {}).length;
    const form = fields ? schemaForm(kind.payload_schema, { initial: job.payload || {}, enumLabels: { apps: ctx.names } }) : null;
    const payload = form ? form.el : h('textarea', { name: 'payload', spellcheck: 'false', value: JSON.stringify(job.payload || {}) });
    const payloadSave = h('button', { dataset: { role: 'payload-save' }, onclick: async () => {
      const body = form ? form.value() : parsePayload(payload.value);
      if (body === null) { clear(message, h('div.error', t('triggers.payload-json'))); return; }
      try {
        job = await client.admin.triggers.update(job.name, { payload: body });
        draw();
        clear(card.querySelector('[data-role=message]'), h('div.notice', { dataset: { role: 'payload-saved' } }, t('triggers.saved', { cron: job.cron, tz: job.tz })));
        loadAudit(ctx);
      } catch (err) { clear(message, errorBox(err, { payload: t('triggers.payload') })); }
    } }, tl('triggers.payload-save'));
    // Only what this admin may do is drawn (lib/session.js can()); a site admin runs a per-site
    // job for its own site, so its site field is that site and not editable.
    const may = (action) => can(ctx.claims, action, job);
    const platform = Boolean(ctx.claims.platform);
    const site = h('input', { name: 'site', size: 12, placeholder: t('ops.site-help'),
      value: platform ? undefined : ctx.claims.site_id, readonly: !platform });
    const force = h('input', { type: 'checkbox', name: 'force' });
    const lastCell = h('dd', { dataset: { role: 'last' } }, lastRun(job));
    const refreshLast = async () => {
      try { job = await client.admin.triggers.get(job.name); clear(lastCell, lastRun(job)); } catch (_) { /* shown on reload */ }
    };
    const runNow = h('button', { dataset: { role: 'run' }, onclick: () => runJob(client, job, site.value.trim(), force.checked, message, runs, refreshLast) },
      tl('triggers.run'));
    clear(card,
      h('div.job-head', h('h2', kind?.title || job.name), h('code', job.name),
        badge(t(job.enabled ? 'triggers.enabled' : 'triggers.disabled'), job.enabled ? 'ok' : 'warn'), h('span.spacer'),
        may('trigger.toggle') ? toggle : null, may('trigger.remove') ? remove : null),
      h('p', kind?.description || job.description, kind && job.description ? h('small.en', job.description) : null),
      h('dl.kv', h('dt', t('triggers.last')), lastCell,
        h('dt', t('triggers.estimate')), h('dd', { dataset: { role: 'estimate', calls: job.estimate?.calls_per_day ?? '' } }, estimateText(job.estimate)),
        h('dt', t('triggers.updated')), h('dd', job.updated_at ? t('triggers.updated-by', { at: fmtTime(job.updated_at, job.tz), by: job.updated_by || '—' }) : '—')),
      may('trigger.edit') ? h('div.row', h('label', t('triggers.cron'), cron), h('label', t('triggers.tz'), tz), save)
        : h('dl.kv', h('dt', t('triggers.cron')), h('dd', h('code', job.cron)), h('dt', t('triggers.tz')), h('dd', job.tz)),
      preview,
      // The server's check of the schedule against the business-day start (a prewarm firing before it
      // fills the closing day); shown after a save too, since the answer carries it.
      (job.warnings || []).map((w) => h('div.notice.warn', { dataset: { role: 'day-start-warning' } }, `⚠ ${t('triggers.beforeDayStart')}: ${w}`)),
      // A kind without payload fields has nothing to edit (its model refuses any key).
      !may('trigger.edit') ? (Object.keys(job.payload || {}).length ? h('dl.kv', { dataset: { role: 'payload' } }, h('dt', t('triggers.payload')),
        h('dd', h('code', JSON.stringify(job.payload)))) : null)
        : kind && !Object.keys(kind.payload_schema?.properties || {}).length && !Object.keys(job.payload || {}).length ? null
        : h('div.payload', { dataset: { role: 'payload' } }, form ? h('fieldset', h('legend', t('triggers.payload')), payload)
          : [h('label', t('triggers.payload'), payload), h('small.muted', payloadHelp(kind))], h('div.row', payloadSave)),
      // A job over the whole store ignores a site: it is offered one only when it acts per site.
      may('trigger.run') ? h('div.row', job.per_site ? h('label', t('site'), site) : null, h('label.inline', force, t('triggers.force')), runNow) : null,
      h('div', { dataset: { role: 'message' } }, message),
      runs);
    showRuns(client, job, runs);
  };
  draw();
  return card;
}

/** Upstream calls a day the job would make enabled (the server refuses it above JOB_MAX_CALLS_PER_DAY). */
function estimateText(e) {
  if (!e || e.calls_per_day === undefined) return '—';
  return t('triggers.estimate-value', { calls: num(e.calls_per_day), fires: num(e.fires_per_day), per: num(e.calls_per_fire) });
}

function lastRun(job) {
  const last = job.last_run;
  return last ? [badge(t(`status.${last.status}`), last.status === 'ok' ? 'ok' : 'error'),
    ` ${fmtTime(last.at, job.tz)} · ${t(`triggers.${last.trigger}`)} · ${last.duration_ms ?? '—'} ms`] : '—';
}

function fires(times, tz) {
  return h('ol.fires', (times || []).map((v) => h('li', `${fmtTime(v, tz)} (${tz})`)));
}

async function runJob(client, job, site, force, message, runs, onFinished) {
  try {
    const before = new Set((await client.admin.triggers.runs(job.name, { limit: 50 })).runs.map((r) => r.id));
    const answer = await client.admin.triggers.run(job.name, { site_id: site || undefined, force });
    // started "now": FC is running it (or dev, in-process); "queued": the next timer tick runs it.
    clear(message, answer.started === 'now'
      ? h('div.notice', { dataset: { role: 'started' } }, t('triggers.started', { id: answer.invocation_id }))
      : h('div.notice', { dataset: { role: 'queued' } }, t('triggers.queued', { id: answer.queue_id, reason: answer.reason })));
    const poll = async (tries) => {
      if (!message.isConnected || tries <= 0) return;
      const { runs: latest } = await client.admin.triggers.runs(job.name, { limit: 10 });
      // A run is recorded "running" when it starts: wait for its final record.
      const fresh = latest.find((r) => !before.has(r.id) && r.status !== 'running');
      if (fresh) {
        clear(message, h('div.notice', { dataset: { role: 'run-result', status: fresh.status } },
          t('triggers.finished', { status: t(`status.${fresh.status}`), ms: fresh.duration_ms ?? '—' })));
        showRuns(client, job, runs);
        onFinished();
        return;
      }
      setTimeout(() => poll(tries - 1), 1500);
    };
    poll(400);
  } catch (err) {
    clear(message, errorBox(err));
  }
}

async function showRuns(client, job, el) {
  try {
    const { runs } = await client.admin.triggers.runs(job.name, { limit: 10 });
    clear(el, h('h2', tl('triggers.runs')), runs.length ? dataTable([
      [t('triggers.started-at'), (r) => fmtTime(r.started_at || r.slot, job.tz)],
      [t('triggers.trigger'), (r) => t(`triggers.${r.trigger}`)],
      [t('status'), (r) => badge(t(`status.${r.status}`), r.status === 'ok' ? 'ok' : 'error')],
      [t('triggers.duration'), (r) => `${r.duration_ms ?? '—'} ms`],
      [t('triggers.result'), (r) => runResult(r), 'wrap'],
      // Who acted: the admin's sub for a manual run; a timer run was the schedule's.
      [t('by'), (r) => (r.trigger === 'timer' ? t('triggers.timer') : r.by || '—')],
    ], runs, { row: (r, tr) => { tr.dataset.run = r.id; return failures(r); } }) : h('p.muted', t('triggers.no-runs')));
  } catch (err) {
    clear(el, errorBox(err));
  }
}

function runResult(r) {
  const s = r.summary || {};
  if (r.error) return r.error;
  if (s.total !== undefined) {
    return t('triggers.progress', { done: num(s.done), total: num(s.total), computed: num(s.computed), skipped: num(s.skipped), failures: num(s.failures) });
  }
  return JSON.stringify(s).slice(0, 120);
}

function failures(r) {
  return ((r.summary || {}).failed || []).map((f) => h('tr.failure', h('td', { colspan: 6 },
    `✗ ${f.app} ${f.site_id} ${enumLabel('range', f.range)}（${f.range}）${f.area ? ` ${f.area}` : ''}: ${f.code || ''} ${f.message || ''}`)));
}
