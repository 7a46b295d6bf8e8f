import assert from 'node:assert/strict';
import test from 'node:test';
import { closeDom, http, render, tap, text, texts, type, until, upstream, wx } from './harness.mjs';

test.after(async () => { await upstream({}); closeDom(); });

const bots = (page) => page.data.messages.filter((m) => m.role === 'bot');
const lastBot = (page) => bots(page).at(-1);
const idle = (page) => !page.data.sending;

async function stored(conversationId, turnId) {
  const { body } = await http('GET', `/chat/conversations/${conversationId}`);
  return body.turns.find((t) => t.turn_id === turnId);
}

test('a question streams its answer in over chunked wx.request, and the page shows the stored turn', async () => {
  await upstream({ chunks: 6 });
  const page = await render('pages/chat/chat', {});
  assert.match(text(page, '.empty'), /问我/);
  await type(page, '.draft', '今天台费多少？');
  await tap(page, '.send');
  assert.equal(text(page, '.stop'), '停止'); // the stop button replaces send while streaming
  await until(() => idle(page), 'the answer');
  const bot = lastBot(page);
  const turn = await stored(page.data.conversationId, bot.turnId);
  assert.ok(turn.answer.length > 0);
  assert.equal(bot.text, turn.answer);
  assert.deepEqual(texts(page, '.message .text'), ['今天台费多少？', turn.answer]);
  assert.ok(turn.usage.tokens_used > 0);
  assert.equal(bot.tokens, turn.usage.tokens_used); // from the done event's usage.tokens_used
  assert.equal(text(page, '.tokens'), `${turn.usage.tokens_used} tokens`);
  assert.equal(text(page, '.send'), '发送');
  const chunked = wx.calls.filter((c) => c.url.endsWith('/chat/messages'));
  assert.ok(chunked.length >= 1 && chunked.every((c) => c.enableChunked));
});

test('stop ends the stream where it is and keeps what arrived', async () => {
  await upstream({ chunks: 40, chunk_delay: 0.05 });
  const page = await render('pages/chat/chat', {});
  await type(page, '.draft', '介绍一下会员卡');
  await tap(page, '.send');
  await until(() => lastBot(page).text.length > 0, 'the first words');
  await tap(page, '.stop');
  const partial = lastBot(page).text;
  assert.equal(lastBot(page).note, '（已停止）');
  assert.equal(text(page, '.note'), '（已停止）');
  assert.equal(text(page, '.send'), '发送');
  await new Promise((resolve) => setTimeout(resolve, 300)); // more bytes would have come by now
  assert.equal(lastBot(page).text, partial);
  await upstream({});
});

test('a retryable error offers 重试, and a retry asks the same question again', async () => {
  await upstream({ kind: 'http_error', status: 429, code: 'Throttling' });
  const page = await render('pages/chat/chat', {});
  await type(page, '.draft', '包厢怎么预约？');
  await tap(page, '.send');
  await until(() => idle(page), 'the error');
  assert.equal(lastBot(page).retryable, true, JSON.stringify(lastBot(page)));
  assert.equal(text(page, '.message-error'), '服务繁忙，请稍后重试');
  await upstream({});
  await tap(page, '.retry');
  await until(() => idle(page) && lastBot(page).text, 'the retried answer');
  assert.equal(page.data.messages.length, 2, 'the failed pair is replaced, not repeated');
  assert.equal(page.data.messages[0].text, '包厢怎么预约？');
  assert.equal(text(page, '.message-error'), null);
  const turn = await stored(page.data.conversationId, lastBot(page).turnId);
  assert.equal(lastBot(page).text, turn.answer);
});

test('a phone locked mid-answer keeps the streamed part, then shows the stored turn when shown again', async () => {
  await upstream({ chunks: 12, chunk_delay: 0.02 });
  const page = await render('pages/chat/chat', {});
  await type(page, '.draft', '教练课怎么收费？');
  wx.interruptNext = { afterBytes: 400 }; // past meta and into the deltas
  page.triggerPageLifeTime('hide');
  await tap(page, '.send');
  await until(() => idle(page), 'the interrupted stream');
  const bot = lastBot(page);
  assert.ok(bot.turnId, 'meta arrived before the lock');
  assert.match(bot.note, /连接中断/);
  assert.equal(text(page, '.message.bot .text'), bot.text); // what arrived is still on screen
  const streamed = bot.text;
  page.triggerPageLifeTime('show');
  await until(() => !/正在恢复/.test(lastBot(page).note), 'the stored turn');
  const turn = await stored(page.data.conversationId, bot.turnId);
  assert.equal(lastBot(page).text, turn.answer);
  assert.equal(text(page, '.message.bot .text'), turn.answer);
  assert.ok(turn.answer.startsWith(streamed), `${streamed} / ${turn.answer}`);
  // The server stops when it notices the phone is gone, or finishes first: the page says which.
  assert.equal(lastBot(page).note, turn.interrupted ? '（回答未完成）' : '');
  assert.equal(text(page, '.retry') !== null, turn.interrupted);
  await upstream({});
});

test('the conversation list opens a conversation whose history is read from the server ten turns at a time', async () => {
  let conversationId;
  for (let i = 1; i <= 12; i++) {
    const res = await fetch(`${process.env.BAILIAN_BASE_URL}/chat/messages`, {
      method: 'POST', headers: { Authorization: `Bearer ${process.env.BAILIAN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ message: `第${i}问`, conversation_id: conversationId }),
    });
    const body = await res.text();
    conversationId ??= JSON.parse(body.split('\n').find((l) => l.startsWith('data:')).slice(5)).conversation_id;
  }
  const list = await render('pages/conversations/conversations', {});
  const { body } = await http('GET', '/chat/conversations?limit=20');
  assert.deepEqual(texts(list, '.conversation .title'), body.conversations.map((c) => c.title));
  const index = body.conversations.findIndex((c) => c.conversation_id === conversationId);
  list.querySelectorAll('.conversation')[index].dispatchEvent('tap');
  await until(() => wx.navigations.length, 'the navigation');
  assert.equal(wx.navigations.at(-1), '/pages/chat/chat'); // a tab page: switchTab, no query

  const page = await render('pages/chat/chat', {}); // takes the conversation the list handed over
  await until(() => page.data.conversationId === conversationId && !page.data.loading, 'the history');
  const users = () => page.data.messages.filter((m) => m.role === 'user').map((m) => m.text);
  assert.deepEqual(users(), Array.from({ length: 10 }, (_, i) => `第${i + 3}问`));
  assert.equal(text(page, '.show-older'), '更早的消息');
  await tap(page, '.show-older');
  await until(() => users().length === 12, 'the older page from the server');
  assert.deepEqual(users(), Array.from({ length: 12 }, (_, i) => `第${i + 1}问`));
  assert.equal(text(page, '.show-older'), null);
  const { body: full } = await http('GET', `/chat/conversations/${conversationId}`);
  assert.deepEqual(bots(page).map((m) => m.text), [...full.turns].reverse().map((t) => t.answer)); // newest first
});

test('on a client that never fires onChunkReceived the answer still arrives, whole, at the end', async () => {
  await upstream({ chunks: 5 });
  wx.chunkless = true;
  try {
    const page = await render('pages/chat/chat', {});
    await type(page, '.draft', '营业时间是几点？');
    await tap(page, '.send');
    await until(() => idle(page), 'the answer');
    const bot = lastBot(page);
    assert.equal(bot.error, '');
    const turn = await stored(page.data.conversationId, bot.turnId);
    assert.equal(bot.text, turn.answer);
  } finally {
    wx.chunkless = false;
  }
});
