import assert from 'node:assert/strict';
import test from 'node:test';
import { TOKEN, closeDom, http, render, tap, type, until, upstream, wx } from './harness.mjs';
import { saveScreen } from './screens.mjs';

const DIR = process.env.BAILIAN_ARTIFACTS || '';
test.after(async () => { await upstream({}); wx.setStorageSync('bailian_token', TOKEN); closeDom(); });

const loaded = (page) => until(() => !page.data.loading, 'the page');

test('every page renders for a manager and a staff member, saved as HTML for the screenshots', async () => {
  const bar = await render('custom-tab-bar/index');
  const shots = [];
  const shoot = (name, title, page, withBar = true) => shots.push(saveScreen(DIR, name, title, page, withBar ? bar : null));

  await upstream({ kind: 'text', text: '## 本周要点\n\n台费收入**增长明显**，*夜场*贡献最大。\n\n- 大厅开台率 68%\n- 包厢预订增多\n\n`<script>` 只是文字' });
  const chat = await render('pages/chat/chat', {});
  await type(chat, '.draft', '总结一下本周经营');
  await tap(chat, '.send');
  await until(() => !chat.data.sending, 'the answer');
  await upstream({});
  bar.instance.refresh('/pages/chat/chat');
  shoot('chat', 'AI 助手', chat);

  const conversations = await render('pages/conversations/conversations', {});
  await loaded(conversations);
  shoot('conversations', '会话列表', conversations, false);

  const finance = await render('pages/finance/finance', {});
  await loaded(finance);
  assert.equal(finance.data.error, '');
  bar.instance.refresh('/pages/finance/finance');
  shoot('finance', '经营看板', finance);

  const clues = await render('pages/clues/clues', {});
  await loaded(clues);
  bar.instance.refresh('/pages/clues/clues');
  shoot('clues', '线索', clues);

  const c = clues.data.items[0];
  const clue = await render('pages/clue/clue', { id: c.clue_id, customer: c.customer_id, name: c.customer_name });
  await loaded(clue);
  await tap(clue, '.relate');
  await tap(clue, '.plan');
  await type(clue, '.note', `${c.customer_name}说周六想带同事来包厢团建，也问了会员充值`);
  await tap(clue, '.analyse');
  await tap(clue, '.consolidate');
  await until(() => clue.data.relation.result && clue.data.tactics.result && clue.data.notes.result && clue.data.consolidation, 'every block');
  shoot('clue', '线索详情', clue, false);

  const customers = await render('pages/customers/customers', {});
  await loaded(customers);
  bar.instance.refresh('/pages/customers/customers');
  shoot('customers', '客户', customers);

  const u = customers.data.items[0];
  const customer = await render('pages/customer/customer', { id: u.customer_id, name: u.name });
  await loaded(customer);
  await tap(customer, '.relate');
  await tap(customer, '.consolidate');
  await until(() => customer.data.relation.result && customer.data.consolidation, 'every block');
  shoot('customer', '客户详情', customer, false);

  wx.setStorageSync('bailian_token', process.env.BAILIAN_STAFF_TOKEN);
  const staffBar = await render('custom-tab-bar/index');
  staffBar.instance.refresh('/pages/finance/finance');
  const denied = await render('pages/finance/finance', {});
  await until(() => denied.data.denied, 'the explanation');
  shots.push(saveScreen(DIR, 'finance-staff', '经营看板', denied, staffBar));

  for (const page of [chat, conversations, finance, clues, clue, customers, customer]) assert.equal(page.data.error, '');
  if (DIR) assert.equal(shots.filter(Boolean).length, 8);
  assert.ok((await http('GET', '/clock')).status === 200);
});
