// Dashboard: calls, tokens, latency p50/p95, cache hit rate and errors per app over time.
// A site admin sees its own site (the server pins it); a platform admin picks a site or all sites.
// Users' calls and the prewarm's scheduled ones are shown apart; 4xx refusals are counted by code.

import { titles } from '../lib/catalogue.js';
import { legend, lineChart, PALETTE } from '../lib/charts.js';
import { clear, dataTable, errorBox, h, ms, num, pct, yuan } from '../lib/dom.js';
import { t, tl } from '../lib/i18n.js';

const PERIODS = [[1, () => t('dash.today')], [7, () => t('dash.days', { n: 7 })], [30, () => t('dash.days', { n: 30 })], [90, () => t('dash.days', { n: 90 })]];
const METRICS = [
  ['calls', 'dash.calls', (s) => s.calls, num],
  ['tokens', 'dash.tokens', (s) => s.input_tokens + s.output_tokens, num],
  ['p50', 'dash.p50', (s) => s.latency_ms.p50, ms],
  ['p95', 'dash.p95', (s) => s.latency_ms.p95, ms],
  ['hit', 'dash.hit', (s) => s.cache_hit_rate, pct],
  ['errors', 'dash.errors', (s) => s.errors, num],
];

const ALL = '';

export function render({ client, el, claims }) {
  let days = Number(sessionStorage.getItem('dashboard.days') || 7);
  const platform = Boolean(claims.platform);
  let site = platform ? (sessionStorage.getItem('dashboard.site') || ALL) : claims.site_id;
  const known = new Set(site ? [site] : []);
  const body = h('div');
  const selector = h('div.seg', { role: 'group', 'aria-label': t('dash.period') });
  // Platform only: every site seen in an all-sites answer, plus whatever was picked before.
  const sites = h('select', { id: 'site-select', 'aria-label': t('site'), hidden: !platform,
    onchange: () => { site = sites.value; sessionStorage.setItem('dashboard.site', site); draw(); } });
  const fillSites = (seen) => {
    seen.forEach((s) => known.add(s));
    clear(sites, h('option', { value: ALL }, t('dash.allSites')),
      [...known].sort().map((s) => h('option', { value: s, selected: s === site }, `${t('site')} ${s}`)));
    sites.value = site;
  };
  const draw = () => {
    clear(selector, PERIODS.map(([d, label]) => h(`button${d === days ? '.on' : ''}`,
      { dataset: { days: d }, onclick: () => { days = d; sessionStorage.setItem('dashboard.days', d); draw(); } }, label())));
    load(client, days, site, body, fillSites);
  };
  const scope = platform ? sites : h('span.muted', { id: 'site-scope' }, `${t('site')} ${claims.site_id}`);
  clear(el, h('h1', tl('dash.title')), h('div.row', selector, scope), body);
  fillSites([]);
  draw();
}

async function load(client, days, site, body, fillSites) {
  clear(body, h('p.muted', t('loading')));
  let data;
  let names = {};
  try {
    [data, names] = await Promise.all([
      client.admin.dashboard({ days, site: site || undefined }), titles(client).catch(() => ({})),
    ]);
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
  const t0 = data.total;
  const o = data.by_origin;
  const tiles = h('div.tiles', { id: 'totals', dataset: { calls: t0.calls, site: data.site || 'all' } },
    tile(t('dash.calls'), num(t0.calls)),
    h('div.tile', { id: 'origin-split', dataset: { user: o.user.calls, scheduled: o.scheduled.calls } },
      h('small', t('dash.origin')), h('b', `${num(o.user.calls)} / ${num(o.scheduled.calls)}`)),
    tile(t('dash.tokens'), num(t0.input_tokens + t0.output_tokens)),
    h('div.tile', { id: 'cost', dataset: { cost: t0.cost_cny ?? '' } }, h('small', t('dash.cost')), h('b', yuan(t0.cost_cny))),
    tile(t('dash.p50'), ms(t0.latency_ms.p50)), tile(t('dash.p95'), ms(t0.latency_ms.p95)),
    tile(t('dash.hit'), pct(t0.cache_hit_rate)), tile(t('dash.errors'), num(t0.errors)),
    tile(t('dash.rejected'), num(t0.rejected)));
  const charts = METRICS.map(([id, key, pick, fmt]) => h('section.card', h('h2', tl(key)),
    lineChart({ id, title: t(key), labels, colors, names, format: fmt, integer: fmt === num || fmt === ms, // whole ms: no two ticks that both read "1 ms"
      series: apps.map((app) => ({ name: app, values: points.map((p) => (p.apps[app] ? pick(p.apps[app]) : (id === 'calls' || id === 'errors' || id === 'tokens' ? 0 : null))) })) })));
  const feedback = data.feedback || {};
  const codes = (m) => Object.entries(m || {}).map(([c, n]) => `${c} ×${n}`).join('，') || '—';
  const table = dataTable([
    [t('app'), (app) => h('span', { title: app }, names[app] || app)],
    [t('dash.calls'), (app) => num(data.by_app[app].calls)],
    [t('dash.errors'), (app) => num(data.by_app[app].errors)],
    [t('dash.tokens'), (app) => num(data.by_app[app].input_tokens + data.by_app[app].output_tokens)],
    [t('dash.cost'), (app) => yuan(data.by_app[app].cost_cny)],
    [t('dash.ratings'), (app) => ratingsCell(feedback[app])],
    [t('dash.down'), (app) => h('span', { dataset: { role: 'down-share' } }, pct(feedback[app]?.down_share))],
    [t('dash.p50'), (app) => ms(data.by_app[app].latency_ms.p50)],
    [t('dash.p95'), (app) => ms(data.by_app[app].latency_ms.p95)],
    [t('dash.hit'), (app) => pct(data.by_app[app].cache_hit_rate)],
    [t('dash.codes'), (app) => codes(data.by_app[app].error_codes)],
    [t('dash.rejectedCodes'), (app) => codes(data.by_app[app].rejected_codes)],
  ], apps, { id: 'per-app', row: (app, tr) => { tr.dataset.app = app; } });
  const siteNames = data.by_site ? Object.keys(data.by_site) : [];
  const perSite = data.by_site ? h('section.card', h('h2', tl('dash.per-site')), dataTable([
    [t('site'), (name) => name],
    [t('dash.calls'), (name) => num(data.by_site[name].calls)],
    [t('dash.errors'), (name) => num(data.by_site[name].errors)],
    [t('dash.rejected'), (name) => num(data.by_site[name].rejected)],
    [t('dash.tokens'), (name) => num(data.by_site[name].input_tokens + data.by_site[name].output_tokens)],
    [t('dash.cost'), (name) => yuan(data.by_site[name].cost_cny)],
  ], siteNames, { id: 'per-site', row: (name, tr) => { tr.dataset.site = name; } })) : null;
  clear(body,
    h('p.muted', t('dash.range', { from: data.from, to: data.to, tz: data.tz, start: data.day_start,
      unit: t(hourly ? 'dash.per-hour' : 'dash.per-day'), err: (data.percentile_relative_error * 100).toFixed(1) })),
    tiles,
    apps.length ? legend(apps, colors, names) : h('p.muted', t('dash.no-calls')),
    h('div.grid2', charts),
    h('section.card', h('h2', tl('dash.per-app')), table),
    perSite);
}

const ratingsCell = (f) => (f ? `👍 ${num(f.up)} / 👎 ${num(f.down)}` : '—');

function tile(label, value) {
  return h('div.tile', h('small', label), h('b', value));
}

function hourLabel(iso, tz) {
  return new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}
