// "Ask about this": opens chat with the page being viewed as the chat's context. Chat is a tab page
// (switchTab carries no query), so the context waits here until the chat page is shown and takes it.
// It goes in the chat request's `context`: `page` plus the ids or filters on screen; the server keeps
// the extra keys with the turn and sends the model only the keys it allows.
let pending = null;

/** @param {{page: string, [key: string]: string}} context @param {string} title what is asked about */
function askAbout(context, title) {
  pending = { context, title };
  wx.switchTab({ url: '/pages/chat/chat' });
}

/** Opens a stored conversation in chat (the conversation list: navigateTo cannot open a tab page). */
function openConversation(conversationId) {
  pending = { conversationId };
  wx.switchTab({ url: '/pages/chat/chat' });
}

/** What a page asked chat to show, once: {context, title} or {conversationId}. */
function takePending() {
  const taken = pending;
  pending = null;
  return taken;
}

module.exports = { askAbout, openConversation, takePending };
