// The venue's main backend, reduced to its contract: POST {code} → {token}. Which token it hands out
// is the test's choice (`backend.token`), and every request is counted.
import http from 'node:http';

export function mainBackend(token) {
  const state = { token, seen: [] };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => { raw += c; });
    req.on('end', () => {
      state.seen.push({ method: req.method, type: req.headers['content-type'], body: raw });
      const { code } = JSON.parse(raw || '{}');
      const ok = code === 'code-ok' && state.token;
      res.writeHead(ok ? 200 : 400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(ok ? { token: state.token } : { error: 'invalid code' }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    state.server = server;
    state.url = `http://127.0.0.1:${server.address().port}/token`;
    resolve(state);
  }));
}
