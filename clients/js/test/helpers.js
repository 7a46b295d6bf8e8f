// Shared by the tests: a seeded PRNG, random splits, and a wx.request shim over node:http.
import http from 'node:http';

export function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >> 17; s ^= s << 5; s >>>= 0; return s / 0x100000000; };
}

/** `bytes` cut at random places: pieces of 1..max bytes (often 1-3, so characters and frames split). */
export function randomSplit(bytes, random, max = 64) {
  const pieces = [];
  for (let at = 0; at < bytes.length;) {
    const size = random() < 0.4 ? 1 + Math.floor(random() * 3) : 1 + Math.floor(random() * max);
    pieces.push(bytes.slice(at, at + size));
    at += size;
  }
  return pieces;
}

export function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through python -m pytest (tests/test_js_client.py)`);
  return value;
}

/**
 * A `wx` whose request() talks to the real server over node:http and hands the response body to
 * onChunkReceived in random pieces (as ArrayBuffers), then calls success like WeChat does.
 */
export function wxShim(random, { fireChunks = true } = {}) {
  const calls = [];
  return {
    calls,
    request(opts) {
      const chunkHandlers = [];
      const headerHandlers = [];
      let req = null;
      let aborted = false;
      const url = new URL(opts.url);
      const body = opts.data === undefined ? undefined : String(opts.data);
      calls.push({ url: opts.url, method: opts.method, enableChunked: opts.enableChunked, header: opts.header, data: opts.data });
      setImmediate(() => {
        req = http.request(url, { method: opts.method || 'GET', headers: opts.header || {} }, (res) => {
          const status = res.statusCode;
          headerHandlers.forEach((fn) => fn({ header: res.headers, statusCode: status }));
          const whole = [];
          res.on('data', (buf) => {
            if (opts.enableChunked && fireChunks) {
              for (const piece of randomSplit(new Uint8Array(buf), random, 40)) {
                const ab = piece.buffer.slice(piece.byteOffset, piece.byteOffset + piece.byteLength);
                chunkHandlers.forEach((fn) => fn({ data: ab }));
              }
            } else whole.push(buf);
          });
          res.on('end', () => {
            if (aborted) return;
            const all = Buffer.concat(whole);
            let data;
            if (opts.enableChunked && fireChunks) data = new ArrayBuffer(0);
            else if (opts.responseType === 'arraybuffer') data = all.buffer.slice(all.byteOffset, all.byteOffset + all.length);
            else data = all.toString('utf8');
            opts.success?.({ statusCode: status, header: res.headers, data });
            opts.complete?.({});
          });
          res.on('error', (e) => { opts.fail?.({ errMsg: aborted ? 'request:fail abort' : `request:fail ${e.message}` }); });
        });
        req.on('error', (e) => { opts.fail?.({ errMsg: aborted ? 'request:fail abort' : `request:fail ${e.message}` }); });
        if (aborted) { req.destroy(); return; }
        if (body !== undefined) req.write(body);
        req.end();
      });
      return {
        onChunkReceived(fn) { chunkHandlers.push(fn); },
        onHeadersReceived(fn) { headerHandlers.push(fn); },
        abort() { aborted = true; if (req) req.destroy(new Error('abort')); },
      };
    },
  };
}
