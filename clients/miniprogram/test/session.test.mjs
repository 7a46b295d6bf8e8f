import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import test from 'node:test';
import { mainBackend } from './backend.mjs';
import { BASE, ROOT, TOKEN, closeDom, inside, render, settledText, tap, type, until, wx } from './harness.mjs';

const require = createRequire(import.meta.url);
const api = require(path.join(ROOT, 'lib', 'api.js'));
const settings = require(path.join(ROOT, 'lib', 'settings.js'));
const EXPIRED = process.env.BAILIAN_EXPIRED_TOKEN; // signed by the server's secret, exp in the past

let backend;
let logins = 0;
test.before(async () => {
  backend = await mainBackend(TOKEN);
  api.configure({ baseUrl: BASE, loginUrl: backend.url });
  wx.login = ({ success }) => { logins += 1; setImmediate(() => success({ code: 'code-ok' })); };
});
test.after(() => { backend.server.close(); closeDom(); });

const expireToken = () => wx.setStorageSync('bailian_token', EXPIRED);
const counted = () => ({ logins, backend: backend.seen.length });

test('a token that expires mid-session: the next request logs in once, silently, and succeeds', async () => {
  const page = await render('pages/customers/customers', {});
  assert.equal(await settledText(page, '.page-error'), null);
  expireToken();
  const before = counted();
  const refused = wx.calls.length;
  await page.instance.load();
  assert.equal(page.data.error, '');
  assert.ok(page.data.items.length > 0);
  assert.deepEqual(counted(), { logins: before.logins + 1, backend: before.backend + 1 });
  assert.equal(wx.getStorageSync('bailian_token'), TOKEN, 'the new token is kept');
  const asked = wx.calls.slice(refused).filter((c) => c.url.includes('/apps/customers'));
  assert.equal(asked.length, 2, 'the refused request and its one retry');
  assert.equal(inside(page, '.signin', '.signin-prompt'), null);
});

test('ten pages asking at once with an expired token cause one wx.login', async () => {
  expireToken();
  const before = counted();
  const pages = await Promise.all(Array.from({ length: 10 }, () => render('pages/customers/customers', {})));
  await until(() => pages.every((p) => !p.data.loading && p.data.items.length), 'ten pages');
  assert.deepEqual(pages.map((p) => p.data.error), Array(10).fill(''));
  assert.deepEqual(counted(), { logins: before.logins + 1, backend: before.backend + 1 });
});

test('a chat turn refused with 401 is sent again once after a silent login, and its answer streams in', async () => {
  expireToken();
  const before = counted();
  const mark = wx.calls.length;
  const chat = await render('pages/chat/chat', {});
  await type(chat, '.draft', '今天台费多少？');
  await tap(chat, '.send');
  await until(() => !chat.data.sending, 'the answer');
  const bot = chat.data.messages.at(-1);
  assert.equal(bot.error, '');
  assert.ok(bot.text.length > 0 && bot.turnId);
  assert.equal(counted().logins, before.logins + 1);
  const sends = wx.calls.slice(mark).filter((c) => c.url.endsWith('/chat/messages'));
  assert.equal(sends.length, 2, 'the refused turn and its one retry');
  assert.equal(sends[0].data, sends[1].data, 'the same turn, from the start');
});

test('the first request waits for the launch login instead of going out without a token', async () => {
  wx.removeStorageSync('bailian_token');
  const before = counted();
  require(path.join(ROOT, 'lib', 'session.js')).launch(); // what app.js onLaunch does
  const page = await render('pages/customers/customers', {});
  await until(() => !page.data.loading && page.data.items.length, 'the list');
  assert.equal(page.data.error, '');
  assert.equal(counted().logins, before.logins + 1);
  const unsigned = wx.calls.filter((c) => c.url.startsWith(BASE) && c.header && !c.header.Authorization);
  assert.deepEqual(unsigned, []);
});

test('a second 401 in a row shows the sign-in prompt, and its button signs in again', async () => {
  expireToken();
  backend.token = EXPIRED; // the backend hands out a token the server refuses too
  const page = await render('pages/customers/customers', {});
  await until(() => inside(page, '.signin', '.signin-title'), 'the sign-in prompt');
  assert.equal(inside(page, '.signin', '.signin-title'), '登录已失效');
  assert.equal(inside(page, '.signin', '.signin-button'), '重新登录');
  assert.equal(page.data.error, '登录已失效，请重新登录');
  backend.token = TOKEN;
  const before = counted();
  const prompt = page.querySelector('.signin');
  prompt.querySelector('.signin-button').dispatchEvent('tap');
  await until(() => !inside(page, '.signin', '.signin-prompt'), 'the prompt to go');
  assert.equal(counted().logins, before.logins + 1);
  assert.equal(wx.getStorageSync('bailian_token'), TOKEN);
  await page.instance.load();
  assert.equal(page.data.error, '');
});

test('baseUrl and loginUrl must be https in a release build; a debug build also takes http://127.0.0.1', () => {
  const { urlProblem } = settings;
  assert.equal(urlProblem('baseUrl', 'https://ai.example.com', 'release'), '');
  assert.match(urlProblem('baseUrl', 'http://127.0.0.1:9000', 'release'), /https/);
  assert.equal(urlProblem('baseUrl', 'http://127.0.0.1:9000', 'develop'), '');
  assert.match(urlProblem('loginUrl', 'http://venue.example.com/token', 'develop'), /https/);
  assert.match(urlProblem('baseUrl', 'http://127.0.0.1.evil.example/x', 'develop'), /https/);
  wx.envVersion = 'release';
  try {
    api.configure({ baseUrl: BASE }); // http://127.0.0.1:…
    assert.throws(() => api.api(), /配置错误：baseUrl 必须是 https/);
  } finally {
    wx.envVersion = 'develop';
    api.configure({ baseUrl: BASE });
  }
  assert.ok(api.api());
});
