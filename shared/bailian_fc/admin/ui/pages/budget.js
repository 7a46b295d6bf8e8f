// A site's daily limits (GET /admin/budgets?site=…): the ¥ budget and calls per user in force
// today, what is spent, and the overrides' history. A platform admin edits them
// (PUT /admin/budgets/{site_id}, audited); a site admin reads its own site's.

import { clear, dataTable, errorBox, fmtTime, h, num, pct, yuan } from '../lib/dom.js';
import { t, tl } from '../lib/i18n.js';
import { can } from '../lib/session.js';

export function budgetCard(client, claims) {
  const out = h('div');
  const site = h('input', { name: 'budget-site', size: 12, value: claims.site_id || '', readonly: !claims.platform });
  const view = h('div');
  const load = async () => {
    if (!site.value.trim()) return;
    try {
      const { budgets } = await client.call('GET', '/admin/budgets', { query: { site: site.value.trim() } });
      clear(view, budgets.map((b) => budgetView(client, claims, b, load)));
    } catch (err) {
      clear(view, errorBox(err));
    }
  };
  const card = h('section.card', { id: 'budget' }, h('h2', tl('budget.title')),
    claims.platform ? h('form.row', { onsubmit: (e) => { e.preventDefault(); load(); } }, h('label', t('site'), site),
      h('button', { type: 'submit' }, tl('budget.show'))) : null, view, out);
  load();
  return card;
}

function budgetView(client, claims, b, reload) {
  const limit = (v, unit) => (v ? `${unit}${num(v, 2)}` : t('budget.none'));
  const summary = h('dl.kv', { dataset: { role: 'budget', site: b.site_id, source: b.source } },
    h('dt', t('apps.business-date')), h('dd', b.business_date),
    h('dt', t('budget.daily')), h('dd', limit(b.daily_budget_cny, '¥')),
    h('dt', t('budget.user-calls')), h('dd', b.user_daily_app_calls ? num(b.user_daily_app_calls) : t('budget.none')),
    h('dt', t('budget.source')), h('dd', t(`budget.source.${b.source}`)),
    h('dt', t('budget.spent')), h('dd', `${yuan(b.spent_cny)}${b.share !== null && b.share !== undefined ? `（${pct(b.share)}）` : ''}`),
    h('dt', t('budget.calls')), h('dd', num(b.upstream_calls)));
  const history = (b.history || []).length ? dataTable([
    [t('time'), (x) => fmtTime(x.at ?? x.updated_at)],
    [t('by'), (x) => x.by ?? x.updated_by ?? '—'],
    [t('budget.daily'), (x) => (x.daily_budget_cny === null || x.daily_budget_cny === undefined ? t('budget.default') : `¥${num(x.daily_budget_cny, 2)}`)],
    [t('budget.user-calls'), (x) => (x.user_daily_app_calls === null || x.user_daily_app_calls === undefined ? t('budget.default') : num(x.user_daily_app_calls))],
    [t('reason'), (x) => x.note || '', 'wrap'],
  ], b.history, { id: 'budget-history' }) : null;
  return h('div', summary, can(claims, 'budget.edit') ? editForm(client, b, reload) : null,
    history ? [h('h3.section', t('budget.history')), history] : null);
}

function editForm(client, b, reload) {
  const money = h('input', { name: 'daily_budget_cny', type: 'number', min: 0, step: 'any', size: 8, placeholder: t('budget.default') });
  const calls = h('input', { name: 'user_daily_app_calls', type: 'number', min: 0, step: 1, size: 8, placeholder: t('budget.default') });
  const note = h('input', { name: 'note', maxlength: 200, size: 20 });
  const message = h('div');
  const value = (input) => (input.value.trim() === '' ? null : Number(input.value));
  const submit = async (e) => {
    e.preventDefault();
    const calls_ = value(calls);
    try {
      await client.call('PUT', `/admin/budgets/${encodeURIComponent(b.site_id)}`, { body: {
        daily_budget_cny: value(money), user_daily_app_calls: calls_ === null ? null : Math.trunc(calls_), note: note.value.trim() || null } });
      reload();
    } catch (err) {
      clear(message, errorBox(err, { daily_budget_cny: t('budget.daily'), user_daily_app_calls: t('budget.user-calls') }));
    }
  };
  return h('form.row', { id: 'budget-form', onsubmit: submit }, h('label', t('budget.daily'), money), h('label', t('budget.user-calls'), calls),
    h('label', t('reason'), note), h('button.primary', { type: 'submit' }, tl('save')), message);
}
