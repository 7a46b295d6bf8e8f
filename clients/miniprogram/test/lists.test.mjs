import assert from 'node:assert/strict';
import test from 'node:test';
import { closeDom, http, inside, pick, render, tap, text, texts, type, until, wx } from './harness.mjs';

test.after(closeDom);

const settled = (page) => until(() => !page.data.loading, 'the list');

test('clues: a paged list of the site, filtered by status and search, opening App3 detail', async () => {
  const page = await render('pages/clues/clues', {});
  await settled(page);
  const first = (await http('GET', '/apps/clues?limit=20')).body;
  assert.deepEqual(texts(page, '.clue .customer-name'), first.items.map((c) => c.customer_name));
  if (first.next_cursor) {
    await tap(page, '.load-more');
    await settled(page);
    const second = (await http('GET', `/apps/clues?limit=20&cursor=${first.next_cursor}`)).body;
    assert.deepEqual(page.data.items.map((c) => c.clue_id), [...first.items, ...second.items].map((c) => c.clue_id));
  }
  await pick(page, '.status-picker', 1); // 待跟进
  await settled(page);
  assert.ok(page.data.items.length > 0);
  assert.deepEqual([...new Set(texts(page, '.clue .status'))], ['待跟进']);
  const name = page.data.items[0].customer_name;
  await type(page, '.search', name);
  await tap(page, '.search-btn');
  await settled(page);
  const searched = (await http('GET', `/apps/clues?limit=20&status=open&q=${encodeURIComponent(name)}`)).body;
  assert.deepEqual(page.data.items.map((c) => c.clue_id), searched.items.map((c) => c.clue_id));

  const clue = page.data.items[0];
  page.querySelectorAll('.clue')[0].dispatchEvent('tap');
  await until(() => wx.navigations.at(-1)?.startsWith('/pages/clue/clue'), 'the navigation');
  assert.equal(wx.navigations.at(-1), `/pages/clue/clue?id=${clue.clue_id}&customer=${clue.customer_id}&name=${encodeURIComponent(clue.customer_name)}`);

  const detail = await render('pages/clue/clue', { id: clue.clue_id, customer: clue.customer_id, name: clue.customer_name });
  await settled(detail);
  const answer = (await http('POST', '/apps/app3_clue_detail', { body: { clue_id: clue.clue_id } })).body;
  assert.equal(text(detail, '.profile'), answer.result.profile_summary);
  assert.deepEqual(texts(detail, '.fact'), answer.result.key_facts.map((f) => `· ${f}`));
});

test('a clue id of no clue on the site is a clear message, not a blank page', async () => {
  const detail = await render('pages/clue/clue', { id: 'cl-nope-999', customer: '' });
  await settled(detail);
  assert.equal(text(detail, '.page-error'), '没有找到该记录');
  assert.equal(text(detail, '.consolidate'), null);
});

test('customers: search by phone tail, then App7 insight and App8 consolidation for the one picked', async () => {
  const page = await render('pages/customers/customers', {});
  await settled(page);
  const first = (await http('GET', '/apps/customers?limit=20')).body;
  assert.deepEqual(texts(page, '.customer .customer-name'), first.items.map((c) => c.name));
  const target = first.items.find((c) => c.phone_tail);
  await type(page, '.search', target.phone_tail);
  await tap(page, '.search-btn');
  await settled(page);
  assert.ok(page.data.items.some((c) => c.customer_id === target.customer_id));
  const index = page.data.items.findIndex((c) => c.customer_id === target.customer_id);
  page.querySelectorAll('.customer')[index].dispatchEvent('tap');
  await until(() => wx.navigations.at(-1)?.startsWith('/pages/customer/customer'), 'the navigation');
  assert.equal(wx.navigations.at(-1), `/pages/customer/customer?id=${target.customer_id}&name=${encodeURIComponent(target.name)}`);

  const detail = await render('pages/customer/customer', { id: target.customer_id, name: target.name });
  await settled(detail);
  assert.equal(text(detail, '.page-error'), null);
  const insight = (await http('POST', '/apps/app7_customer_insight', { body: { customer_id: target.customer_id } })).body;
  assert.equal(text(detail, '.segment'), insight.result.segment);
  assert.deepEqual(texts(detail, '.reason'), insight.result.reasons.map((r) => `· ${r}`));
  await tap(detail, '.consolidate');
  await until(() => !detail.data.consolidating, 'the consolidation');
  const merged = (await http('POST', '/apps/app8_clue_consolidation', { body: { customer_id: target.customer_id } })).body;
  assert.equal(text(detail, '.consolidation-summary'), merged.result.summary);
  assert.equal(text(detail, '.removed'), `去重 ${merged.result.removed_duplicates} 条`);
});

test('a token the server refuses, with no login possible, is dropped and the page offers to sign in again', async () => {
  const good = wx.getStorageSync('bailian_token');
  wx.setStorageSync('bailian_token', 'not-a-token');
  try {
    const page = await render('pages/customers/customers', {});
    await settled(page);
    assert.equal(text(page, '.page-error'), '登录已失效，请重新登录');
    assert.equal(inside(page, '.signin', '.signin-button'), '重新登录'); // wx.login fails in these tests
    assert.equal(wx.getStorageSync('bailian_token'), '', 'the refused token is forgotten');
    assert.deepEqual(page.data.items, []);
  } finally {
    wx.setStorageSync('bailian_token', good);
  }
});
