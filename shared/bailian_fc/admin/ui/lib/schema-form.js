// A form from a JSON Schema (pydantic's output: $ref/$defs, anyOf [X, null], enum, arrays, objects).
// field(schema) → {el, value()}; value() gives what to send, leaving out empty optional fields.

import { h } from './dom.js';

const resolve = (schema, root) => {
  let s = schema || {};
  while (s.$ref) s = root.$defs?.[s.$ref.split('/').pop()] || {};
  if (s.anyOf) {
    const real = s.anyOf.filter((x) => x.type !== 'null');
    if (real.length === 1) return { ...resolve(real[0], root), nullable: true, default: s.default, title: s.title || real[0].title, description: s.description };
  }
  return s;
};

const EMPTY = Symbol('empty');

export function schemaForm(schema) {
  const root = schema;
  const f = field(schema, root, schema.title || 'input', true);
  return { el: f.el, value: () => { const v = f.value(); return v === EMPTY ? {} : v; } };
}

function field(raw, root, name, required) {
  const s = resolve(raw, root);
  const title = `${s.title || name}${required ? ' *' : ''}`;
  if (s.type === 'object' || s.properties) {
    const req = new Set(s.required || []);
    const children = Object.entries(s.properties || {}).map(([key, sub]) => [key, field(sub, root, key, req.has(key))]);
    return {
      el: h('fieldset', { dataset: { field: name } }, h('legend', title), s.description ? h('small.muted', s.description) : null, children.map(([, c]) => c.el)),
      value() {
        const out = {};
        for (const [key, c] of children) { const v = c.value(); if (v !== EMPTY) out[key] = v; }
        return Object.keys(out).length || required ? out : EMPTY;
      },
    };
  }
  if (s.type === 'array') {
    const item = resolve(s.items, root);
    if (item.type === 'string' && !item.enum) {
      const area = h('textarea', { name, placeholder: '每行一项 one per line' });
      return { el: wrap(`${title} (one per line)`, area, name),
        value: () => { const lines = area.value.split('\n').map((x) => x.trim()).filter(Boolean); return lines.length || required ? lines : EMPTY; } };
    }
    const rows = [];
    const holder = h('div');
    const add = () => {
      const c = field(s.items, root, `${name}[${rows.length}]`, true);
      const row = h('div', c.el, h('button', { type: 'button', onclick: () => { rows.splice(rows.indexOf(entry), 1); row.remove(); } }, '删除 Remove'));
      const entry = { c, row };
      rows.push(entry);
      holder.append(row);
    };
    for (let i = 0; i < Math.max(s.minItems || 0, required ? 1 : 0); i++) add();
    return { el: h('fieldset', { dataset: { field: name } }, h('legend', title), holder, h('button', { type: 'button', onclick: add }, '＋ 添加 Add')),
      value: () => (rows.length || required ? rows.map((r) => r.c.value()).map((v) => (v === EMPTY ? {} : v)) : EMPTY) };
  }
  if (s.enum) {
    const select = h('select', { name }, required ? null : h('option', { value: '' }, '—'),
      s.enum.map((v) => h('option', { value: String(v), selected: v === s.default }, String(v))));
    return { el: wrap(title, select, name), value: () => (select.value === '' ? EMPTY : s.enum.find((v) => String(v) === select.value)) };
  }
  if (s.type === 'boolean') {
    const box = h('input', { type: 'checkbox', name, checked: !!s.default });
    return { el: wrap(title, box, name), value: () => box.checked };
  }
  if (s.type === 'integer' || s.type === 'number') {
    const input = h('input', { type: 'number', name, step: s.type === 'integer' ? 1 : 'any', min: s.minimum, max: s.maximum,
      value: s.default ?? undefined });
    return { el: wrap(title, input, name), value: () => (input.value === '' ? EMPTY : Number(input.value)) };
  }
  const type = s.format === 'date' ? 'date' : s.format === 'date-time' ? 'datetime-local' : 'text';
  const input = (s.maxLength || 0) > 200
    ? h('textarea', { name, maxlength: s.maxLength })
    : h('input', { type, name, maxlength: s.maxLength, value: s.default ?? undefined, placeholder: s.pattern ? s.pattern : undefined });
  return { el: wrap(title, input, name),
    value: () => (input.value === '' ? EMPTY : type === 'datetime-local' ? new Date(input.value).toISOString() : input.value) };
}

function wrap(title, control, name) {
  return h('div.form-field', { dataset: { field: name } }, h('label', title, control));
}
