// The SSE parser and the UTF-8 decoder on their own: arbitrary chunkings give the same events.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createSseParser, decodeUtf8Manual, encodeUtf8 } from '../src/index.js';
import { randomSplit, rng } from './helpers.js';

const SAMPLES = ['今晚八点还有包厢吗？', '🎱 台球 🎉', 'plain ascii', 'é', '𠀋𠀋', '中文\n换行', ''];

function stream(count, random) {
  const frames = [': ping\n\n'];
  const expected = [];
  for (let i = 0; i < count; i++) {
    const text = SAMPLES[Math.floor(random() * SAMPLES.length)] + i;
    frames.push(`event: delta\ndata: ${JSON.stringify({ text })}\n\n`);
    expected.push({ event: 'delta', data: { text } });
  }
  frames.push('event: done\r\ndata: {"ok":true}\r\n\r\n');
  expected.push({ event: 'done', data: { ok: true } });
  return { bytes: encodeUtf8(frames.join('')), expected };
}

const parseAll = (pieces, manualUtf8) => {
  const parser = createSseParser({ manualUtf8 });
  const events = pieces.flatMap((p) => parser.push(p)).concat(parser.end());
  return { events: events.map(({ event, data }) => ({ event, data })), comments: parser.comments };
};

test('parser gives the same events however the bytes are chunked', () => {
  const random = rng(20261128);
  const { bytes, expected } = stream(200, random);
  for (let round = 0; round < 300; round++) {
    const manual = round % 2 === 1;
    const { events, comments } = parseAll(randomSplit(bytes, random), manual);
    assert.deepEqual(events, expected, `round ${round}`);
    assert.equal(comments, 1);
  }
});

test('one byte at a time still splits every multi-byte character', () => {
  const { bytes, expected } = stream(30, rng(7));
  const pieces = Array.from(bytes, (b) => new Uint8Array([b]));
  assert.deepEqual(parseAll(pieces, true).events, expected);
  assert.deepEqual(parseAll(pieces, false).events, expected);
});

test('manual UTF-8 decoder agrees with TextDecoder, including invalid bytes', () => {
  const random = rng(99);
  const native = new TextDecoder('utf-8');
  for (let i = 0; i < 2000; i++) {
    const len = Math.floor(random() * 24);
    const bytes = new Uint8Array(len);
    for (let k = 0; k < len; k++) bytes[k] = Math.floor(random() * 256);
    assert.equal(decodeUtf8Manual(bytes), native.decode(bytes), `bytes ${Array.from(bytes)}`);
  }
  for (const s of SAMPLES) assert.equal(decodeUtf8Manual(encodeUtf8(s)), s);
});

test('a frame held back until its blank line arrives', () => {
  const parser = createSseParser();
  assert.deepEqual(parser.push(encodeUtf8('event: meta\ndata: {"a"')), []);
  assert.deepEqual(parser.push(encodeUtf8(':1}\n')), []);
  const [ev] = parser.push(encodeUtf8('\n'));
  assert.deepEqual({ event: ev.event, data: ev.data }, { event: 'meta', data: { a: 1 } });
});
