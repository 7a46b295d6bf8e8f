import assert from 'node:assert/strict';
import test from 'node:test';
import { ADMIN_TOKEN, closeDom, http, inside, render, text, until } from './harness.mjs';

const clear = () => http('DELETE', '/admin/runtime-context?scope=site&site_id=site-001', { token: ADMIN_TOKEN });
test.after(async () => { await clear(); closeDom(); });

const PAGES = ['chat', 'conversations', 'finance', 'clues', 'clue', 'customers', 'customer'];

test('every page shows the sandbox banner while a sandbox clock is in force, with its business date', async () => {
  const set = await http('PUT', '/admin/runtime-context', {
    token: ADMIN_TOKEN,
    body: { mode: 'fixed', fixed_at: '2026-10-15T10:00:00+08:00', scope: 'site', site_id: 'site-001', ttl_seconds: 600, reason: 'miniprogram test' },
  });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  // Each function instance re-reads the context within a few seconds (admin set it, apps serves /clock).
  const sandboxed = async (want) => {
    for (let i = 0; i < 100; i++) {
      const body = (await http('GET', '/clock')).body;
      if (body.sandbox === want) return body;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`/clock never said sandbox=${want}`);
  };
  const clock = await sandboxed(true);
  assert.equal(clock.business_date, '2026-10-15');
  for (const name of PAGES) {
    const page = await render(`pages/${name}/${name}`);
    await until(() => inside(page, '.banner', '.clock-banner-title'), `the banner on ${name}`);
    assert.equal(inside(page, '.banner', '.clock-banner-date'), '营业日 2026-10-15', name);
    assert.equal(inside(page, '.banner', '.clock-banner-now'), '当前 10-15 10:00', name);
  }
  // Business dates on the pages follow the sandbox clock too: the chat header and the board's period.
  const chat = await render('pages/chat/chat', {});
  await until(() => chat.data.clock.loaded, 'the clock');
  assert.match(text(chat, '.row .muted'), /营业日 2026-10-15/);
  const board = await render('pages/finance/finance', {});
  await until(() => !board.data.loading, 'the board');
  assert.match(text(board, '.period'), /至 2026-10-15（7 天）/);

  assert.equal((await clear()).status, 204);
  await sandboxed(false);
  board.triggerPageLifeTime('show'); // a page shown again re-reads the clock: its banner goes
  await until(() => board.data.clock.loaded && !board.data.clock.sandbox, 'the live clock on show');
  assert.equal(inside(board, '.banner', '.clock-banner'), null);
  const live = await render('pages/finance/finance');
  await until(() => live.data.clock.loaded && !live.data.clock.sandbox, 'the live clock');
  assert.equal(inside(live, '.banner', '.clock-banner'), null);
  assert.ok(live.querySelector('.banner'), 'the banner component is there, just empty');
});
