// Apps playground: a form from each app's input JSON Schema (Chinese labels from the catalogue),
// and the answer as people read it: insight cards with their level, suggestions, figures as a
// table, the period and the period it is compared with, cache state and prompt version; the raw
// JSON behind a toggle.

import { badge, clear, dataTable, errorBox, fmtTime, h, num } from '../lib/dom.js';
import { enumLabel, ENUMS, fieldLabel, t, tl } from '../lib/i18n.js';
import { fieldTitles, schemaForm } from '../lib/schema-form.js';

const LEVEL_BADGE = { info: 'info', positive: 'positive', warning: 'warn', critical: 'critical' };

/** The areas the token's site has (GET /apps/areas, when the server offers it), else null. */
async function areas(client) {
  try {
    const data = await client.call('GET', '/apps/areas');
    const items = Array.isArray(data) ? data : data?.areas || data?.items || [];
    const names = items.map((a) => (typeof a === 'string' ? a : a.area || a.name || a.id)).filter(Boolean);
    return names.length ? [['all', '全部区域'], ...names.filter((a) => a !== 'all').map((a) => [a, a])] : null;
  } catch (_) {
    return null; // no such route on this server: the area stays free text
  }
}

export function render({ client, el }) {
  const picker = h('select', { id: 'app-picker', 'aria-label': t('app') });
  const formHolder = h('div');
  const result = h('div', { id: 'app-result' });
  const refresh = h('input', { type: 'checkbox', name: 'refresh' });
  let form = null;
  let schemas = [];
  let pickers = {};
  const pick = () => {
    const app = schemas.find((a) => a.key === picker.value);
    form = schemaForm(app.input_schema, { pickers });
    form.titles = fieldTitles(app.input_schema);
    clear(formHolder, form.el);
    clear(result);
  };
  const run = async (e) => {
    e.preventDefault();
    clear(result, h('p.muted', t('running')));
    const app = schemas.find((a) => a.key === picker.value);
    try {
      const out = await client.apps.run(picker.value, form.value(), { refresh: refresh.checked });
      clear(result, answerCard(out, app));
    } catch (err) {
      clear(result, errorBox(err, humanFields(err, form.titles)));
    }
  };
  clear(el, h('h1', tl('apps.title')),
    h('section.card', h('form', { id: 'app-form', onsubmit: run, novalidate: true },
      h('div.row', h('label', t('app'), picker), h('label.inline', refresh, t('apps.refresh'))),
      formHolder, h('button.primary', { type: 'submit', id: 'app-run' }, tl('apps.run')))),
    result);
  Promise.all([client.admin.appSchemas(), areas(client)]).then(([data, areaList]) => {
    schemas = data.apps;
    if (areaList) pickers = { area: areaList };
    clear(picker, schemas.map((a) => h('option', { value: a.key }, a.title)));
    picker.addEventListener('change', pick);
    pick();
  }).catch((err) => clear(formHolder, errorBox(err)));
}

/** Server field paths (interactions.0.summary) as the form's Chinese titles (互动记录 第 1 项 · 内容摘要). */
function humanFields(err, titles = {}) {
  const out = {};
  for (const d of err?.details || []) {
    if (!d.field) continue;
    const parts = d.field.split('.');
    const words = [];
    let path = '';
    for (const p of parts) {
      if (/^\d+$/.test(p)) { words.push(`第 ${Number(p) + 1} 项`); path = `${path}.*`; continue; }
      path = path ? `${path}.${p}` : p;
      words.push(titles[path] || p);
    }
    out[d.field] = words.join(' · ');
  }
  return out;
}

function answerCard(out, app) {
  const meta = out.meta || {};
  const period = (p) => (p ? t('apps.period-value', { start: p.start, end: p.end, days: p.days }) : null);
  return h('section.card.answer', { dataset: { app: out.app } },
    h('div.job-head', h('h2', `${tl('apps.result')[0]} · ${app?.title || out.app}`),
      badge(tl(out.cached ? 'apps.cached' : 'apps.fresh'), out.cached ? 'ok' : ''),
      out.stale ? badge(tl('apps.stale'), 'warn') : null),
    h('div.meta', { id: 'answer-meta' },
      meta.period ? item(t('apps.period'), period(meta.period), 'period') : null,
      meta.previous ? item(t('apps.previous'), period(meta.previous), 'previous') : null,
      meta.business_date ? item(t('apps.business-date'), meta.business_date) : null,
      meta.days_with_data !== undefined ? item(t('apps.days-with-data'), num(meta.days_with_data)) : null,
      out.data_as_of ? item(t('apps.data-as-of'), fmtTime(out.data_as_of), 'data-as-of') : null,
      // the insight read older data while the new one is computed: say so beside the live figures
      out.insight_data_as_of && out.insight_data_as_of !== out.data_as_of
        ? item(t('apps.insight-as-of'), fmtTime(out.insight_data_as_of), 'insight-as-of') : null,
      item(t('apps.generated'), fmtTime(out.generated_at)),
      item(t('apps.prompt'), out.prompt_version, 'prompt'),
      h('span', { id: 'usage' }, t('apps.usage'), h('b', t('apps.usage-value', { in: num(out.usage.input_tokens), out: num(out.usage.output_tokens) })))),
    // no data, no model: the figures and the empty state, never insight cards
    out.no_data ? h('p.empty', { id: 'no-data' }, t('apps.no-data')) : body(out.result || {}),
    out.figures ? [h('h3.section', tl('apps.figures')), figures(out.figures.current || out.figures)] : null,
    h('details.raw', h('summary', tl('apps.raw')), h('pre', { id: 'result-json' }, JSON.stringify(out.result, null, 2))));
}

function item(label, value, role) {
  return h('span', { dataset: role ? { role } : undefined }, label, h('b', value));
}

/** Each field of an answer as it reads best: cards, lists, tables, sentences. */
function body(result) {
  const parts = [];
  const order = ['headline', 'summary', 'profile_summary', 'insights', 'figures', 'suggestions'];
  const keys = [...order.filter((k) => k in result), ...Object.keys(result).filter((k) => !order.includes(k))];
  for (const key of keys) {
    const value = result[key];
    if (value === null || value === undefined || (Array.isArray(value) && !value.length)) continue;
    if (key === 'insights' && Array.isArray(value)) {
      parts.push(h('h3.section', tl('apps.insights')), h('div', { id: 'insights' }, value.map(insightCard)));
    } else if (key === 'figures') {
      parts.push(h('h3.section', tl('apps.figures')), figures(value));
    } else if (Array.isArray(value) && value.every((v) => typeof v !== 'object')) {
      parts.push(h('h3.section', fieldLabel(key)), h('ul', { dataset: { field: key } }, value.map((v) => h('li', String(v)))));
    } else if (Array.isArray(value)) {
      const cols = [...new Set(value.flatMap((v) => Object.keys(v || {})))];
      parts.push(h('h3.section', fieldLabel(key)), dataTable(cols.map((c) => [fieldLabel(c), (r) => cell(c, r?.[c])]), value));
    } else if (typeof value === 'object') {
      parts.push(h('h3.section', fieldLabel(key)), figures(value));
    } else if (ENUMS[key]) {
      parts.push(h('p', { dataset: { field: key } }, h('strong', `${fieldLabel(key)}：`), badge(enumLabel(key, value), LEVEL_BADGE[value] || '')));
    } else if (typeof value === 'string' && value.length > 40) {
      parts.push(h('h3.section', fieldLabel(key)), h('p', { dataset: { field: key } }, value));
    } else {
      parts.push(h('p', { dataset: { field: key } }, h('strong', `${fieldLabel(key)}：`), cell(key, value)));
    }
  }
  return parts;
}

function insightCard(i) {
  return h(`div.insight.level-${i.level || 'info'}`, { dataset: { level: i.level || '' } },
    h('h3', badge(enumLabel('level', i.level), LEVEL_BADGE[i.level] || ''), i.title), h('p', i.detail));
}

function cell(key, value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return key === 'confidence' ? `${Math.round(value * 100)}%` : num(value, 2);
  if (typeof value === 'object') return JSON.stringify(value);
  return ENUMS[key] ? enumLabel(key, value) : String(value);
}

/** Figures: {metric: number | {current, previous, change}} or [{…}] as a table. */
function figures(value) {
  if (Array.isArray(value)) {
    const cols = [...new Set(value.flatMap((v) => Object.keys(v || {})))];
    return dataTable(cols.map((c) => [fieldLabel(c), (r) => cell(c, r?.[c])]), value, { id: 'figures' });
  }
  const rows = Object.entries(value || {});
  const nested = rows.some(([, v]) => v && typeof v === 'object' && !Array.isArray(v));
  if (!nested) return dataTable([[fieldLabel('metric'), ([k]) => fieldLabel(k)], [fieldLabel('value'), ([k, v]) => cell(k, v)]], rows, { id: 'figures' });
  const cols = [...new Set(rows.flatMap(([, v]) => Object.keys(v || {})))];
  return dataTable([[fieldLabel('metric'), ([k]) => fieldLabel(k)], ...cols.map((c) => [fieldLabel(c), ([, v]) => cell(c, v?.[c])])], rows, { id: 'figures' });
}
