// A form from a JSON Schema (pydantic's output: $ref/$defs, anyOf [X, null], enum, arrays, objects).
// field(schema) → {el, value()}; value() gives what to send, leaving out empty optional fields.
// Labels are the catalogue's Chinese field titles; enum values show in Chinese (i18n ENUMS);
// `pickers` turns a free-text field into a select (e.g. the areas a site has).

import { h } from './dom.js';
import { enumLabel, t } from './i18n.js';

const resolve = (schema, root) => {
  let s = schema || {};
  const outer = s;
  while (s.$ref) s = root.$defs?.[s.$ref.split('/').pop()] || {};
  // The field's own title (客户) wins over its model's class title (Customer).
  if (outer !== s) s = { ...s, title: outer.title || s.title, description: outer.description || s.description };
  if (s.anyOf) {
    const real = s.anyOf.filter((x) => x.type !== 'null');
    if (real.length === 1) return { ...resolve(real[0], root), nullable: true, default: s.default, title: s.title || real[0].title, description: s.description };
  }
  return s;
};

const EMPTY = Symbol('empty');

export function schemaForm(schema, { pickers = {}, labels = {}, initial, enumLabels = {} } = {}) {
  const root = schema;
  const opts = { pickers, labels, enumLabels };
  const f = field(schema, root, schema.title || 'input', true, opts, initial);
  return { el: f.el, value: () => { const v = f.value(); return v === EMPTY ? {} : v; } };
}

/** Every field's Chinese title by its path (customer.name, interactions.0.at), for error messages. */
export function fieldTitles(schema) {
  const out = {};
  const walk = (raw, path) => {
    const s = resolve(raw, schema);
    for (const [key, sub] of Object.entries(s.properties || {})) {
      const r = resolve(sub, schema);
      const p = path ? `${path}.${key}` : key;
      out[p] = r.title || key;
      if (r.properties) walk(r, p);
      if (r.type === 'array' && r.items) walk(r.items, `${p}.*`);
    }
  };
  walk(schema, '');
  return out;
}

function field(raw, root, name, required, opts, init) {
  // init: the current value to start from (editing); the schema's default otherwise.
  const s = resolve(raw, root);
  const start = init !== undefined && init !== null ? init : s.default;
  const key = name.replace(/\[\d+\]$/, '');
  const title = `${s.title || opts.labels[key] || name}${required ? ' *' : ''}`;
  if (s.type === 'object' || s.properties) {
    const req = new Set(s.required || []);
    const children = Object.entries(s.properties || {}).map(([k, sub]) => [k, field(sub, root, k, req.has(k), opts, init?.[k])]);
    return {
      el: h('fieldset', { dataset: { field: name } }, root === raw ? null : h('legend', title), children.map(([, c]) => c.el)),
      value() {
        const out = {};
        for (const [k, c] of children) { const v = c.value(); if (v !== EMPTY) out[k] = v; }
        return Object.keys(out).length || required ? out : EMPTY;
      },
    };
  }
  if (s.type === 'array') {
    const item = resolve(s.items, root);
    if (item.type === 'string' && !item.enum) {
      const area = h('textarea', { name, placeholder: t('one-per-line'), value: Array.isArray(start) ? start.join('\n') : undefined });
      return { el: wrap(`${title}（${t('one-per-line')}）`, area, name, s.description),
        value: () => { const lines = area.value.split('\n').map((x) => x.trim()).filter(Boolean); return lines.length || required ? lines : EMPTY; } };
    }
    const rows = [];
    const holder = h('div');
    const add = (value) => {
      // Each item is titled by its list (互动记录 1), not by its model's class name.
      const c = field({ ...s.items, title: `${s.title || name} ${rows.length + 1}` }, root, `${name}[${rows.length}]`, true, opts, value);
      const row = h('div', c.el, h('button', { type: 'button', onclick: () => { rows.splice(rows.indexOf(entry), 1); row.remove(); } }, t('remove')));
      const entry = { c, row };
      rows.push(entry);
      holder.append(row);
    };
    if (Array.isArray(start)) start.forEach((v) => add(v));
    else for (let i = 0; i < (required ? Math.max(s.minItems || 0, 1) : 0); i++) add(); // optional: starts empty
    return { el: h('fieldset', { dataset: { field: name } }, h('legend', title), holder, h('button', { type: 'button', onclick: () => add() }, `＋ ${t('add')}`)),
      value: () => (rows.length || required ? rows.map((r) => r.c.value()).map((v) => (v === EMPTY ? {} : v)) : EMPTY) };
  }
  if (s.enum) {
    const select = h('select', { name }, required ? null : h('option', { value: '' }, '—'),
      s.enum.map((v) => h('option', { value: String(v), selected: v === start }, opts.enumLabels?.[key]?.[v] ?? enumLabel(key, v))));
    return { el: wrap(title, select, name, s.description), value: () => (select.value === '' ? EMPTY : s.enum.find((v) => String(v) === select.value)) };
  }
  if (s.type === 'boolean') {
    const box = h('input', { type: 'checkbox', name, checked: !!start });
    return { el: wrap(title, box, name, s.description), value: () => box.checked };
  }
  if (s.type === 'integer' || s.type === 'number') {
    const input = h('input', { type: 'number', name, step: s.type === 'integer' ? 1 : 'any', min: s.minimum, max: s.maximum,
      value: start ?? undefined });
    return { el: wrap(title, input, name, s.description), value: () => (input.value === '' ? EMPTY : Number(input.value)) };
  }
  if (opts.pickers[name]) { // a list from the server (areas): a select instead of free text
    const choices = opts.pickers[name];
    const select = h('select', { name }, choices.map(([v, label]) => h('option', { value: v, selected: v === start }, label)));
    return { el: wrap(title, select, name, s.description), value: () => (select.value === '' ? EMPTY : select.value) };
  }
  const type = s.format === 'date' ? 'date' : s.format === 'date-time' ? 'datetime-local' : 'text';
  const input = (s.maxLength || 0) > 200
    ? h('textarea', { name, maxlength: s.maxLength, value: start ?? undefined })
    : h('input', { type, name, maxlength: s.maxLength, value: start ?? undefined });
  return { el: wrap(title, input, name, s.description),
    value: () => (input.value === '' ? EMPTY : type === 'datetime-local' ? new Date(input.value).toISOString() : input.value) };
}

function wrap(title, control, name, hint) {
  return h('div.form-field', { dataset: { field: name } }, h('label', title, control), hint ? h('small.muted', hint) : null);
}
