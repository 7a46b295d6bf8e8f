import assert from 'node:assert/strict';
import test from 'node:test';
import { TOKEN, closeDom, inside, render, texts, until, wx } from './harness.mjs';

const STAFF = process.env.BAILIAN_STAFF_TOKEN; // role staff, same site
test.after(() => { wx.setStorageSync('bailian_token', TOKEN); closeDom(); });

test('a staff token: the tab bar has AI 助手, 线索 and 客户, and no 经营看板', async () => {
  wx.setStorageSync('bailian_token', STAFF);
  const bar = await render('custom-tab-bar/index');
  assert.deepEqual(texts(bar, '.tab-text'), ['AI 助手', '线索', '客户']);
  bar.querySelectorAll('.tab')[1].dispatchEvent('tap');
  await until(() => wx.navigations.at(-1) === '/pages/clues/clues', 'the switch to 线索');
});

test('a manager token: the tab bar also has 经营看板', async () => {
  wx.setStorageSync('bailian_token', TOKEN);
  const bar = await render('custom-tab-bar/index');
  assert.deepEqual(texts(bar, '.tab-text'), ['AI 助手', '经营看板', '线索', '客户']);
});

test('a staff member opening the board directly gets the explanation page, and no app is asked', async () => {
  wx.setStorageSync('bailian_token', STAFF);
  const before = wx.calls.length;
  const page = await render('pages/finance/finance', {});
  await until(() => page.data.denied, 'the explanation');
  assert.equal(inside(page, '.denied', '.denied-title'), '经营看板仅对店长及以上开放');
  assert.match(inside(page, '.denied', '.denied-text'), /你当前的账号角色是「店员」/);
  assert.ok(!page.querySelector('.insight'), 'no insight card');
  assert.ok(!page.querySelector('.figures'), 'no figures');
  assert.deepEqual(wx.calls.slice(before).filter((c) => c.url.includes('/apps/app2')), []);
});
