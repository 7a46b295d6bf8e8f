// bailian-fc client: plain ES modules, no dependencies. See ../README.md.
export { createClient } from './client.js';
export { sendChat } from './chat.js';
export { BailianApiError, errorFromResponse } from './errors.js';
export { createSseParser } from './sse.js';
export { createCanceller, fetchTransport, wxTransport } from './transports.js';
export { decodeUtf8, decodeUtf8Manual, encodeUtf8 } from './utf8.js';
export { feedbackHandle, feedbackRoutes } from './feedback.js';
