// Dashboard: calls, tokens, latency p50/p95, cache hit rate and errors per app over time.

import { legend, lineChart, PALETTE } from '../lib/charts.js';
import { clear, errorBox, h, ms, num, pct } from '../lib/dom.js';

const PERIODS = [[1, '今天 1 day'], [7, '7 天'], [30, '30 天'], [90, '90 天']];
const METRICS = [
  ['calls', '调用 Calls', (s) => s.calls, num],
  ['tokens', 'Tokens (in + out)', (s) => s.input_tokens + s.output_tokens, num],
  ['p50', '延迟 p50 latency', (s) => s.latency_ms.p50, ms],
  ['p95', '延迟 p95 latency', (s) => s.latency_ms.p95, ms],
  ['hit', '缓存命中率 Cache hit rate', (s) => s.cache_hit_rate, pct],
  ['errors', '错误 Errors', (s) => s.errors, num],
];

export function render({ client, el }) {
  let days = Number(sessionStorage.getItem('dashboard.days') || 7);
  const body = h('div');
  const selector = h('div.seg', { role: 'group', 'aria-label': 'period' });
  const draw = () => {
    clear(selector, PERIODS.map(([d, label]) => h(`button${d === days ? '.on' : ''}`,
      { dataset: { days: d }, onclick: () => { days = d; sessionStorage.setItem('dashboard.days', d); draw(); } }, label)));
    load(client, days, body);
  };
  clear(el, h('h1', '仪表盘 Dashboard'), h('div.row', selector), body);
  draw();
}

async function load(client, days, body) {
  clear(body, h('p.muted', '加载中 Loading…'));
  let data;
  try {
    data = await client.admin.dashboard({ days });
  } catch (err) {
    clear(body, errorBox(err));
    return;
  }
  const hourly = Array.isArray(data.by_hour) && data.by_hour.length > 0;
  const points = hourly ? data.by_hour : data.by_day;
  const labels = points.map((p) => (hourly ? hourLabel(p.hour, data.tz) : p.date.slice(5)));
  const apps = Object.keys(data.by_app);
  const colors = Object.fromEntries(apps.map((a, i) => [a, PALETTE[i % PALETTE.length]]));
  const t = data.total;
  const tiles = h('div.tiles', { id: 'totals', dataset: { calls: t.calls } },
    tile('调用 Calls', num(t.calls)), tile('Tokens', num(t.input_tokens + t.output_tokens)),
    tile('p50', ms(t.latency_ms.p50)), tile('p95', ms(t.latency_ms.p95)),
    tile('缓存命中 Hit rate', pct(t.cache_hit_rate)), tile('错误 Errors', num(t.errors)));
  const charts = METRICS.map(([id, title, pick, fmt]) => h('section.card', h('h2', title),
    lineChart({ id, title, labels, colors, format: fmt, integer: fmt === num,
      series: apps.map((app) => ({ name: app, values: points.map((p) => (p.apps[app] ? pick(p.apps[app]) : (id === 'calls' || id === 'errors' || id === 'tokens' ? 0 : null))) })) })));
  const table = h('div.table-wrap', h('table', { id: 'per-app' },
    h('thead', h('tr', ['App', 'Calls', 'Errors', 'Tokens', 'p50', 'p95', 'Hit rate', 'Error codes'].map((c) => h('th', c)))),
    h('tbody', apps.map((app) => {
      const s = data.by_app[app];
      return h('tr', h('td', app), h('td', num(s.calls)), h('td', num(s.errors)), h('td', num(s.input_tokens + s.output_tokens)),
        h('td', ms(s.latency_ms.p50)), h('td', ms(s.latency_ms.p95)), h('td', pct(s.cache_hit_rate)),
        h('td', Object.entries(s.error_codes).map(([c, n]) => `${c} ×${n}`).join(', ') || '—'));
    }))));
  clear(body,
    h('p.muted', `${data.from} → ${data.to} (${data.tz}, 营业日 from ${data.day_start}) · ${hourly ? 'per hour' : 'per business day'} · percentiles ±${(data.percentile_relative_error * 100).toFixed(1)}%`),
    tiles,
    apps.length ? legend(apps, colors) : h('p.muted', '这段时间没有调用 No calls in this period.'),
    h('div.grid2', charts),
    h('section.card', h('h2', '按应用 Per app'), table));
}

function tile(label, value) {
  return h('div.tile', h('small', label), h('b', value));
}

function hourLabel(iso, tz) {
  return new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}
