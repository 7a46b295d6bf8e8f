// @ts-check — against the JS client's types (clients/js/typecheck/console.json, tests/test_js_client.py):
// the events' shapes are generated from the server's models (types/chat-events.d.ts).
// Chat playground: streams through /chat/messages with the same client the miniprogram uses,
// lists conversations, and shows errors the way the miniprogram would.

import { clear, errorBox, every, fmtTime, h } from '../lib/dom.js';
import { t, tl } from '../lib/i18n.js';
import { clockView } from './runtime.js';

/** The message a miniprogram user sees for an error event (Chinese, with a retry hint). */
export function userMessage(err) {
  const known = {
    Unauthorized: '登录已过期，请重新登录。', Forbidden: '没有权限使用此功能。', ValidationError: '消息不符合要求（1–4000 字）。',
    NetworkError: '网络连接失败，请检查网络后重试。', StreamEnded: '回答中断了，请重试。', RateLimited: '请求太频繁，请稍后再试。',
  };
  // Upstream messages are English and technical: the user sees a plain sentence and the code.
  const text = known[err.code] || (err.retryable ? '服务暂时不可用，请稍后再试。' : '暂时无法回答这个问题。');
  return `${text}${err.retryable ? '（可重试）' : ''} [${err.code}]`;
}

/** @param {{ client: import('bailian-fc-client').Client, el: HTMLElement }} page */
export function render({ client, el }) {
  let conversationId = null;
  let call = null;
  const convs = h('div.convs', { id: 'conversations' });
  const messages = h('div.messages', { id: 'messages', 'aria-live': 'polite' });
  const input = h('textarea', { id: 'chat-input', placeholder: t('chat.placeholder'), maxlength: 4000 });
  const send = h('button.primary', { id: 'chat-send' }, tl('chat.send'));
  const stop = h('button', { id: 'chat-stop', hidden: true }, tl('chat.stop'));
  const clock = h('div', { id: 'chat-clock' });

  const loadClock = () => client.clock().then((c) => clear(clock, clockView(c))).catch((err) => clear(clock, errorBox(err)));
  async function loadConversations() {
    try {
      const data = await client.conversations.list({ limit: 30 });
      const items = data.items || data.conversations || [];
      clear(convs, h('button', { onclick: () => open(null), id: 'new-conversation' }, t('chat.new')),
        items.map((c) => h(`button${c.conversation_id === conversationId ? '.on' : ''}`,
          { onclick: () => open(c.conversation_id), dataset: { id: c.conversation_id }, title: c.title },
          c.title || c.conversation_id, h('br'), h('small.muted', fmtTime(c.updated_at || c.created_at)))));
    } catch (err) {
      clear(convs, errorBox(err));
    }
  }
  async function open(id) {
    conversationId = id;
    clear(messages);
    loadConversations();
    if (!id) return;
    await loadTurns(id, null);
    messages.scrollTop = messages.scrollHeight;
  }
  /** One page of turns (newest first from the API), shown oldest first above what is already there. */
  async function loadTurns(id, before) {
    try {
      const data = await client.conversations.get(id, { before: before || undefined, limit: 20 });
      if (id !== conversationId) return;
      const bubbles = [];
      for (const t of (data.turns || []).slice().reverse()) {
        bubbles.push(h('div.bubble.user', t.message));
        if (t.error_code) bubbles.push(h('div.bubble.fail', userMessage({ code: t.error_code })));
        else if (t.pending) bubbles.push(h('div.bubble.bot', { dataset: { state: 'pending' } }, '…'));
        else bubbles.push(h('div.bubble.bot', { dataset: { state: t.interrupted ? 'cancelled' : 'done' } },
          `${t.answer || ''}${t.interrupted ? '（已中断）' : ''}${t.answer_truncated ? '（已截断）' : ''}`));
      }
      messages.querySelector('#earlier-turns')?.remove();
      messages.prepend(...bubbles);
      if (data.next_before) {
        messages.prepend(h('button', { id: 'earlier-turns', onclick: () => loadTurns(id, data.next_before) },
          '更早的消息 Earlier'));
      }
    } catch (err) {
      messages.append(errorBox(err));
    }
  }
  async function submit() {
    const text = input.value.trim();
    if (call) return;
    input.value = '';
    if (text) messages.append(h('div.bubble.user', text));
    const bot = h('div.bubble.bot', { dataset: { state: 'streaming' } }, '…');
    messages.append(bot);
    let answer = '';
    send.disabled = true;
    stop.hidden = false;
    call = client.chat.send({ message: text, conversation_id: conversationId, context: { page: 'chat' } });
    for await (const ev of call) {
      if (ev.type === 'meta') conversationId = ev.data.conversation_id;
      else if (ev.type === 'delta') { answer += ev.data.text; bot.textContent = answer; }
      else if (ev.type === 'done') {
        bot.dataset.state = 'done';
        bot.dataset.tokens = String(ev.data.usage.tokens_used);
        bot.title = `${ev.data.usage.tokens_used} tokens`;
      }
      else if (ev.type === 'error') {
        bot.dataset.state = 'error';
        if (!answer) bot.remove();
        messages.append(h('div.bubble.fail', { dataset: { code: ev.data.code } }, userMessage(ev.data)));
      }
      messages.scrollTop = messages.scrollHeight;
    }
    if (call.cancelled) { bot.dataset.state = 'cancelled'; bot.textContent = `${answer}${t('chat.stopped')}`; }
    call = null;
    send.disabled = false;
    stop.hidden = true;
    loadConversations();
  }
  send.addEventListener('click', submit);
  stop.addEventListener('click', () => call?.cancel());
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit(); });
  clear(el, h('h1', tl('chat.title')), clock,
    h('div.chat', h('section.card', h('h2', tl('chat.conversations')), convs),
      h('section.card', messages, h('div.composer', input, send, stop),
        h('p.muted', t('chat.hint')))));
  loadClock();
  loadConversations();
  every(el, 3, loadClock);
}
