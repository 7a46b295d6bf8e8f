// createClient(): every route of bailian-fc behind one object, over either transport.

import { sendChat } from './chat.js';
import { errorFromResponse } from './errors.js';
import { feedbackRoutes } from './feedback.js';

function queryString(query) {
  const parts = [];
  for (const [key, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === '') continue;
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

const seg = (value) => encodeURIComponent(String(value));

/**
 * @param {{baseUrl?: string, token?: string, getToken?: () => string | null | undefined, transport: any,
 *          onAuthError?: (err: import('./errors.js').BailianApiError) => void, timeoutMs?: number}} options
 */
export function createClient(options) {
  const base = (options.baseUrl || '').replace(/\/+$/, '');
  const { transport, onAuthError, timeoutMs } = options;
  const token = () => (options.getToken ? options.getToken() : options.token) || '';
  const headers = () => (token() ? { Authorization: `Bearer ${token()}` } : {});

  async function call(method, path, { query, body } = {}) {
    const res = await transport.request({
      method, url: base + path + queryString(query), timeoutMs,
      headers: body === undefined ? headers() : { ...headers(), 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status >= 200 && res.status < 300) {
      if (res.status === 204 || !res.text) return null;
      return JSON.parse(res.text);
    }
    const err = errorFromResponse(res.status, res.text || '', res.requestId);
    if (err.isAuth) onAuthError?.(err);
    throw err;
  }

  const chatContext = { transport, url: `${base}/chat/messages`, headers, onAuthError, timeoutMs };

  return {
    call,
    /** 👍/👎 on an app answer or a chat turn (src/feedback.js). */
    feedback: feedbackRoutes(call),
    apps: {
      /** GET /apps: the catalogue. */
      list: () => call('GET', '/apps'),
      /** POST /apps/{key}: `{app, result, cached, stale, generated_at, prompt_version, usage}`. */
      run: (key, input, { refresh = false } = {}) =>
        call('POST', `/apps/${seg(key)}`, { body: input, query: refresh ? { refresh: 'true' } : undefined }),
    },
    /** GET /clock: effective now and business date for the token's site (sandbox aware). */
    clock: () => call('GET', '/clock'),
    chat: {
      /** POST /chat/messages, streamed: async-iterable of {type, data}, with cancel() and `finished`. */
      send: (body, opts) => sendChat(chatContext, body, opts),
    },
    conversations: {
      list: ({ limit, before } = {}) => call('GET', '/chat/conversations', { query: { limit, before } }),
      /** One page of turns, newest first; pass the answer's next_before as `before` for older ones. */
      get: (id, { before, limit } = {}) => call('GET', `/chat/conversations/${seg(id)}`, { query: { before, limit } }),
      remove: (id) => call('DELETE', `/chat/conversations/${seg(id)}`),
    },
    admin: {
      runlogs: (query = {}) => call('GET', '/admin/runlogs', { query }),
      dashboard: ({ days = 7, site } = {}) => call('GET', '/admin/dashboard', { query: { days, site } }),
      triggers: {
        list: () => call('GET', '/admin/triggers'),
        get: (job) => call('GET', `/admin/triggers/${seg(job)}`),
        update: (job, patch) => call('PUT', `/admin/triggers/${seg(job)}`, { body: patch }),
        run: (job, { site_id, force = false } = {}) =>
          call('POST', `/admin/triggers/${seg(job)}/run`, { body: site_id ? { site_id, force } : { force } }),
        runs: (job, { limit } = {}) => call('GET', `/admin/triggers/${seg(job)}/runs`, { query: { limit } }),
      },
      cronPreview: (cron, tz) => call('GET', '/admin/cron/preview', { query: { cron, tz } }),
      queue: () => call('GET', '/admin/queue'),
      runtimeContext: {
        get: () => call('GET', '/admin/runtime-context'),
        set: (body) => call('PUT', '/admin/runtime-context', { body }),
        clear: ({ scope, site_id } = {}) => call('DELETE', '/admin/runtime-context', { query: { scope, site_id } }),
        audit: ({ limit } = {}) => call('GET', '/admin/runtime-context/audit', { query: { limit } }),
      },
      purgeCache: ({ app, site_id } = {}) => call('POST', '/admin/cache/purge', { body: { app, site_id } }),
      appSchemas: () => call('GET', '/admin/apps/schemas'),
    },
  };
}
