// AI chat (app1_chat over SSE): history shown a page at a time, the answer streamed in as it comes,
// a stop button, retry when the error says retrying may help, and an answer that survives the phone
// locking: WeChat fails a request ~5 s after the app is hidden, so what was streamed stays on screen
// and the turn the server stored (it finishes the turn without us) is re-read by its id.
const { api, errorText } = require('../../lib/api.js');
const { own } = require('../../lib/own.js');
const { clockBehavior } = require('../../lib/clock.js');
const { tabPageBehavior } = require('../../lib/tabs.js');
const { takePending } = require('../../lib/ask.js');
const { parse } = require('../../lib/markdown.js');
const { feedbackHandle } = require('bailian-fc-client');

const PAGE_TURNS = 10; // turns read per page: the newest on open, older ones per "更早的消息" tap
const RECOVER_ATTEMPTS = 10; // re-reads of a stored turn that is still being written
const RECOVER_DELAY_MS = 500;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const FOLLOW_STEP = 100000; // scroll-top past any answer's height: scroll-view clamps it to the end

/** A bot message: the text as received, and the same text as Markdown blocks for the template. */
function botMessage(fields) {
  const text = fields.text || '';
  return { role: 'bot', turnId: '', error: '', retryable: false, streaming: false, note: '', handle: null, rating: '', ...fields, text, blocks: parse(text) };
}

function turnMessages(turn, conversationId) {
  const bot = botMessage({ text: turn.answer || '', turnId: turn.turn_id, handle: feedbackHandle({ conversation_id: conversationId, ...turn }),
    tokens: (turn.usage && turn.usage.tokens_used) || 0 });
  if (turn.interrupted || (!turn.finish_reason && turn.error_code)) bot.note = '（回答未完成）';
  return [{ role: 'user', text: turn.message }, bot];
}

Component({
  behaviors: [clockBehavior, tabPageBehavior],
  data: {
    conversationId: '',
    messages: [],
    hasOlder: false, // the server has older turns than those shown
    draft: '',
    sending: false,
    loading: false,
    error: '',
    context: null, // what "ask about this" opened chat with: {page, ...ids}; null = plain chat
    about: '',
    following: true, // the view follows a streaming answer until the person scrolls up
    scrollTop: 0,
  },
  methods: {
    onLoad(query) {
      own(this).before = null;
      const opened = this.takeContext();
      if (opened) return opened;
      return query && query.id ? this.loadHistory(query.id) : Promise.resolve();
    },

    /**
     * What another page asked chat to show: a stored conversation (the list), or a new conversation
     * with that page as its context ("ask about this"). Returns the history load, if any.
     */
    takeContext() {
      if (this.data.sending) return null;
      const asked = takePending();
      if (!asked) return null;
      own(this).before = null;
      if (asked.conversationId) {
        this.setData({ context: null, about: '', messages: [], hasOlder: false });
        return this.loadHistory(asked.conversationId);
      }
      this.setData({ context: asked.context, about: asked.title, conversationId: '', messages: [], hasOlder: false, error: '' });
      return null;
    },
    clearContext() { this.setData({ context: null, about: '' }); },

    /** Scrolled towards the top: stop following; back at the end: follow again. */
    onScroll(e) { if (e.detail && e.detail.deltaY > 0 && this.data.following) this.setData({ following: false }); },
    onScrollEnd() { if (!this.data.following) this.setData({ following: true }); },
    follow() { if (this.data.following) this.setData({ scrollTop: this.data.scrollTop + FOLLOW_STEP }); },

    /** Long-press on a message: its text to the clipboard. */
    copy(e) {
      const message = this.data.messages[Number(e.currentTarget.dataset.index)];
      if (!message || !message.text) return;
      wx.setClipboardData({ data: message.text });
    },

    async rateTurn(e) {
      const index = Number(e.currentTarget.dataset.index);
      const rating = e.currentTarget.dataset.rating;
      const message = this.data.messages[index];
      if (!message || !message.handle || message.rating === rating) return;
      this.setData({ [`messages[${index}].rating`]: rating });
      try {
        await api().feedback.turn(message.handle.conversationId || this.data.conversationId, message.handle.turnId, rating);
      } catch (err) {
        this.setData({ [`messages[${index}].rating`]: message.rating });
      }
    },

    /** One page of turns, newest first from the server (GET /chat/conversations/{id}?before=&limit=). */
    async readPage(id, before) {
      const page = await api().conversations.get(id, { before: before || undefined, limit: PAGE_TURNS });
      own(this).before = page.next_before || null;
      return [...(page.turns || [])].reverse().flatMap((turn) => turnMessages(turn, id)); // shown oldest first
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
      const messages = [...this.data.messages, { role: 'user', text }, botMessage({ streaming: true, tokens: 0 })];
      const bot = messages.length - 1;
      this.setData({ messages, sending: true, error: '', following: true });
      this.follow();
      const context = this.data.context || { page: 'chat' };
      const call = api().chat.send({ message: text, conversation_id: this.data.conversationId || undefined, context });
      own(this).call = call;
      let failure = null;
      for await (const ev of call) {
        if (ev.type === 'meta') {
          this.setData({ conversationId: ev.data.conversation_id, [`messages[${bot}].turnId`]: ev.data.turn_id });
        } else if (ev.type === 'delta') {
          const full = this.data.messages[bot].text + ev.data.text;
          this.setData({ [`messages[${bot}].text`]: full, [`messages[${bot}].blocks`]: parse(full) });
          this.follow();
        } else if (ev.type === 'done') {
          // the handle to rate it by, and what the answer cost
          this.setData({ [`messages[${bot}].handle`]: feedbackHandle(ev.data), [`messages[${bot}].tokens`]: ev.data.usage.tokens_used });
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
            [`messages[${index}].blocks`]: parse(text),
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
      this.takeContext();
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
