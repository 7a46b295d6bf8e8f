// Dashboard: calls, tokens, latency p50/p95, cache hit rate and errors per app over time.
// A site admin sees its own site (the server pins it); a platform admin picks a site or all sites.
// Users' calls and the prewarm's scheduled ones are shown apart; 4xx refusals are counted by code.

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

const ALL = '';

export function render({ client, el, claims }) {
  let days = Number(sessionStorage.getItem('dashboard.days') || 7);
  const platform = Boolean(claims.platform);
  let site = platform ? (sessionStorage.getItem('dashboard.site') || ALL) : claims.site_id;
  const known = new Set(site ? [site] : []);
  const body = h('div');
  const selector = h('div.seg', { role: 'group', 'aria-label': 'period' });
  // Platform only: every site seen in an all-sites answer, plus whatever was picked before.
  const sites = h('select', { id: 'site-select', 'aria-label': 'site', hidden: !platform,
    onchange: () => { site = sites.value; sessionStorage.setItem('dashboard.site', site); draw(); } });
  const fillSites = (seen) => {
    seen.forEach((s) => known.add(s));
    clear(sites, h('option', { value: ALL }, '全部站点 All sites'),
      [...known].sort().map((s) => h('option', { value: s, selected: s === site }, s)));
    sites.value = site;
  };
  const draw = () => {
    clear(selector, PERIODS.map(([d, label]) => h(`button${d === days ? '.on' : ''}`,
      { dataset: { days: d }, onclick: () => { days = d; sessionStorage.setItem('dashboard.days', d); draw(); } }, label)));
    load(client, days, site, body, fillSites);
  };
  const scope = platform ? sites : h('span.muted', { id: 'site-scope' }, `站点 Site ${claims.site_id}`);
  clear(el, h('h1', '仪表盘 Dashboard'), h('div.row', selector, scope), body);
  fillSites([]);
  draw();
}

async function load(client, days, site, body, fillSites) {
  clear(body, h('p.muted', '加载中 Loading…'));
  let data;
  try {
    data = await client.admin.dashboard({ days, site: site || undefined });
  } catch (err) {
    clear(body, errorBox(err));
    return;
  }
  if (data.site === null) fillSites(data.sites);
  const hourly = Array.isArray(data.by_hour) && data.by_hour.length > 0;
  const points = hourly ? data.by_hour : data.by_day;
  const labels = points.map((p) => (hourly ? hourLabel(p.hour, data.tz) : p.date.slice(5)));
  const apps = Object.keys(data.by_app);
  const colors = Object.fromEntries(apps.map((a, i) => [a, PALETTE[i % PALETTE.length]]));
  const t = data.total;
  const o = data.by_origin;
  const tiles = h('div.tiles', { id: 'totals', dataset: { calls: t.calls, site: data.site || 'all' } },
    tile('调用 Calls', num(t.calls)),
    h('div.tile', { id: 'origin-split', dataset: { user: o.user.calls, scheduled: o.scheduled.calls } },
      h('small', '用户 / 预热 Users / scheduled'), h('b', `${num(o.user.calls)} / ${num(o.scheduled.calls)}`)),
    tile('Tokens', num(t.input_tokens + t.output_tokens)),
    tile('p50', ms(t.latency_ms.p50)), tile('p95', ms(t.latency_ms.p95)),
    tile('缓存命中 Hit rate', pct(t.cache_hit_rate)), tile('错误 Errors', num(t.errors)),
    tile('拒绝 4xx', num(t.rejected)));
  const charts = METRICS.map(([id, title, pick, fmt]) => h('section.card', h('h2', title),
    lineChart({ id, title, labels, colors, format: fmt, integer: fmt === num,
      series: apps.map((app) => ({ name: app, values: points.map((p) => (p.apps[app] ? pick(p.apps[app]) : (id === 'calls' || id === 'errors' || id === 'tokens' ? 0 : null))) })) })));
  const codes = (m) => Object.entries(m).map(([c, n]) => `${c} ×${n}`).join(', ') || '—';
  const table = h('div.table-wrap', h('table', { id: 'per-app' },
    h('thead', h('tr', ['App', 'Calls', 'Errors', 'Tokens', 'p50', 'p95', 'Hit rate', 'Error codes', '4xx codes'].map((c) => h('th', c)))),
    h('tbody', apps.map((app) => {
      const s = data.by_app[app];
      return h('tr', h('td', app), h('td', num(s.calls)), h('td', num(s.errors)), h('td', num(s.input_tokens + s.output_tokens)),
        h('td', ms(s.latency_ms.p50)), h('td', ms(s.latency_ms.p95)), h('td', pct(s.cache_hit_rate)),
        h('td', codes(s.error_codes)), h('td', codes(s.rejected_codes)));
    }))));
  const perSite = data.by_site ? h('section.card', h('h2', '按站点 Per site'), h('div.table-wrap', h('table', { id: 'per-site' },
    h('thead', h('tr', ['Site', 'Calls', 'Errors', '4xx', 'Tokens'].map((c) => h('th', c)))),
    h('tbody', Object.entries(data.by_site).map(([name, s]) => h('tr', { dataset: { site: name } }, h('td', name),
      h('td', num(s.calls)), h('td', num(s.errors)), h('td', num(s.rejected)), h('td', num(s.input_tokens + s.output_tokens)))))))) : null;
  clear(body,
    h('p.muted', `${data.from} → ${data.to} (${data.tz}, 营业日 from ${data.day_start}) · ${hourly ? 'per hour' : 'per business day'} · percentiles ±${(data.percentile_relative_error * 100).toFixed(1)}%`),
    tiles,
    apps.length ? legend(apps, colors) : h('p.muted', '这段时间没有调用 No calls in this period.'),
    h('div.grid2', charts),
    h('section.card', h('h2', '按应用 Per app'), table),
    perSite);
}

function tile(label, value) {
  return h('div.tile', h('small', label), h('b', value));
}

function hourLabel(iso, tz) {
  return new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}
