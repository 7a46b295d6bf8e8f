// The admin token for this tab: from the link `bailian-fc dev` prints (#token=…) or pasted.
// Kept in sessionStorage (gone when the tab closes), never in localStorage or a cookie.

import { createClient, fetchTransport } from '../client/index.js';

const KEY = 'bailian-fc.admin-token';

/** A sign-in link's token (#token=…, from `bailian-fc token --console-link` or `bailian-fc dev`):
 * moved into sessionStorage and out of the address bar and history before anything else runs. */
export function takeTokenFromFragment() {
  const match = /^#token=([^&]+)/.exec(location.hash);
  if (!match) return false;
  history.replaceState(null, '', `${location.pathname}${location.search}#/dashboard`); // out of history and the address bar
  sessionStorage.setItem(KEY, decodeURIComponent(match[1]));
  return true;
}

export const getToken = () => sessionStorage.getItem(KEY);
export const setToken = (token) => sessionStorage.setItem(KEY, token.trim().replace(/^Bearer\s+/i, ''));
export const clearToken = () => sessionStorage.removeItem(KEY);

/** The client every page uses; 401/403 anywhere sends the user back to sign-in with the reason. */
export function makeClient(onAuthError) {
  return createClient({ baseUrl: location.origin, getToken, transport: fetchTransport(), onAuthError });
}

/** The claims of a JWT (display only: the server checks it). */
export function claims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(escape(atob(part))));
  } catch (_) {
    return null;
  }
}

/** Whether the claims are an admin's (a site's or the platform's); display and sign-out only. */
export const isAdmin = (c) => Boolean(c && c.role === 'admin');

/** Who is signed in, for the header: the platform, or the one site an admin acts on. */
export function whoLabel(c) {
  if (!c) return '';
  return c.platform ? '平台管理员 · 全部门店' : `门店管理员 · ${c.site_id}`;
}

/** Seconds until the token expires (its `exp`), negative once past; null when it has none. */
export function secondsLeft(c, now = Date.now()) {
  return c && typeof c.exp === 'number' ? Math.round(c.exp - now / 1000) : null;
}

/**
 * What needs a platform admin, said once: the operations whose route handlers call
 * require_platform (admin/scope.py). A site admin is not shown their controls at all.
 * A job's run-now is the one mixed case: a site admin may run a per-site job (`per_site`) for
 * its own site.
 */
const PLATFORM_ONLY = new Set(['trigger.edit', 'trigger.toggle', 'trigger.create', 'trigger.remove', 'clock.global', 'sites.all', 'budget.edit']);

/** Whether the signed-in admin may do `action` (display only: the server checks every call). */
export function can(c, action, job) {
  if (!isAdmin(c)) return false;
  if (c.platform) return true;
  if (action === 'trigger.run') return Boolean(job && job.per_site);
  return !PLATFORM_ONLY.has(action);
}
