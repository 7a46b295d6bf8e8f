// Runtime context: a fixed or offset sandbox clock, global or per site, with its expiry
// counting down, and the audit of who set what.

import { badge, clear, countdown, dataTable, errorBox, every, fmtTime, h, venueInstant } from '../lib/dom.js';
import { t, tl, venueZone } from '../lib/i18n.js';
import { can } from '../lib/session.js';

export function render({ client, el, claims }) {
  // The global clock moves every site: only a platform admin is offered it; a site admin's clock is its own site's.
  const scope = h('select', { name: 'scope' }, h('option', { value: 'site' }, t('runtime.scope.site')),
    can(claims, 'clock.global') ? h('option', { value: 'global' }, t('runtime.scope.global')) : null);
  const site = h('input', { name: 'site_id', value: claims.site_id || '', size: 12, readonly: !claims.platform });
  const mode = h('select', { name: 'mode' }, h('option', { value: 'fixed' }, t('runtime.mode.fixed')), h('option', { value: 'offset' }, t('runtime.mode.offset')));
  const fixedAt = h('input', { name: 'fixed_at', type: 'datetime-local', step: 1 });
  const offset = h('input', { name: 'offset_hours', type: 'number', step: 'any', value: '-24', size: 6 });
  const ttl = h('input', { name: 'ttl_minutes', type: 'number', min: 1, max: 10080, value: 60, size: 6 });
  const reason = h('input', { name: 'reason', value: '控制台沙箱测试', size: 20 });
  const out = h('div');
  const contexts = h('div');
  const audit = h('div');
  const effective = h('div');
  const syncVisibility = () => {
    site.disabled = scope.value !== 'site';
    fixedAt.parentElement.hidden = mode.value !== 'fixed';
    offset.parentElement.hidden = mode.value !== 'offset';
  };
  const submit = async (e) => {
    e.preventDefault();
    const body = { mode: mode.value, scope: scope.value, reason: reason.value.trim(), ttl_seconds: Math.round(Number(ttl.value) * 60) };
    if (scope.value === 'site') body.site_id = site.value.trim();
    if (mode.value === 'fixed') {
      if (!fixedAt.value) { clear(out, h('div.error', t('runtime.pick-time'))); return; }
      body.fixed_at = venueInstant(fixedAt.value); // the venue's wall time, whatever the browser's zone
    } else body.offset_seconds = Number(offset.value) * 3600;
    try {
      await client.admin.runtimeContext.set(body);
      clear(out, h('div.notice', { dataset: { role: 'context-saved' } }, t('runtime.saved')));
      refresh();
    } catch (err) {
      clear(out, errorBox(err, { site_id: t('site'), fixed_at: t('runtime.fixed-at', { tz: venueZone() }), reason: t('reason') }));
    }
  };
  clear(el, h('h1', tl('runtime.title')),
    h('section.card', h('h2', tl('runtime.effective')), effective),
    h('section.card', h('h2', tl('runtime.set')),
      h('form.row', { id: 'context-form', onsubmit: submit, onchange: syncVisibility },
        h('label', t('runtime.scope'), scope), h('label', t('site'), site), h('label', t('runtime.mode'), mode), h('label', t('runtime.fixed-at', { tz: venueZone() }), fixedAt),
        h('label', t('runtime.offset'), offset), h('label', t('runtime.ttl'), ttl), h('label', t('reason'), reason),
        h('button.primary', { type: 'submit' }, tl('runtime.set-button'))), out),
    h('section.card', h('h2', tl('runtime.contexts')), contexts),
    h('section.card', h('h2', tl('runtime.audit')), audit));
  syncVisibility();
  let state = [];
  const drawContexts = () => clear(contexts, state.length ? dataTable([
    [t('runtime.scope'), (c) => t(`runtime.scope.${c.scope}`)],
    [t('site'), (c) => c.site_id || '—'],
    [t('runtime.mode'), (c) => t(`runtime.mode.${c.mode}`)],
    [t('runtime.value'), (c) => (c.mode === 'fixed' ? fmtTime(c.fixed_at) : `${(c.offset_seconds / 3600).toFixed(2)} 小时`)],
    [t('runtime.expires'), (c) => (c.expired ? badge(t('runtime.expired'), 'warn') : countdown(c.expires_at))],
    [t('runtime.set-by'), (c) => `${c.set_by} · ${fmtTime(c.set_at)}`],
    [t('reason'), (c) => c.reason, 'wrap'],
    ['', (c) => (c.scope === 'global' && !can(claims, 'clock.global') ? '' : h('button.danger', { onclick: () => clearContext(c) }, tl('runtime.clear')))],
  ], state, { id: 'contexts', row: (c, tr) => {
    Object.assign(tr.dataset, { scope: c.scope, site: c.site_id || '' });
    tr.children[4].dataset.role = 'countdown';
  } }) : h('p.muted', t('runtime.none')));
  const clearContext = async (c) => {
    try {
      await client.admin.runtimeContext.clear({ scope: c.scope, site_id: c.site_id || undefined });
      refresh();
    } catch (err) {
      clear(out, errorBox(err));
    }
  };
  async function refresh() {
    try {
      const [ctx, log, clock] = await Promise.all([client.admin.runtimeContext.get(), client.admin.runtimeContext.audit({ limit: 20 }), client.clock()]);
      state = ctx.contexts;
      drawContexts();
      clear(effective, clockView(clock));
      clear(audit, log.audit.length ? dataTable([
        [t('time'), (a) => fmtTime(a.at)],
        [t('triggers.action'), (a) => t(`audit.${a.action}`)],
        [t('by'), (a) => a.actor],
        [t('runtime.scope'), (a) => { const c = a.context || {}; const sc = c.scope || a.scope; return `${sc ? t(`runtime.scope.${sc}`) : ''} ${c.site_id || a.site_id || ''}`; }],
        [t('triggers.what'), (a) => { const c = a.context || {}; return c.mode === 'fixed' ? `${t('runtime.mode.fixed')} ${fmtTime(c.fixed_at)}` : c.mode === 'offset' ? `${t('runtime.mode.offset')} ${(c.offset_seconds / 3600).toFixed(2)} 小时` : '—'; }],
      ], log.audit, { id: 'audit' }) : h('p.muted', t('runtime.no-audit')));
    } catch (err) {
      clear(contexts, errorBox(err));
    }
  }
  refresh();
  every(el, 1, () => {
    contexts.querySelectorAll('[data-role=countdown]').forEach((td, i) => { if (state[i] && !state[i].expired) td.textContent = countdown(state[i].expires_at); });
  });
  every(el, 5, () => client.clock().then((clock) => clear(effective, clockView(clock))).catch(() => {}));
}

export function clockView(clock) {
  return h('div.clockbar', { id: 'clock', dataset: { date: clock.business_date, sandbox: String(clock.sandbox) } },
    h('span', t('clock.business-date', { date: clock.business_date })), h('span', t('clock.now', { now: fmtTime(clock.now, clock.tz), tz: clock.tz })),
    clock.sandbox ? badge(t('clock.sandbox', { scope: t(`runtime.scope.${clock.scope}`), mode: t(`runtime.mode.${clock.mode}`), until: fmtTime(clock.expires_at, clock.tz) }), 'warn')
      : badge(t('clock.real'), 'ok'));
}
