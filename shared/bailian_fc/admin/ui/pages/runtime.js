// Runtime context: a fixed or offset sandbox clock, global or per site, with its expiry
// counting down, and the audit of who set what.

import { badge, clear, countdown, errorBox, every, fmtTime, h } from '../lib/dom.js';

export function render({ client, el, claims }) {
  const scope = h('select', { name: 'scope' }, h('option', { value: 'site' }, '门店 site'), h('option', { value: 'global' }, '全局 global'));
  const site = h('input', { name: 'site_id', value: claims.site_id || 'site-001', size: 12 });
  const mode = h('select', { name: 'mode' }, h('option', { value: 'fixed' }, '固定 fixed'), h('option', { value: 'offset' }, '偏移 offset'));
  const fixedAt = h('input', { name: 'fixed_at', type: 'datetime-local', step: 1 });
  const offset = h('input', { name: 'offset_hours', type: 'number', step: 'any', value: '-24', size: 6 });
  const ttl = h('input', { name: 'ttl_minutes', type: 'number', min: 1, max: 10080, value: 60, size: 6 });
  const reason = h('input', { name: 'reason', value: 'console sandbox', size: 20 });
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
      if (!fixedAt.value) { clear(out, h('div.error', 'Pick the fixed time 请选择固定时间')); return; }
      body.fixed_at = new Date(fixedAt.value).toISOString();
    } else body.offset_seconds = Number(offset.value) * 3600;
    try {
      await client.admin.runtimeContext.set(body);
      clear(out, h('div.notice', { dataset: { role: 'context-saved' } }, '已设置 Set.'));
      refresh();
    } catch (err) {
      clear(out, errorBox(err));
    }
  };
  clear(el, h('h1', '运行时钟 Runtime context'),
    h('section.card', h('h2', '当前有效时间 Effective clock (your token’s site)'), effective),
    h('section.card', h('h2', '设置沙箱时钟 Set a sandbox clock'),
      h('form.row', { id: 'context-form', onsubmit: submit, onchange: syncVisibility },
        h('label', 'Scope', scope), h('label', 'Site', site), h('label', 'Mode', mode), h('label', '固定时间 Fixed at (your browser time)', fixedAt),
        h('label', '偏移小时 Offset hours', offset), h('label', '有效分钟 TTL minutes', ttl), h('label', '原因 Reason', reason),
        h('button.primary', { type: 'submit' }, '设置 Set')), out),
    h('section.card', h('h2', '沙箱 Contexts'), contexts),
    h('section.card', h('h2', '审计 Audit'), audit));
  syncVisibility();
  let state = [];
  const drawContexts = () => clear(contexts, state.length ? h('div.table-wrap', h('table', { id: 'contexts' },
    h('thead', h('tr', ['Scope', 'Site', 'Mode', 'Value', 'Expires in', 'Set by', 'Reason', ''].map((c) => h('th', c)))),
    h('tbody', state.map((c) => h('tr', { dataset: { scope: c.scope, site: c.site_id || '' } },
      h('td', c.scope), h('td', c.site_id || '—'), h('td', c.mode),
      h('td', c.mode === 'fixed' ? fmtTime(c.fixed_at) : `${(c.offset_seconds / 3600).toFixed(2)} h`),
      h('td', { dataset: { role: 'countdown' } }, c.expired ? badge('expired', 'warn') : countdown(c.expires_at)),
      h('td', `${c.set_by} · ${fmtTime(c.set_at)}`), h('td', c.reason),
      h('td', h('button.danger', { onclick: () => clearContext(c) }, '清除 Clear')))))))
    : h('p.muted', '没有沙箱时钟 No sandbox clock is set.'));
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
      clear(audit, log.audit.length ? h('div.table-wrap', h('table', { id: 'audit' },
        h('thead', h('tr', ['At', 'Action', 'Who', 'Scope', 'What'].map((c) => h('th', c)))),
        h('tbody', log.audit.map((a) => {
          const c = a.context || {};
          return h('tr', h('td', fmtTime(a.at)), h('td', a.action), h('td', a.actor), h('td', `${c.scope || a.scope || ''} ${c.site_id || a.site_id || ''}`),
            h('td', c.mode === 'fixed' ? `fixed ${fmtTime(c.fixed_at)}` : c.mode === 'offset' ? `offset ${(c.offset_seconds / 3600).toFixed(2)} h` : '—'));
        })))) : h('p.muted', '—'));
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
    h('span', `营业日 Business date ${clock.business_date}`), h('span', `现在 Now ${fmtTime(clock.now, clock.tz)} (${clock.tz})`),
    clock.sandbox ? badge(`沙箱 sandbox · ${clock.scope} · ${clock.mode} · until ${fmtTime(clock.expires_at, clock.tz)}`, 'warn') : badge('真实时间 real time', 'ok'));
}
