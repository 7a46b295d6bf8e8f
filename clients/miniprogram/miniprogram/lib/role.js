// The token's role, read from its payload for navigation only: what the server allows is decided by
// the server (a page the role cannot use still gets a 403 there).
const RANK = { staff: 1, manager: 2, admin: 3, service: 3 };
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url → a string of bytes (the claims a backend mints are ASCII JSON). */
function base64urlDecode(text) {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const ch of text.replace(/=+$/, '')) {
    const index = B64.indexOf(ch === '+' ? '-' : ch === '/' ? '_' : ch);
    if (index < 0) return null;
    value = (value << 6) | index;
    bits += 6;
    if (bits >= 8) { bits -= 8; out += String.fromCharCode((value >> bits) & 0xff); }
  }
  return out;
}

/** The JWT's claims, or null when it is not one. */
function claimsOf(token) {
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3) return null;
  try {
    const text = decodeURIComponent(escape(base64urlDecode(parts[1]) || '')); // UTF-8 bytes → text
    const claims = JSON.parse(text);
    return claims && typeof claims === 'object' ? claims : null;
  } catch (e) {
    return null;
  }
}

function roleOf(token) {
  const claims = claimsOf(token);
  return claims && typeof claims.role === 'string' ? claims.role : '';
}

/** Whether `role` is `needed` or above (staff < manager < admin). */
function atLeast(role, needed) { return (RANK[role] || 0) >= (RANK[needed] || Infinity); }

module.exports = { claimsOf, roleOf, atLeast };
