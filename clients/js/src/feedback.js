// 👍/👎 on an answer: POST /apps/feedback for a single-turn app's answer, and
// POST /chat/conversations/{id}/turns/{turn_id}/feedback for a chat turn, body
// {"rating": "up" | "down", "comment"?}. A page offers the buttons only when the answer carries a
// handle for it (feedbackHandle): a server without the feedback routes sends none, so nothing breaks.

const seg = (value) => encodeURIComponent(String(value));
const RATINGS = new Set(['up', 'down']);

function body(rating, comment) {
  if (!RATINGS.has(rating)) throw new TypeError('rating must be "up" or "down"');
  return comment ? { rating, comment: String(comment).slice(0, 500) } : { rating };
}

/** The feedback routes over a client's `call`. */
export function feedbackRoutes(call) {
  return {
    /** Rate a single-turn app's answer, named by the answer's request_id. */
    app: (requestId, rating, { comment } = {}) =>
      call('POST', '/apps/feedback', { body: { request_id: requestId, ...body(rating, comment) } }),
    /** Rate one chat turn. */
    turn: (conversationId, turnId, rating, { comment } = {}) =>
      call('POST', `/chat/conversations/${seg(conversationId)}/turns/${seg(turnId)}/feedback`, { body: body(rating, comment) }),
  };
}

/**
 * What an answer offers to be rated by, or null: an app answer's `request_id`, or a chat turn
 * (`done` event or stored turn) that says feedback is taken (`feedback` present, e.g. its rating).
 * @param {any} answer
 */
export function feedbackHandle(answer) {
  if (!answer || typeof answer !== 'object') return null;
  if (typeof answer.turn_id === 'string' && 'feedback' in answer) {
    return { kind: 'turn', turnId: answer.turn_id, conversationId: answer.conversation_id || null };
  }
  if (typeof answer.request_id === 'string' && answer.request_id) return { kind: 'app', requestId: answer.request_id };
  return null;
}
