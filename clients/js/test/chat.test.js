// chat.send() over a scripted transport: what the consumer sees however the bytes are grouped.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createClient } from '../src/index.js';

const FRAMES = 'event: meta\ndata: {"conversation_id":"c1","turn_id":"t1"}\n\n'
  + 'event: delta\ndata: {"text":"你好"}\n\n'
  + 'event: done\ndata: {"finish_reason":"stop"}\n\n';

/** A transport that answers 200 and hands the whole SSE body over as one chunk. */
const oneChunkTransport = {
  async request({ onHead, onChunk }) {
    onHead?.(200);
    onChunk(new TextEncoder().encode(FRAMES));
    return { status: 200, requestId: 'r1' };
  },
};

test('cancel at meta yields nothing more, even when done arrived in the same chunk', async () => {
  const client = createClient({ baseUrl: 'http://127.0.0.1:1', token: 't', transport: oneChunkTransport });
  const call = client.chat.send({ message: 'hi' });
  const seen = [];
  for await (const ev of call) {
    seen.push(ev.type);
    if (ev.type === 'meta') call.cancel();
  }
  await call.finished;
  assert.deepEqual(seen, ['meta']);
  assert.ok(call.cancelled);
});

test('without cancel the same chunk yields meta, delta, done', async () => {
  const client = createClient({ baseUrl: 'http://127.0.0.1:1', token: 't', transport: oneChunkTransport });
  const seen = [];
  for await (const ev of client.chat.send({ message: 'hi' })) seen.push(ev.type);
  assert.deepEqual(seen, ['meta', 'delta', 'done']);
});
