// Against a running `bailian-fc dev` (started by tests/test_js_client.py): both transports,
// real response bytes split at random, the error contract, cancellation and the admin routes.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BailianApiError, createClient, createSseParser, fetchTransport, wxTransport } from '../src/index.js';
import { env, randomSplit, rng, wxShim } from './helpers.js';

const BASE = env('BAILIAN_BASE_URL');
const TOKEN = env('BAILIAN_TOKEN');
const ADMIN = env('BAILIAN_ADMIN_TOKEN');
const SEED = Number(process.env.BAILIAN_SEED || Date.now() % 100000);
console.log(`# random seed ${SEED} (BAILIAN_SEED to replay)`);

const fetchClient = (token = TOKEN, extra = {}) => createClient({ baseUrl: BASE, token, transport: fetchTransport(), ...extra });
const wxClient = (random, token = TOKEN, opts) => createClient({ baseUrl: BASE, token, transport: wxTransport(wxShim(random, opts)) });

async function collect(call) {
  const events = [];
  for await (const ev of call) events.push(ev);
  return events;
}

function checkTurn(events) {
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'meta', types.join(','));
  assert.equal(types.at(-1), 'done', JSON.stringify(events.at(-1)));
  assert.ok(types.filter((t) => t === 'delta').length >= 1);
  assert.equal(events.filter((e) => e.type === 'meta' || e.type === 'done').length, 2);
  return { meta: events[0].data, done: events.at(-1).data, text: events.filter((e) => e.type === 'delta').map((e) => e.data.text).join('') };
}

test('fetch transport streams a chat whose text is the stored answer', async () => {
  const client = fetchClient();
  const seen = [];
  const events = await collect(client.chat.send({ message: '今晚八点还有包厢吗？' }, { onEvent: (e) => seen.push(e.type) }));
  const { meta, done, text } = checkTurn(events);
  assert.deepEqual(seen, events.map((e) => e.type));
  assert.equal(done.conversation_id, meta.conversation_id);
  assert.ok(text.length > 0);
  const stored = await client.conversations.get(meta.conversation_id);
  const turns = stored.turns || stored.items || [];
  assert.ok(JSON.stringify(turns).includes(JSON.stringify(text).slice(1, -1)), 'stored answer equals the streamed text');
  const page = await client.conversations.get(meta.conversation_id, { limit: 1 });
  assert.equal(page.turns.length, 1);
  assert.ok(done.usage.tokens_used > 0);
  assert.equal(done.usage.tokens_used, page.turns[0].usage.tokens_used, 'done carries the stored turn\'s total');
  assert.equal(page.next_before, null);
  const listed = await client.conversations.list();
  assert.ok(JSON.stringify(listed).includes(meta.conversation_id));
});

test('real chat bytes split at random parse to the same events as whole', async () => {
  const res = await fetch(`${BASE}/chat/messages`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`,
    'Content-Type': 'application/json' }, body: JSON.stringify({ message: '周末有什么活动？🎱' }) });
  assert.equal(res.status, 200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const whole = createSseParser();
  const expected = whole.push(bytes).concat(whole.end()).map(({ event, data }) => ({ event, data }));
  assert.ok(expected.length >= 3 && expected.at(-1).event === 'done');
  const random = rng(SEED);
  for (let round = 0; round < 200; round++) {
    const parser = createSseParser({ manualUtf8: round % 2 === 0 });
    const got = randomSplit(bytes, random, 50).flatMap((p) => parser.push(p)).concat(parser.end());
    assert.deepEqual(got.map(({ event, data }) => ({ event, data })), expected, `seed ${SEED} round ${round}`);
  }
});

test('wx.request transport gets the same turn from bytes delivered in random pieces', async () => {
  const random = rng(SEED + 1);
  for (let round = 0; round < 5; round++) {
    const client = wxClient(random);
    const { meta, done, text } = checkTurn(await collect(client.chat.send({ message: `包厢价格 ${round}` })));
    assert.ok(text.length > 0 && done.turn_id === meta.turn_id);
  }
});

test('wx.request without onChunkReceived firing (DevTools) still yields the turn from success', async () => {
  const client = wxClient(rng(SEED + 2), TOKEN, { fireChunks: false });
  checkTurn(await collect(client.chat.send({ message: '营业时间？' })));
});

test('plain calls work over both transports: catalogue, clock, an app', async () => {
  for (const client of [fetchClient(), wxClient(rng(SEED + 3))]) {
    const { apps } = await client.apps.list();
    assert.ok(apps.some((a) => a.key === 'app2_finance'));
    const clock = await client.clock();
    assert.match(clock.business_date, /^\d{4}-\d{2}-\d{2}$/);
    const answer = await client.apps.run('app2_finance', { range: 'last_7_days' });
    assert.equal(answer.app, 'app2_finance');
    assert.ok(Array.isArray(answer.result.insights));
    assert.equal(typeof answer.cached, 'boolean');
  }
});

test('errors become one typed error, and auth errors reach onAuthError', async () => {
  const authErrors = [];
  const bad = fetchClient('not-a-token', { onAuthError: (e) => authErrors.push(e.status) });
  const err = await bad.apps.list().catch((e) => e);
  assert.ok(err instanceof BailianApiError);
  assert.equal(err.status, 401);
  assert.equal(err.code, 'Unauthorized');
  assert.ok(err.isAuth && err.requestId);
  assert.deepEqual(authErrors, [401]);
  const forbidden = await fetchClient(TOKEN).admin.triggers.list().catch((e) => e);
  assert.equal(forbidden.status, 403);
  const invalid = await fetchClient().apps.run('app2_finance', { range: 'next_year' }).catch((e) => e);
  assert.equal(invalid.status, 400);
  assert.equal(invalid.code, 'ValidationError');
  assert.ok(invalid.details.length >= 1);
  for (const client of [fetchClient(), wxClient(rng(SEED + 4))]) {
    const events = await collect(client.chat.send({ message: '' }));
    assert.deepEqual(events.map((e) => e.type), ['error']);
    assert.equal(events[0].data.status, 400);
    assert.equal(events[0].data.code, 'ValidationError');
  }
  const net = await collect(createClient({ baseUrl: 'http://127.0.0.1:9', token: TOKEN, transport: fetchTransport() })
    .chat.send({ message: 'hi' }));
  assert.deepEqual(net.map((e) => [e.type, e.data.code]), [['error', 'NetworkError']]);
});

test('cancel ends the turn without a last event, over both transports', async () => {
  for (const client of [fetchClient(), wxClient(rng(SEED + 5))]) {
    const call = client.chat.send({ message: '请详细介绍一下会员卡' });
    const events = [];
    for await (const ev of call) {
      events.push(ev);
      if (ev.type === 'meta') call.cancel();
    }
    await call.finished;
    assert.equal(events[0].type, 'meta');
    assert.ok(!events.some((e) => e.type === 'done' || e.type === 'error'), JSON.stringify(events.map((e) => e.type)));
    assert.ok(call.cancelled);
  }
});

test('admin routes: triggers, cron preview and its validation, run logs, dashboard', async () => {
  const admin = fetchClient(ADMIN).admin;
  const { jobs } = await admin.triggers.list();
  assert.ok(jobs.some((j) => j.name === 'app2_prewarm'));
  const preview = await admin.cronPreview('0 15 9 * * *', 'Asia/Shanghai');
  assert.equal(preview.next_fire_times.length, 5);
  assert.ok(preview.next_fire_times.every((t) => t.includes('T01:15:00')));
  const bad = await admin.cronPreview('61 * * * * *').catch((e) => e);
  assert.equal(bad.status, 400);
  assert.equal(bad.code, 'InvalidCron');
  const logs = await admin.runlogs({ limit: 5 });
  assert.ok(Array.isArray(logs.items) && logs.items.length >= 1);
  const dash = await admin.dashboard({ days: 1 });
  assert.ok(dash.total.calls >= 1 && Array.isArray(dash.by_hour));
  const { apps } = await admin.appSchemas();
  assert.ok(apps.find((a) => a.key === 'app2_finance').input_schema.properties.range);
});
