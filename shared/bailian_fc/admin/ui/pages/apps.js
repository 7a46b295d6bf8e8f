// Apps playground: a form generated from each app's input JSON Schema; the result with
// cached / stale / usage.

import { badge, clear, errorBox, fmtTime, h, num } from '../lib/dom.js';
import { schemaForm } from '../lib/schema-form.js';

export function render({ client, el }) {
  const picker = h('select', { id: 'app-picker', 'aria-label': 'app' });
  const formHolder = h('div');
  const result = h('div', { id: 'app-result' });
  const refresh = h('input', { type: 'checkbox', name: 'refresh' });
  let form = null;
  let schemas = [];
  const pick = () => {
    const app = schemas.find((a) => a.key === picker.value);
    form = schemaForm(app.input_schema);
    clear(formHolder, form.el);
    clear(result);
  };
  const run = async (e) => {
    e.preventDefault();
    clear(result, h('p.muted', '运行中 Running…'));
    try {
      const out = await client.apps.run(picker.value, form.value(), { refresh: refresh.checked });
      clear(result, h('section.card', { dataset: { app: out.app } },
        h('div.row', h('h2', '结果 Result'), badge(out.cached ? 'cached 缓存' : 'fresh 新生成', out.cached ? 'ok' : ''),
          out.stale ? badge('stale 过期备用', 'warn') : null),
        h('dl.kv', h('dt', 'Generated at'), h('dd', fmtTime(out.generated_at)), h('dt', 'Prompt version'), h('dd', out.prompt_version),
          h('dt', 'Usage 用量'), h('dd', { id: 'usage' }, `in ${num(out.usage.input_tokens)} / out ${num(out.usage.output_tokens)} tokens`)),
        h('pre', { id: 'result-json' }, JSON.stringify(out.result, null, 2))));
    } catch (err) {
      clear(result, errorBox(err));
    }
  };
  clear(el, h('h1', '应用 Apps playground'),
    h('section.card', h('form', { id: 'app-form', onsubmit: run },
      h('div.row', h('label', '应用 App', picker), h('label.inline', refresh, '刷新 refresh (bypass cache)')),
      formHolder, h('button.primary', { type: 'submit', id: 'app-run' }, '运行 Run'))),
    result);
  client.admin.appSchemas().then((data) => {
    schemas = data.apps;
    clear(picker, schemas.map((a) => h('option', { value: a.key }, `${a.title} · ${a.key}`)));
    picker.addEventListener('change', pick);
    pick();
  }).catch((err) => clear(formHolder, errorBox(err)));
}
