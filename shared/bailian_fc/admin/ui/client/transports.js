// How bytes move: `fetch` (browsers, Node ≥ 18) or `wx.request` (WeChat miniprogram).
//
// A transport has one method, request(options) → Promise<{status, text?, requestId}>:
//   method, url, headers, body (string | undefined), timeoutMs,
//   stream: true  → body bytes go to onChunk(Uint8Array) as they arrive (no `text`);
//                   onHead(status) is called as soon as the status is known (may be never);
//   canceller     → {cancelled, onCancel(fn)}; a cancelled request rejects with code "Cancelled".

import { cancelledError, networkError } from './errors.js';

/** A cancel handle that needs no AbortController (not in every miniprogram base library). */
export function createCanceller() {
  const listeners = [];
  return {
    cancelled: false,
    onCancel(fn) { if (this.cancelled) fn(); else listeners.push(fn); },
    cancel() {
      if (this.cancelled) return;
      this.cancelled = true;
      for (const fn of listeners.splice(0)) { try { fn(); } catch (_) { /* already gone */ } }
    },
  };
}

/** @param {typeof fetch} [fetchImpl] */
export function fetchTransport(fetchImpl) {
  const doFetch = fetchImpl || ((...args) => globalThis.fetch(...args)); // unbound window.fetch throws
  return {
    async request({ method, url, headers, body, stream, onHead, onChunk, canceller, timeoutMs }) {
      const controller = typeof AbortController === 'function' ? new AbortController() : null;
      let timedOut = false;
      const timer = timeoutMs ? setTimeout(() => { timedOut = true; controller?.abort(); }, timeoutMs) : null;
      canceller?.onCancel(() => controller?.abort());
      const fail = (e) => (canceller?.cancelled ? cancelledError() : networkError(timedOut ? 'timed out' : e));
      try {
        let res;
        try { res = await doFetch(url, { method, headers, body, signal: controller?.signal }); } catch (e) { throw fail(e); }
        const requestId = res.headers.get('x-request-id');
        if (!stream) {
          try { return { status: res.status, text: await res.text(), requestId }; } catch (e) { throw fail(e); }
        }
        onHead?.(res.status);
        try {
          if (!res.body || !res.body.getReader) {
            onChunk(new Uint8Array(await res.arrayBuffer()));
          } else {
            const reader = res.body.getReader();
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              if (value && value.length) onChunk(value);
            }
          }
        } catch (e) { throw fail(e); }
        return { status: res.status, requestId };
      } finally {
        if (timer) clearTimeout(timer);
      }
    },
  };
}

function headerValue(headers, name) {
  if (!headers) return null;
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) return headers[key];
  return null;
}

/**
 * `wx.request` with `enableChunked: true` and `onChunkReceived` for streams (base library ≥ 2.20.2).
 * When a client never fires onChunkReceived (some DevTools/PC builds), the bytes of `success` are used.
 * @param {any} wxApi the `wx` object
 */
export function wxTransport(wxApi) {
  return {
    request({ method, url, headers, body, stream, onHead, onChunk, canceller, timeoutMs }) {
      return new Promise((resolve, reject) => {
        let gotChunk = false;
        const task = wxApi.request({
          url, method, header: headers, data: body, timeout: timeoutMs || 120000,
          enableChunked: !!stream, responseType: stream ? 'arraybuffer' : 'text', dataType: 'text',
          success(res) {
            const requestId = headerValue(res.header, 'x-request-id');
            if (!stream) {
              const text = typeof res.data === 'string' ? res.data : JSON.stringify(res.data ?? null);
              resolve({ status: res.statusCode, text, requestId });
              return;
            }
            if (!gotChunk && res.data && res.data.byteLength) onChunk(new Uint8Array(res.data));
            resolve({ status: res.statusCode, requestId });
          },
          fail(err) {
            const msg = (err && err.errMsg) || 'request failed';
            reject(canceller?.cancelled || /abort/i.test(msg) ? cancelledError() : networkError(msg));
          },
        });
        if (stream && task && typeof task.onHeadersReceived === 'function') {
          task.onHeadersReceived((res) => { if (res && typeof res.statusCode === 'number') onHead?.(res.statusCode); });
        }
        if (stream && task && typeof task.onChunkReceived === 'function') {
          task.onChunkReceived((res) => { gotChunk = true; onChunk(new Uint8Array(res.data)); });
        }
        canceller?.onCancel(() => task && task.abort && task.abort());
      });
    },
  };
}
