import assert from 'node:assert/strict';
import test from 'node:test';
import { closeDom, http, inside, pick, render, tap, text, texts, type, until, wx } from './harness.mjs';

test.after(closeDom);

const headingOf = (block) => [text(block, '.ai-heading'), text(block, '.ai-mark'), text(block, '.ai-subject')];
// Section titles live in the page's slot content, so they are read from the page, block by block.
const sectionTitles = (page) => texts(page, '.ai-section-title');
const ready = (page, slot) => until(() => !page.data[slot].loading && (page.data[slot].result || page.data[slot].error), slot);

/** 👍/👎 exactly when the server's answer offers feedback; a tap sends it and marks the choice. */
async function feedbackWorks(page, host, answer) {
  const block = page.querySelector(host);
  const offered = typeof answer.request_id === 'string';
  assert.equal(Boolean(block.querySelector('.vote-up')), offered, `${host}: buttons iff the answer offers feedback`);
  if (!offered) return;
  block.querySelector('.vote-up').dispatchEvent('tap');
  await until(() => block.querySelector('.vote-up.chosen'), 'the rating');
  const sent = wx.calls.filter((c) => c.url.endsWith('/apps/feedback')).at(-1);
  // The page rates its own answer: the request_id of the page's request (each request has its own).
  const rated = JSON.parse(sent.data);
  assert.equal(rated.rating, 'up');
  assert.match(rated.request_id, /^[A-Za-z0-9._:-]{1,128}$/);
  assert.notEqual(rated.request_id, answer.request_id, 'the test asked again: another request');
  // The server has that answer on the page's site: a second rating by the same user replaces it.
  const again = await http('POST', '/apps/feedback', { body: { request_id: rated.request_id, rating: 'down' } });
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal(again.body.replaced, true);
}

test('the clue page: App3, App4, App5 with a goal, App6 on typed notes and App8, each headed and marked', async () => {
  const { items } = (await http('GET', '/apps/clues?limit=5')).body;
  const clue = items[0];
  const page = await render('pages/clue/clue', { id: clue.clue_id, customer: clue.customer_id, name: clue.customer_name });
  await until(() => !page.data.loading, 'App3');
  assert.equal(text(page, '.subject-name'), clue.customer_name);
  const app3 = (await http('POST', '/apps/app3_clue_detail', { body: { clue_id: clue.clue_id } })).body;
  assert.deepEqual(headingOf(page.querySelector('.app3')), ['线索画像', 'AI 生成', `关于：${clue.customer_name}`]);
  const app3Titles = ['画像摘要', '意向等级', '关键事实', '跟进建议', ...(app3.result.risk_flags?.length ? ['风险提示'] : [])];
  assert.deepEqual(sectionTitles(page), app3Titles);
  assert.equal(text(page, '.profile'), app3.result.profile_summary);
  await feedbackWorks(page, '.app3', app3);

  await tap(page, '.relate');
  await ready(page, 'relation');
  const app4 = (await http('POST', '/apps/app4_relationship', { body: { customer_id: clue.customer_id } })).body;
  assert.deepEqual(headingOf(page.querySelector('.app4')), ['关系分析', 'AI 生成', `关于：${clue.customer_name}`]);
  assert.deepEqual(sectionTitles(page), [...app3Titles, '关系评分', '总结', '亮点', '下一步']);
  assert.equal(text(page, '.relation-score'), `${app4.result.score} / 100`);
  assert.equal(text(page, '.relation-summary'), app4.result.summary);

  await pick(page, '.goal-picker', 2);
  assert.equal(text(page, '.goal-value'), page.data.goalLabels[2]);
  await tap(page, '.plan');
  await ready(page, 'tactics');
  const goal = page.data.goalLabels[2];
  const app5 = (await http('POST', '/apps/app5_tactics', { body: { customer_id: clue.customer_id, goal, clue_id: clue.clue_id } })).body;
  assert.equal(text(page.querySelector('.app5'), '.ai-heading'), `跟进话术 · ${goal}`);
  assert.deepEqual(texts(page, '.opener'), app5.result.openers.map((o) => `“${o}”`));
  assert.deepEqual(texts(page, '.talking-point'), app5.result.talking_points.map((o) => `· ${o}`));
  assert.equal(text(page.querySelector('.app5'), '.ai-mark'), 'AI 生成');

  const note = `${clue.customer_name}说周六晚上想带同事来打球，问包厢有没有空，还想了解会员充值优惠`;
  await type(page, '.note', note);
  await tap(page, '.analyse');
  await ready(page, 'notes');
  const app6 = (await http('POST', '/apps/app6_note_analysis', { body: { note } })).body;
  assert.deepEqual(headingOf(page.querySelector('.app6')), ['笔记中的线索', 'AI 生成', '关于：你输入的笔记']);
  assert.deepEqual(texts(page, '.note-clue'), app6.result.clues.map((c) => `${c.category}：${c.content}（置信度 ${Math.round(c.confidence * 100)}%）`));

  await tap(page, '.consolidate');
  await until(() => !page.data.consolidating && page.data.consolidation, 'App8');
  const app8 = (await http('POST', '/apps/app8_clue_consolidation', { body: { customer_id: clue.customer_id } })).body;
  assert.deepEqual(headingOf(page.querySelector('.app8')), ['线索整合', 'AI 生成', `关于：${clue.customer_name}`]);
  assert.equal(text(page, '.consolidation-summary'), app8.result.summary);
  for (const host of ['.app4', '.app5', '.app6', '.app8']) {
    const answer = { '.app4': app4, '.app5': app5, '.app6': app6, '.app8': app8 }[host];
    await feedbackWorks(page, host, answer);
  }
});

test('an empty notes box asks for text instead of calling App6', async () => {
  const { items } = (await http('GET', '/apps/clues?limit=1')).body;
  const page = await render('pages/clue/clue', { id: items[0].clue_id, customer: items[0].customer_id, name: items[0].customer_name });
  await until(() => !page.data.loading, 'App3');
  const before = wx.calls.length;
  await tap(page, '.analyse');
  assert.equal(text(page, '.notes-error'), '请先输入笔记内容');
  assert.deepEqual(wx.calls.slice(before).filter((c) => c.url.includes('app6')), []);
});

test('the customer page: App7, App4 and App8, each headed with the customer and marked AI', async () => {
  const { items } = (await http('GET', '/apps/customers?limit=3')).body;
  const customer = items[0];
  const page = await render('pages/customer/customer', { id: customer.customer_id, name: customer.name });
  await until(() => !page.data.loading, 'App7');
  assert.deepEqual(headingOf(page.querySelector('.app7')), ['客户洞察', 'AI 生成', `关于：${customer.name}`]);
  assert.deepEqual(sectionTitles(page), ['客户分层', '流失风险', '判断依据', '建议']);
  await tap(page, '.relate');
  await ready(page, 'relation');
  assert.deepEqual(headingOf(page.querySelector('.app4')), ['关系分析', 'AI 生成', `关于：${customer.name}`]);
});

test('"ask about this" on a clue opens chat with that clue as the chat context', async () => {
  const { items } = (await http('GET', '/apps/clues?limit=1')).body;
  const clue = items[0];
  const page = await render('pages/clue/clue', { id: clue.clue_id, customer: clue.customer_id, name: clue.customer_name });
  await until(() => !page.data.loading, 'App3');
  await tap(page, '.ask');
  assert.equal(wx.navigations.at(-1), '/pages/chat/chat');
  const chat = await render('pages/chat/chat', {});
  assert.equal(text(chat, '.context-about'), `正在询问：${clue.customer_name}的线索`);
  await type(chat, '.draft', '这位客户下一步怎么跟进？');
  await tap(chat, '.send');
  await until(() => !chat.data.sending, 'the answer');
  const sent = wx.calls.filter((c) => c.url.endsWith('/chat/messages')).at(-1);
  assert.deepEqual(JSON.parse(sent.data).context, { page: 'clue', clue_id: clue.clue_id, customer_id: clue.customer_id });
  assert.equal(chat.data.messages.at(-1).error, '');
});
