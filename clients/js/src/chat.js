// chat.send(): one POST /chat/messages, its SSE answer as meta / delta / done / error events.
//
// Every way a turn can end becomes exactly one last event: the server's `done` or `error`, an
// HTTP error (401, 400, 429 …) or a network failure as `error`, and a stream that stops without
// either as `error` StreamEnded. Only cancel() ends a turn without a last event.

import { errorFromResponse } from './errors.js';
import { createSseParser } from './sse.js';
import { createCanceller } from './transports.js';
import { decodeUtf8 } from './utf8.js';

const KINDS = new Set(['meta', 'delta', 'done', 'error']);
const MAX_ERROR_BODY = 64 * 1024;

function errorData(err) {
  return { code: err.code, message: err.message, retryable: err.retryable, status: err.status,
    request_id: err.requestId ?? null };
}

/**
 * @param {{transport: any, url: string, headers: () => Record<string, string>, onAuthError?: (e: any) => void,
 *          timeoutMs?: number}} ctx
 * @param {object} body `{message, conversation_id?, context?}`
 * @param {{onEvent?: (ev: {type: string, data: any}) => void, manualUtf8?: boolean}} [options]
 */
export function sendChat(ctx, body, options = {}) {
  const canceller = createCanceller();
  const queue = [];
  let wake = null;
  let ended = false;

  const emit = (event) => {
    try { options.onEvent?.(event); } catch (_) { /* a page's handler must not break the stream */ }
    queue.push(event);
    if (wake) { const w = wake; wake = null; w(); }
  };
  const finish = () => { ended = true; if (wake) { const w = wake; wake = null; w(); } };

  const finished = (async () => {
    const parser = createSseParser({ manualUtf8: options.manualUtf8 });
    let status = null;
    let terminal = false;
    const kept = [];
    let keptBytes = 0;
    const deliver = (ev) => {
      if (terminal || canceller.cancelled || !KINDS.has(ev.event)) return;
      terminal = ev.event === 'done' || ev.event === 'error';
      emit({ type: ev.event, data: ev.data });
    };
    const onChunk = (bytes) => {
      if (keptBytes < MAX_ERROR_BODY) { kept.push(bytes); keptBytes += bytes.length; }
      if (status === null || status === 200) parser.push(bytes).forEach(deliver);
    };
    try {
      const res = await ctx.transport.request({
        method: 'POST', url: ctx.url, headers: { ...ctx.headers(), 'Content-Type': 'application/json',
          Accept: 'text/event-stream' },
        body: JSON.stringify(body), stream: true, onHead: (s) => { status = s; }, onChunk, canceller,
        timeoutMs: ctx.timeoutMs,
      });
      status = res.status;
      if (status !== 200) {
        const all = new Uint8Array(keptBytes);
        let at = 0;
        for (const piece of kept) { all.set(piece.subarray(0, Math.min(piece.length, keptBytes - at)), at); at += piece.length; }
        const err = errorFromResponse(status, decodeUtf8(all), res.requestId);
        if (err.isAuth) ctx.onAuthError?.(err);
        if (!canceller.cancelled) emit({ type: 'error', data: errorData(err) });
      } else {
        parser.end().forEach(deliver);
        if (!terminal && !canceller.cancelled) {
          emit({ type: 'error', data: { code: 'StreamEnded', message: 'the answer stopped before it finished',
            retryable: true, status: 200, request_id: res.requestId ?? null } });
        }
      }
    } catch (err) {
      if (!canceller.cancelled && !terminal) emit({ type: 'error', data: errorData(err) });
    } finally {
      finish();
    }
  })();

  return {
    /** Stop the request; the turn ends without a last event (the server keeps the partial answer). */
    cancel() { canceller.cancel(); },
    get cancelled() { return canceller.cancelled; },
    /** Resolves when the turn has ended, whatever the way. */
    finished,
    [Symbol.asyncIterator]() {
      return {
        next() {
          return new Promise((resolve) => {
            const step = () => {
              // After cancel() nothing more is yielded, not even events one chunk already queued
              // (meta, delta and done can arrive in one read on a busy machine).
              if (canceller.cancelled) resolve({ value: undefined, done: true });
              else if (queue.length) resolve({ value: queue.shift(), done: false });
              else if (ended) resolve({ value: undefined, done: true });
              else wake = step;
            };
            step();
          });
        },
        return() { canceller.cancel(); return Promise.resolve({ value: undefined, done: true }); },
      };
    },
  };
}
