// UTF-8 → string without TextDecoder (not guaranteed in every WeChat base library).
// Callers hand it whole SSE frames, which never end inside a character; a truncated or
// invalid sequence becomes U+FFFD, as TextDecoder would do.

/**
 * The WHATWG UTF-8 decoder (one U+FFFD per maximal invalid subpart, as TextDecoder does).
 * @param {Uint8Array} bytes @returns {string}
 */
export function decodeUtf8Manual(bytes) {
  let out = '';
  const units = [];
  let cp = 0; let needed = 0; let seen = 0; let lower = 0x80; let upper = 0xbf;
  const emit = (c) => {
    if (c > 0xffff) { c -= 0x10000; units.push(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff)); } else units.push(c);
    if (units.length > 4096) { out += String.fromCharCode.apply(null, units); units.length = 0; }
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (needed === 0) {
      if (b < 0x80) emit(b);
      else if (b >= 0xc2 && b <= 0xdf) { needed = 1; cp = b & 0x1f; }
      else if (b >= 0xe0 && b <= 0xef) {
        if (b === 0xe0) lower = 0xa0;
        if (b === 0xed) upper = 0x9f;
        needed = 2; cp = b & 0xf;
      } else if (b >= 0xf0 && b <= 0xf4) {
        if (b === 0xf0) lower = 0x90;
        if (b === 0xf4) upper = 0x8f;
        needed = 3; cp = b & 0x7;
      } else emit(0xfffd);
      continue;
    }
    if (b < lower || b > upper) {
      cp = 0; needed = 0; seen = 0; lower = 0x80; upper = 0xbf;
      emit(0xfffd);
      i--; // the byte starts something new: look at it again
      continue;
    }
    lower = 0x80; upper = 0xbf;
    cp = (cp << 6) | (b & 0x3f);
    if (++seen === needed) { emit(cp); cp = 0; needed = 0; seen = 0; }
  }
  if (needed) emit(0xfffd);
  return out + String.fromCharCode.apply(null, units);
}

const native = typeof TextDecoder === 'function' ? new TextDecoder('utf-8') : null;

/** @param {Uint8Array} bytes @param {{manual?: boolean}} [options] @returns {string} */
export function decodeUtf8(bytes, options = {}) {
  return native && !options.manual ? native.decode(bytes) : decodeUtf8Manual(bytes);
}

/** @param {string} text @returns {Uint8Array} */
export function encodeUtf8(text) {
  if (typeof TextEncoder === 'function') return new TextEncoder().encode(text);
  const out = [];
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo < 0xe000) { cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00); i++; }
    }
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return new Uint8Array(out);
}
