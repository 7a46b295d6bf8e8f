// Server-sent events from arbitrary byte chunks.
//
// A chunk may end inside a UTF-8 character or inside a frame, so bytes are kept until a
// frame's blank line arrives; only whole frames are decoded. The blank line is ASCII, so a
// byte-level split there never cuts a character.

import { decodeUtf8 } from './utf8.js';

/** @typedef {{event: string, data: any, id?: string, raw: string}} SseEvent */

const MAX_PENDING = 1 << 20; // a frame larger than 1 MiB is not one this API sends

/**
 * @param {{manualUtf8?: boolean}} [options]
 * @returns {{push(chunk: Uint8Array | ArrayBuffer): SseEvent[], end(): SseEvent[], comments: number}}
 */
export function createSseParser(options = {}) {
  let pending = new Uint8Array(0);
  const parser = {
    comments: 0,
    push(chunk) {
      const bytes = chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk);
      const joined = new Uint8Array(pending.length + bytes.length);
      joined.set(pending, 0);
      joined.set(bytes, pending.length);
      const events = [];
      let start = 0;
      for (;;) {
        const boundary = findBoundary(joined, start);
        if (boundary === null) break;
        const event = parseFrame(decodeUtf8(joined.subarray(start, boundary.at), { manual: options.manualUtf8 }), parser);
        if (event) events.push(event);
        start = boundary.next;
      }
      pending = joined.slice(start);
      if (pending.length > MAX_PENDING) throw new Error('SSE frame larger than 1 MiB');
      return events;
    },
    /** The stream ended: a last frame without its blank line still counts (per the SSE spec it does not, but nothing is lost). */
    end() {
      const rest = pending;
      pending = new Uint8Array(0);
      if (!rest.length) return [];
      const event = parseFrame(decodeUtf8(rest, { manual: options.manualUtf8 }), parser);
      return event ? [event] : [];
    },
  };
  return parser;
}

/** The first blank line (\n\n, \r\n\r\n or \r\r) from `from`: where the frame ends and the next starts. */
function findBoundary(bytes, from) {
  for (let i = from; i < bytes.length - 1; i++) {
    const a = bytes[i];
    if (a !== 10 && a !== 13) continue;
    if (a === 10 && bytes[i + 1] === 10) return { at: i, next: i + 2 };
    if (a === 13 && bytes[i + 1] === 13) return { at: i, next: i + 2 };
    if (a === 13 && bytes[i + 1] === 10 && i + 3 < bytes.length && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return { at: i, next: i + 4 };
    }
  }
  return null;
}

function parseFrame(text, counter) {
  let event = 'message';
  let id;
  const data = [];
  let sawField = false;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') continue;
    if (line[0] === ':') { counter.comments++; continue; }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value[0] === ' ') value = value.slice(1);
    sawField = true;
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  if (!sawField) return null;
  const raw = data.join('\n');
  let parsed = raw;
  try { parsed = raw ? JSON.parse(raw) : null; } catch (_) { /* not JSON: keep the text */ }
  return id === undefined ? { event, data: parsed, raw } : { event, data: parsed, id, raw };
}
