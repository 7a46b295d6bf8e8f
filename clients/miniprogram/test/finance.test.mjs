import assert from 'node:assert/strict';
import test from 'node:test';
import { closeDom, http, pick, render, tap, text, texts, until, wx } from './harness.mjs';

test.after(closeDom);

const settled = (page) => until(() => !page.data.loading, 'the board');
const app = async (key, input) => (await http('POST', `/apps/${key}`, { body: input })).body;

test('the board shows App2 insights, its computed figures as a table and chart, App2a digest, updated at', async () => {
  const page = await render('pages/finance/finance', {});
  await settled(page);
  assert.equal(text(page, '.page-error'), null);
  assert.equal(text(page, '.range-value'), '近 7 天');
  const answer = await app('app2_finance', { range: 'last_7_days' }); // cached: the same answer
  const digest = await app('app2a_finance_digest', { range: 'last_7_days' });
  assert.deepEqual(texts(page, '.insight-title'), answer.result.insights.map((i) => i.title));
  assert.equal(text(page, '.summary'), answer.result.summary);
  assert.equal(text(page, '.headline'), digest.result.headline);
  const f = answer.figures;
  assert.equal(text(page, '.period'), `本期 ${f.period.start} 至 ${f.period.end}（${f.period.days} 天）`);
  // zh-CN amounts: ¥ and thousands separators (the venue's locale, config.js)
  const money = (v) => `${v < 0 ? '-' : ''}¥${Math.abs(v).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  assert.equal(texts(page, '.metric-row .cell-label')[0], '总营收');
  assert.equal(texts(page, '.metric-row .cell-current')[0], money(f.current.revenue));
  assert.equal(texts(page, '.metric-row .cell-previous')[0], money(f.previous.revenue));
  const pct = f.changes.revenue.change_pct;
  assert.equal(texts(page, '.metric-row .cell-change')[0], `${pct > 0 ? '+' : ''}${pct.toFixed(1)}%`);
  assert.deepEqual(texts(page, '.area-row .cell-label'), f.areas.map((a) => a.area));
  assert.deepEqual(texts(page, '.area-row .cell-current'), f.areas.map((a) => money(a.current.revenue)));
  const chart = page.querySelector('.area-chart');
  assert.deepEqual(texts(chart, '.chart-label'), f.areas.map((a) => a.area));
  const biggest = Math.max(...f.areas.flatMap((a) => [a.current.revenue, a.previous.revenue]));
  const widths = chart.querySelectorAll('.bar').map((b) => b.dom.getAttribute('style').replace(/\s/g, ''));
  const expected = f.areas.flatMap((a) => [a.current.revenue, a.previous.revenue]).map((v) => `width:${Math.round((v / biggest) * 1000) / 10}%`);
  assert.deepEqual(widths, expected);
  assert.match(text(page, '.updated-at'), /^更新于 \d\d-\d\d \d\d:\d\d/);
  assert.equal(answer.stale, false);
  assert.doesNotMatch(text(page, '.updated-at'), /正在更新|稍旧/); // nothing is updating
  assert.equal(text(page.querySelector('.ai-insights'), '.ai-heading'), '经营解读');
  assert.equal(text(page.querySelector('.ai-insights'), '.ai-mark'), 'AI 生成');
  // red-up by default (config.js trendColors): the table carries the convention, its rows the sign
  assert.ok(page.querySelector('.figures.colors-red-up'));
  assert.deepEqual(texts(page, '.metric-row .cell-change.up'), texts(page, '.metric-row .cell-change').filter((t) => t.startsWith('+')));
});

test('the area picker is filled from GET /apps/areas and a pick reloads the board for that area', async () => {
  const { areas } = (await http('GET', '/apps/areas')).body;
  assert.ok(areas.length > 1);
  const page = await render('pages/finance/finance', {});
  await settled(page);
  assert.deepEqual(page.data.areas, ['全部区域', ...areas]);
  await pick(page, '.area-picker', 2);
  assert.equal(text(page, '.area-value'), areas[1]);
  await settled(page);
  const answer = await app('app2_finance', { range: 'last_7_days', area: areas[1] });
  assert.equal(answer.figures.area, areas[1]);
  assert.deepEqual(texts(page, '.insight-title'), answer.result.insights.map((i) => i.title));
  assert.equal(texts(page, '.metric-row .cell-current')[0].replace(/[,¥]/g, ''), answer.figures.current.revenue.toFixed(2));
});

test('a range pick shows that range, a calendar month says so, and refresh asks past the cache', async () => {
  const page = await render('pages/finance/finance', {});
  await settled(page);
  await pick(page, '.range-picker', 6); // 上月
  assert.equal(text(page, '.range-value'), '上月');
  await settled(page);
  const answer = await app('app2_finance', { range: 'last_month' });
  const p = answer.figures.period;
  assert.equal(p.unit, 'month');
  assert.equal(text(page, '.period'), `本期 ${p.start.slice(0, 7)} 整月，${p.start} 至 ${p.end}（${p.days} 天）`);
  const before = wx.calls.length;
  await tap(page, '.refresh');
  await settled(page);
  const asked = wx.calls.slice(before).map((c) => c.url);
  assert.ok(asked.some((u) => u.includes('/apps/app2_finance?refresh=true')), asked.join('\n'));
  const stops = wx.pullDownStops;
  const mark = wx.calls.length;
  await page.instance.onPullDownRefresh(); // pull-down: the same refresh, then the spinner stops
  assert.equal(wx.pullDownStops, stops + 1);
  assert.ok(wx.calls.slice(mark).some((c) => c.url.includes('/apps/app2_finance?refresh=true')));
});

test('a range with no business data says so instead of showing zeros as figures', async () => {
  const page = await render('pages/finance/finance', {});
  await settled(page);
  await pick(page, '.range-picker', 0); // 今天: the demo data's day may not have started
  await settled(page);
  const answer = await app('app2_finance', { range: 'today' });
  const empty = answer.figures.days_with_data === 0 || answer.no_data === true;
  assert.equal(text(page, '.no-data') !== null, empty);
  if (empty) { // the empty state, never insight cards or a digest the data cannot support
    assert.ok(!page.querySelector('.insight') && !page.querySelector('.headline') && !page.querySelector('.summary'));
  }
});
