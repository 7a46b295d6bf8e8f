import assert from 'node:assert/strict';
import test from 'node:test';
import { closeDom, http, render, text, texts, until } from './harness.mjs';

test.after(closeDom);

test('bar-chart draws a current and a comparison bar per row, scaled to the largest value', async () => {
  const comp = await render('components/bar-chart/bar-chart');
  comp.setData({ rows: [{ label: '大厅', current: 200, previous: 100 }, { label: '包厢', current: 50, previous: 0 }] });
  await until(() => texts(comp, '.chart-label').length === 2, 'chart rows');
  assert.deepEqual(texts(comp, '.chart-label'), ['大厅', '包厢']);
  const widths = comp.querySelectorAll('.bar').map((b) => b.dom.getAttribute('style'));
  assert.deepEqual(widths.map((w) => w.replace(/\s/g, '')), ['width:100%', 'width:50%', 'width:25%', 'width:0%']);
});

test('clock-banner stays hidden while the live clock is in force', async () => {
  const clock = (await http('GET', '/clock')).body;
  assert.equal(clock.sandbox, false);
  const comp = await render('components/clock-banner/clock-banner');
  await until(() => comp.data.clock.loaded, 'the clock');
  assert.equal(comp.data.clock.businessDate, clock.business_date);
  assert.equal(text(comp, '.clock-banner'), null);
});
