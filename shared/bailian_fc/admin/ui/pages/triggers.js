// Triggers / trigger manager: jobs with last and next runs, enable/disable, cron edit with a
// live preview, run now, and each run's result with its per-item failures.

import { badge, clear, errorBox, fmtTime, h, num } from '../lib/dom.js';

export function render({ client, el }) {
  const list = h('div');
  clear(el, h('h1', '触发器 Triggers'), list);
  load(client, list);
}

async function load(client, list) {
  clear(list, h('p.muted', '加载中 Loading…'));
  try {
    const { jobs } = await client.admin.triggers.list();
    clear(list, jobs.map((job) => jobCard(client, job)));
  } catch (err) {
    clear(list, errorBox(err));
  }
}

function jobCard(client, initial) {
  let job = initial;
  const card = h('section.card', { dataset: { job: job.name } });
  const runs = h('div.runs');
  const draw = () => {
    const cron = h('input', { name: 'cron', value: job.cron, size: 22, 'aria-label': 'cron', spellcheck: 'false' });
    const tz = h('input', { name: 'tz', value: job.tz, size: 14, 'aria-label': 'time zone' });
    const preview = h('div.preview', { dataset: { role: 'preview' } }, fires(job.next_fire_times, job.tz));
    const message = h('div');
    const save = h('button.primary', { dataset: { role: 'save' } }, '保存 Save');
    let timer = null;
    let valid = true;
    const check = () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        try {
          const p = await client.admin.cronPreview(cron.value.trim(), tz.value.trim() || undefined);
          valid = true;
          save.disabled = false;
          clear(preview, h('small.muted', `预览 Preview (${p.tz})`), fires(p.next_fire_times, p.tz));
        } catch (err) {
          valid = false;
          save.disabled = true;
          clear(preview, h('div.error', { dataset: { role: 'cron-error' } }, `${err.code}: ${err.message}`));
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
        clear(card.querySelector('[data-role=message]'), h('div.notice', { dataset: { role: 'saved' } }, `已保存 Saved: ${job.cron} (${job.tz})`));
      } catch (err) {
        clear(message, errorBox(err));
      }
    });
    const toggle = h('button', { dataset: { role: 'toggle' }, onclick: async () => {
      try {
        job = await client.admin.triggers.update(job.name, { enabled: !job.enabled });
        draw();
      } catch (err) { clear(message, errorBox(err)); }
    } }, job.enabled ? '停用 Disable' : '启用 Enable');
    const site = h('input', { name: 'site', placeholder: 'site (optional)', size: 12 });
    const force = h('input', { type: 'checkbox', name: 'force' });
    const lastCell = h('dd', { dataset: { role: 'last' } }, lastRun(job));
    const refreshLast = async () => {
      try { job = await client.admin.triggers.get(job.name); clear(lastCell, lastRun(job)); } catch (_) { /* shown on reload */ }
    };
    const runNow = h('button', { dataset: { role: 'run' }, onclick: () => runJob(client, job, site.value.trim(), force.checked, message, runs, refreshLast) },
      '立即运行 Run now');
    clear(card,
      h('div.row', h('h2', job.name), badge(job.enabled ? 'enabled' : 'disabled', job.enabled ? 'ok' : 'warn'), toggle),
      h('p.muted', job.description),
      h('dl.kv', h('dt', '上次 Last run'), lastCell,
      h('dt', '更新 Updated'), h('dd', job.updated_at ? `${fmtTime(job.updated_at, job.tz)} by ${job.updated_by || '—'}` : '—')),
      h('div.row', h('label', 'Cron (sec min hour day month weekday)', cron), h('label', 'Time zone', tz), save),
      preview,
      // The server's check of the schedule against the business-day start (a prewarm firing before it
      // fills the closing day); shown after a save too, since the answer carries it.
      (job.warnings || []).map((w) => h('div.notice.warn', { dataset: { role: 'day-start-warning' } }, `⚠ 早于营业日开始 Before day start: ${w}`)),
      h('div.row', h('label', '门店 Site', site), h('label.inline', force, '强制 force'), runNow),
      h('div', { dataset: { role: 'message' } }, message),
      runs);
    showRuns(client, job, runs);
  };
  draw();
  return card;
}

function lastRun(job) {
  const last = job.last_run;
  return last ? [badge(last.status, last.status === 'ok' ? 'ok' : 'error'),
    ` ${fmtTime(last.at, job.tz)} · ${last.trigger} · ${last.duration_ms ?? '—'} ms`] : '—';
}

function fires(times, tz) {
  return h('ol.fires', (times || []).map((t) => h('li', `${fmtTime(t, tz)} (${tz})`)));
}

async function runJob(client, job, site, force, message, runs, onFinished) {
  try {
    const before = new Set((await client.admin.triggers.runs(job.name, { limit: 50 })).runs.map((r) => r.id));
    const answer = await client.admin.triggers.run(job.name, { site_id: site || undefined, force });
    // started "now": FC is running it (or dev, in-process); "queued": the next timer tick runs it.
    clear(message, answer.started === 'now'
      ? h('div.notice', { dataset: { role: 'started' } }, `已开始 Started now (${answer.invocation_id}).`)
      : h('div.notice', { dataset: { role: 'queued' } },
        `已排队 Queued ${answer.queue_id} — the prewarm function runs it on its next tick (${answer.reason}).`));
    const poll = async (tries) => {
      if (!message.isConnected || tries <= 0) return;
      const { runs: latest } = await client.admin.triggers.runs(job.name, { limit: 10 });
      const fresh = latest.find((r) => !before.has(r.id));
      if (fresh) {
        clear(message, h('div.notice', { dataset: { role: 'run-result', status: fresh.status } },
          `运行完成 Run finished: ${fresh.status} · ${fresh.duration_ms ?? '—'} ms`));
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
    clear(el, h('h2', '最近运行 Recent runs'), runs.length ? h('div.table-wrap', h('table',
      h('thead', h('tr', ['Started', 'Trigger', 'Status', 'Duration', 'Result', 'By'].map((c) => h('th', c)))),
      h('tbody', runs.map((r) => runRows(r, job.tz))))) : h('p.muted', '还没有运行 No runs yet.'));
  } catch (err) {
    clear(el, errorBox(err));
  }
}

function runRows(r, tz) {
  const s = r.summary || {};
  const result = r.error ? r.error
    : s.total !== undefined ? `${num(s.done)}/${num(s.total)} done · computed ${num(s.computed)} · skipped ${num(s.skipped)} · failures ${num(s.failures)}`
      : JSON.stringify(s).slice(0, 120);
  const rows = [h('tr', { dataset: { run: r.id } }, h('td', fmtTime(r.started_at || r.slot, tz)), h('td', r.trigger),
    h('td', badge(r.status, r.status === 'ok' ? 'ok' : 'error')), h('td', `${r.duration_ms ?? '—'} ms`), h('td', result), h('td', r.by || ''))];
  for (const f of s.failed || []) {
    rows.push(h('tr.failure', h('td'), h('td', { colspan: 5 }, `✗ ${f.app} ${f.site_id} ${f.range}${f.area ? ` ${f.area}` : ''}: ${f.code || ''} ${f.message || ''}`)));
  }
  return rows;
}
