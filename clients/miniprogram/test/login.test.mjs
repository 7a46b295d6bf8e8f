import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import test from 'node:test';
import { BASE, ROOT, TOKEN, closeDom, render, settledText, wx } from './harness.mjs';

const require = createRequire(import.meta.url);
const api = require(path.join(ROOT, 'lib', 'api.js'));

test.after(closeDom);

/** The venue's main backend, reduced to its contract: POST {code} → {token} (its own code is not ours). */
function mainBackend(token) {
  const seen = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => { raw += c; });
    req.on('end', () => {
      seen.push({ method: req.method, type: req.headers['content-type'], body: raw });
      const { code } = JSON.parse(raw || '{}');
      res.writeHead(code === 'code-ok' ? 200 : 400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(code === 'code-ok' ? { token } : { error: 'invalid code' }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, seen, url: `http://127.0.0.1:${server.address().port}/token` })));
}

test('login(): wx.login code to the main backend, its token kept where the pages read it', async () => {
  const backend = await mainBackend(TOKEN);
  const savedLogin = wx.login;
  try {
    api.configure({ loginUrl: backend.url, baseUrl: BASE });
    wx.setStorageSync('bailian_token', '');
    wx.login = ({ success }) => success({ code: 'code-ok' });
    assert.equal(await api.login(), TOKEN);
    assert.deepEqual(backend.seen, [{ method: 'POST', type: 'application/json', body: '{"code":"code-ok"}' }]);
    assert.equal(wx.getStorageSync('bailian_token'), TOKEN);
    const page = await render('pages/customers/customers', {}); // the pages now get answers
    assert.equal(await settledText(page, '.page-error'), null);
    assert.ok(page.data.items.length > 0);

    wx.setStorageSync('bailian_token', '');
    wx.login = ({ success }) => success({ code: 'code-bad' });
    await assert.rejects(api.login(), /login failed \(400\)/);
    assert.equal(wx.getStorageSync('bailian_token'), '', 'nothing stored from a refused login');
  } finally {
    wx.login = savedLogin;
    wx.setStorageSync('bailian_token', TOKEN);
    backend.server.close();
  }
});
