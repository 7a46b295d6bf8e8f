// AI chat (app1_chat over SSE): history shown a page at a time, the answer streamed in as it comes,
// a stop button, retry when the error says retrying may help, and an answer that survives the phone
// locking: WeChat fails a request ~5 s after the app is hidden, so what was streamed stays on screen
// and the turn the server stored (it finishes the turn without us) is re-read by its id.
const { api, errorText } = require('../../lib/api.js');
const { own } = require('../../lib/own.js');
const { clockBehavior } = require('../../lib/clock.js');

const PAGE_TURNS = 10; // turns read per page: the newest on open, older ones per "更早的消息" tap
const RECOVER_ATTEMPTS = 10; // re-reads of a stored turn that is still being written
const RECOVER_DELAY_MS = 500;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function turnMessages(turn) {
  const bot = { role: 'bot', text: turn.answer || '', turnId: turn.turn_id, error: '', retryable: false, streaming: false, note: '',
    tokens: (turn.usage && turn.usage.tokens_used) || 0 };
  if (turn.interrupted || (!turn.finish_reason && turn.error_code)) bot.note = '（回答未完成）';
  return [{ role: 'user', text: turn.message }, bot];
}

Component({
  behaviors: [clockBehavior],
  data: {
    conversationId: '',
    messages: [],
    hasOlder: false, // the server has older turns than those shown
    draft: '',
    sending: false,
    loading: false,
    error: '',
  },
  methods: {
    onLoad(query) {
      own(this).before = null;
      return query && query.id ? this.loadHistory(query.id) : Promise.resolve();
    },

    /** One page of turns, newest first from the server (GET /chat/conversations/{id}?before=&limit=). */
    async readPage(id, before) {
      const page = await api().conversations.get(id, { before: before || undefined, limit: PAGE_TURNS });
      own(this).before = page.next_before || null;
      return [...(page.turns || [])].reverse().flatMap(turnMessages); // shown oldest first
    },

    /** The newest PAGE_TURNS turns; older ones are read from the server on request. */
    async loadHistory(id) {
      this.setData({ loading: true, error: '', conversationId: id });
      try {
        const messages = await this.readPage(id, null);
        this.setData({ loading: false, hasOlder: Boolean(own(this).before), messages });
      } catch (err) {
        this.setData({ loading: false, error: errorText(err) });
      }
    },

    async showOlder() {
      if (!own(this).before) return;
      try {
        const older = await this.readPage(this.data.conversationId, own(this).before);
        this.setData({ hasOlder: Boolean(own(this).before), messages: [...older, ...this.data.messages] });
      } catch (err) {
        this.setData({ error: errorText(err) });
      }
    },

    onInput(e) { this.setData({ draft: e.detail.value }); },

    send() {
      const text = (this.data.draft || '').trim();
      if (!text || this.data.sending) return Promise.resolve();
      this.setData({ draft: '' });
      return this.stream(text);
    },

    /** Retry the failed turn: its question is asked again in place of the failed pair. */
    retry(e) {
      const index = Number(e.currentTarget.dataset.index);
      const question = this.data.messages[index - 1];
      if (this.data.sending || !question || question.role !== 'user') return Promise.resolve();
      this.setData({ messages: this.data.messages.slice(0, index - 1) });
      return this.stream(question.text);
    },

    stop() {
      if (!own(this).call) return;
      own(this).call.cancel();
      const bot = this.data.messages.length - 1;
      this.setData({ [`messages[${bot}].streaming`]: false, [`messages[${bot}].note`]: '（已停止）', sending: false });
    },

    async stream(text) {
      const messages = [...this.data.messages, { role: 'user', text },
        { role: 'bot', text: '', turnId: '', error: '', retryable: false, streaming: true, note: '', tokens: 0 }];
      const bot = messages.length - 1;
      this.setData({ messages, sending: true, error: '' });
      const call = api().chat.send({ message: text, conversation_id: this.data.conversationId || undefined, context: { page: 'chat' } });
      own(this).call = call;
      let failure = null;
      for await (const ev of call) {
        if (ev.type === 'meta') {
          this.setData({ conversationId: ev.data.conversation_id, [`messages[${bot}].turnId`]: ev.data.turn_id });
        } else if (ev.type === 'delta') {
          this.setData({ [`messages[${bot}].text`]: this.data.messages[bot].text + ev.data.text });
        } else if (ev.type === 'done') {
          this.setData({ [`messages[${bot}].tokens`]: ev.data.usage.tokens_used }); // what the answer cost
        } else if (ev.type === 'error') {
          failure = ev.data;
        }
      }
      if (own(this).call === call) own(this).call = null;
      if (call.cancelled) return;
      this.setData({ [`messages[${bot}].streaming`]: false, sending: false });
      if (!failure) return;
      const turnId = this.data.messages[bot].turnId;
      if (failure.status === 0 && turnId) {
        // The connection went (phone locked, network dropped), not the turn: keep what arrived and
        // fetch the stored turn now, or when the page is shown again if it is hidden.
        this.setData({ [`messages[${bot}].note`]: '（连接中断，正在恢复…）' });
        if (own(this).hidden) own(this).recoverOnShow = bot;
        else await this.recover(bot);
        return;
      }
      this.setData({ [`messages[${bot}].error`]: errorText(failure), [`messages[${bot}].retryable`]: !!failure.retryable });
    },

    /** Re-read the stored turn of messages[index] and show it in place of the streamed part. */
    async recover(index) {
      const message = this.data.messages[index];
      for (let attempt = 0; attempt < RECOVER_ATTEMPTS; attempt++) {
        let turn = null;
        try {
          const conversation = await api().conversations.get(this.data.conversationId);
          turn = (conversation.turns || []).find((t) => t.turn_id === message.turnId) || null;
        } catch (err) {
          // 404: a new conversation is written when its first turn ends, which may be any moment now.
          if (!err.retryable && err.status !== 0 && err.status !== 404) break;
        }
        if (turn && (turn.finish_reason || turn.interrupted || turn.error_code)) {
          // The stored answer is all the server said (it stops when it notices we are gone), so it
          // starts with what reached us; never show less than that.
          const text = (turn.answer || '').length >= message.text.length ? turn.answer : message.text;
          const unfinished = turn.interrupted || !!turn.error_code;
          this.setData({
            [`messages[${index}].text`]: text,
            [`messages[${index}].note`]: unfinished ? '（回答未完成）' : '',
            [`messages[${index}].retryable`]: unfinished,
            [`messages[${index}].error`]: unfinished ? '连接中断，可重试' : '',
          });
          return;
        }
        await sleep(RECOVER_DELAY_MS);
      }
      this.setData({ [`messages[${index}].note`]: '', [`messages[${index}].error`]: '连接中断，回答未能取回', [`messages[${index}].retryable`]: true });
    },
  },
  pageLifetimes: {
    hide() { own(this).hidden = true; },
    show() {
      own(this).hidden = false;
      if (own(this).recoverOnShow !== undefined) {
        const index = own(this).recoverOnShow;
        own(this).recoverOnShow = undefined;
        this.recover(index);
      }
    },
  },
  lifetimes: {
    detached() { if (own(this).call) own(this).call.cancel(); },
  },
});
