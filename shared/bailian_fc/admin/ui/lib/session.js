// The admin token for this tab: from the link `bailian-fc dev` prints (#token=…) or pasted.
// Kept in sessionStorage (gone when the tab closes), never in localStorage or a cookie.

import { createClient, fetchTransport } from '../client/index.js';

const KEY = 'bailian-fc.admin-token';

export function takeTokenFromFragment() {
  const match = /^#token=([^&]+)/.exec(location.hash);
  if (!match) return false;
  sessionStorage.setItem(KEY, decodeURIComponent(match[1]));
  history.replaceState(null, '', `${location.pathname}${location.search}#/dashboard`); // out of history and the address bar
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
