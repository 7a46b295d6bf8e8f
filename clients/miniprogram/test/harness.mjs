// Renders the miniprogram's pages with Tencent's miniprogram-simulate (j-component + the official
// wcc WXML compiler) in jsdom, against a real `bailian-fc dev` over HTTP: `wx.request` is the JS
// client's shim (clients/js/test/helpers.js), which hands chunked bodies over in random pieces.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSDOM } from 'jsdom';
import { env, rng, wxShim } from '../../js/test/helpers.js';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', 'miniprogram');

const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', { pretendToBeVisual: true });
for (const name of ['window', 'document', 'Node', 'Element', 'HTMLElement', 'Event', 'CustomEvent', 'MutationObserver', 'getComputedStyle']) {
  Object.defineProperty(globalThis, name, { value: name === 'window' ? dom.window : dom.window[name], configurable: true, writable: true });
}

export const BASE = env('BAILIAN_BASE_URL');
export const TOKEN = env('BAILIAN_TOKEN');
export const ADMIN_TOKEN = env('BAILIAN_ADMIN_TOKEN');
export const EMULATOR = env('BAILIAN_EMULATOR_URL');
export const seed = Number(process.env.BAILIAN_SEED || Date.now() % 100000);

/** The wx the pages see: real HTTP with random chunking, storage, navigation recorded, lock simulation. */
function makeWx() {
  const random = rng(seed);
  const chunked = wxShim(random);
  const whole = wxShim(random, { fireChunks: false }); // DevTools/PC: onChunkReceived never fires
  const shim = { calls: chunked.calls, request: (opts) => (wx.chunkless ? whole : chunked).request(opts) };
  const storage = new Map([['bailian_token', TOKEN]]);
  const wx = {
    calls: shim.calls,
    navigations: [],
    chunkless: false, // true: a client that never fires onChunkReceived (the body arrives in success)
    interruptNext: null, // {afterBytes}: the next chunked request fails like a locked phone's
    request(opts) {
      const plan = opts.enableChunked ? wx.interruptNext : null;
      if (!plan) return shim.request(opts);
      wx.interruptNext = null;
      let seen = 0;
      let failed = false;
      const task = shim.request({
        ...opts,
        success: (res) => { if (!failed) opts.success?.(res); },
        complete: (res) => { if (!failed) opts.complete?.(res); },
        fail: (res) => { if (!failed) opts.fail?.(res); },
      });
      return {
        ...task,
        onChunkReceived(fn) {
          task.onChunkReceived((res) => {
            if (failed) return; // the server goes on and stores the turn; this phone hears nothing
            fn(res);
            seen += res.data.byteLength;
            if (seen >= plan.afterBytes) {
              failed = true;
              setImmediate(() => opts.fail?.({ errMsg: 'request:fail interrupted' }));
            }
          });
        },
        abort() { failed = true; task.abort(); },
      };
    },
    getStorageSync: (key) => storage.get(key) ?? '',
    setStorageSync: (key, value) => { storage.set(key, value); },
    removeStorageSync: (key) => { storage.delete(key); },
    navigateTo: ({ url }) => { wx.navigations.push(url); },
    switchTab: ({ url }) => { wx.navigations.push(url); },
    reLaunch: ({ url }) => { wx.navigations.push(url); },
    clipboard: null,
    setClipboardData: ({ data }) => { wx.clipboard = data; },
    envVersion: 'develop', // a debug build: http://127.0.0.1 is allowed (lib/settings.js)
    getAccountInfoSync: () => ({ miniProgram: { appId: 'touristappid', envVersion: wx.envVersion, version: '' } }),
    login: ({ fail }) => fail?.({ errMsg: 'login:fail not in tests' }),
    pullDownStops: 0,
    stopPullDownRefresh() { wx.pullDownStops += 1; },
  };
  return wx;
}

export const wx = makeWx();
globalThis.wx = wx;
export const simulate = require('miniprogram-simulate');
// simulate merged its mock API into the global wx: take the rest of it, and make ours the global
// one again, so what a test changes on `wx` is what the pages see.
for (const [key, value] of Object.entries(globalThis.wx)) if (!(key in wx)) wx[key] = value;
globalThis.wx = wx;
require(path.join(ROOT, 'lib', 'api.js')).configure({ baseUrl: BASE });

/** Waits (bounded by a count of event-loop turns, never a wall-clock limit) until check() is truthy. */
export async function until(check, what = 'condition', turns = 2000) {
  for (let i = 0; i < turns; i++) {
    const value = check();
    if (value) return value;
    await simulate.sleep(10);
  }
  throw new Error(`gave up waiting for ${what} (seed ${seed})`);
}

/** Loads and attaches a page (or component), then runs its onLoad(query) like WeChat would. */
export async function render(relative, query) {
  const id = simulate.load(path.join(ROOT, relative), { rootPath: ROOT });
  const comp = simulate.render(id);
  comp.attach(document.createElement('parent-wrapper'));
  if (query !== undefined && comp.instance.onLoad) await comp.instance.onLoad(query);
  return comp;
}

export const text = (comp, selector) => {
  const node = comp.querySelector(selector);
  return node ? node.dom.textContent.trim() : null;
};
/** Text inside a child component (queries do not cross component boundaries). */
export const inside = (comp, host, selector) => {
  const child = comp.querySelector(host);
  return child ? text(child, selector) : null;
};
/** A selector's text once the page has stopped loading. */
export async function settledText(comp, selector) {
  await until(() => !comp.data.loading, 'the page to load');
  return text(comp, selector);
}
export const texts = (comp, selector) => comp.querySelectorAll(selector).map((n) => n.dom.textContent.trim());

export async function tap(comp, selector) {
  const node = comp.querySelector(selector);
  if (!node) throw new Error(`nothing to tap at ${selector}`);
  node.dispatchEvent('tap');
  await simulate.sleep(0);
}

export async function pick(comp, selector, value) {
  comp.querySelector(selector).dispatchEvent('change', { detail: { value: String(value) } });
  await simulate.sleep(0);
}

export async function type(comp, selector, value) {
  comp.querySelector(selector).dispatchEvent('input', { detail: { value } });
  await simulate.sleep(0);
}

/** A direct HTTP call (the test's own view of the server, independent of the pages). */
export async function http(method, url, { token = TOKEN, body } = {}) {
  const res = await fetch(url.startsWith('http') ? url : BASE + url, {
    method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const raw = await res.text();
  return { status: res.status, body: raw ? JSON.parse(raw) : null };
}

/** Sets the emulator's default behaviour (slow streams, upstream errors); {} restores instant success. */
export async function upstream(behaviour) {
  const res = await fetch(`${EMULATOR}/_emulator/default`, { method: 'POST', body: JSON.stringify({ behaviour }) });
  if (res.status !== 200) throw new Error(`emulator: ${res.status} ${await res.text()}`);
}

export function closeDom() { dom.window.close(); }
