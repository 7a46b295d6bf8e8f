import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { ROOT, closeDom, render, tap, text, texts, type, until, upstream, wx } from './harness.mjs';

test.after(async () => { await upstream({}); closeDom(); });

const ANSWER = [
  '## 本周经营要点',
  '',
  '台费收入**增长明显**，*夜场*贡献最大。',
  '',
  '- 大厅开台率 68%',
  '- 包厢预订增多',
  '1. 推出工作日套餐',
  '',
  '<script>alert(1)</script> 和 [详情](javascript:alert(2)) 都只是文字',
].join('\n');

test('a Markdown answer renders bold, a list and a heading as nodes; <script> and javascript: stay text', async () => {
  await upstream({ kind: 'text', text: ANSWER, chunks: 8 });
  const page = await render('pages/chat/chat', {});
  await type(page, '.draft', '总结一下本周经营');
  await tap(page, '.send');
  await until(() => !page.data.sending, 'the answer');
  const bot = page.data.messages.at(-1);
  assert.equal(bot.text, ANSWER);
  assert.equal(text(page, '.md-h'), '本周经营要点');
  assert.ok(page.querySelector('.md-h2'), 'a level-2 heading');
  assert.deepEqual(texts(page, '.md-b'), ['增长明显']);
  assert.deepEqual(texts(page, '.md-i'), ['夜场']);
  assert.deepEqual(texts(page, '.md-li'), ['• 大厅开台率 68%', '• 包厢预订增多', '1. 推出工作日套餐']);
  const last = texts(page, '.md-p').at(-1);
  assert.equal(last, '<script>alert(1)</script> 和 详情（javascript:alert(2)） 都只是文字');
  // Nothing of the answer became an element: no script, no link, no rich-text node.
  const html = page.dom.innerHTML;
  assert.doesNotMatch(html, /<script|<a[\s>]|rich-text/i);
  // Selectable: the simulator's <text> drops user-select, so the template itself is read.
  const wxml = fs.readFileSync(path.join(ROOT, 'pages', 'chat', 'chat.wxml'), 'utf8');
  const textTags = wxml.match(/<text[^>]*class="(md-span|text)[^"]*"[^>]*>/g) || [];
  assert.equal(textTags.length, 2, 'the question and the answer spans');
  assert.ok(textTags.every((tag) => tag.includes('user-select="{{true}}"')), textTags.join('\n'));
});

test('a long press copies the answer; the view follows a streaming answer until the person scrolls up', async () => {
  await upstream({ chunks: 30, chunk_delay: 0.03 });
  const page = await render('pages/chat/chat', {});
  await type(page, '.draft', '介绍一下会员卡');
  await tap(page, '.send');
  await until(() => page.data.messages.at(-1).text.length > 0, 'the first words');
  const followed = page.data.scrollTop;
  await until(() => page.data.scrollTop > followed, 'the view following the answer');
  page.querySelector('.thread').dispatchEvent('scroll', { detail: { scrollTop: 10, deltaY: 40 } }); // the person scrolls up
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(page.data.following, false);
  const held = page.data.scrollTop;
  await until(() => !page.data.sending, 'the answer');
  assert.equal(page.data.scrollTop, held, 'the view stays where the person scrolled');
  page.querySelector('.thread').dispatchEvent('scrolltolower');
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(page.data.following, true);
  page.querySelectorAll('.message')[1].dispatchEvent('longpress');
  await until(() => wx.clipboard, 'the copy');
  assert.equal(wx.clipboard, page.data.messages[1].text);
  assert.equal(text(page, '.ai-mark'), 'AI 生成 · 长按复制');
  await upstream({});
});
