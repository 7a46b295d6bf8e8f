// A safe subset of Markdown (what Qwen answers carry) as plain data for WXML nodes: paragraphs,
// headings, bullet and numbered lists, fenced and inline code, bold and italics. Links are shown as
// text ("文字（网址）"), never as something to tap. Nothing is ever treated as HTML: every piece
// ends up in a <text> node, so "<script>" or "javascript:" stay the characters they are.

const MAX_BLOCKS = 400; // an answer is bounded by the server; this bounds the page's node count

/**
 * Inline spans of one line: {t: text, b: bold, i: italic, c: code}.
 * @param {string} line @returns {{t: string, b: boolean, i: boolean, c: boolean}[]}
 */
function spans(line) {
  const out = [];
  const push = (t, style) => { if (t) out.push({ t, b: !!style.b, i: !!style.i, c: !!style.c }); };
  // code first (its content is literal), then links shown as text, then ** / * / _ pairs
  const pattern = /`([^`]+)`|\[([^\]]+)\]\(((?:[^()\s]|\([^()\s]*\))+)\)|\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|_([^_\s][^_]*)_/g;
  let at = 0;
  let m;
  while ((m = pattern.exec(line)) !== null) {
    push(line.slice(at, m.index), {});
    if (m[1] !== undefined) push(m[1], { c: true });
    else if (m[2] !== undefined) push(`${m[2]}（${m[3]}）`, {});
    else if (m[4] !== undefined || m[5] !== undefined) push(m[4] ?? m[5], { b: true });
    else push(m[6] ?? m[7], { i: true });
    at = pattern.lastIndex;
  }
  push(line.slice(at), {});
  return out;
}

/**
 * Blocks: {kind: 'h' | 'p' | 'li' | 'code', level?, mark?, spans}. Consecutive text lines join into one
 * paragraph; a blank line ends it.
 * @param {string} text
 */
function parse(text) {
  const blocks = [];
  const lines = String(text || '').replace(/\r\n?/g, '\n').split('\n');
  let para = null;
  let fence = null;
  const endPara = () => { para = null; };
  for (const line of lines) {
    if (blocks.length >= MAX_BLOCKS) break;
    if (fence) {
      if (/^\s*```/.test(line)) { fence = null; continue; }
      fence.spans[0].t += (fence.spans[0].t ? '\n' : '') + line;
      continue;
    }
    if (/^\s*```/.test(line)) {
      endPara();
      fence = { kind: 'code', level: 0, mark: '', spans: [{ t: '', b: false, i: false, c: true }] };
      blocks.push(fence);
      continue;
    }
    const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\s*(\d{1,3})[.)、]\s+(.*)$/.exec(line);
    if (heading) {
      endPara();
      blocks.push({ kind: 'h', level: Math.min(heading[1].length, 3), mark: '', spans: spans(heading[2]) });
    } else if (bullet) {
      endPara();
      blocks.push({ kind: 'li', level: 0, mark: '•', spans: spans(bullet[1]) });
    } else if (numbered) {
      endPara();
      blocks.push({ kind: 'li', level: 0, mark: `${numbered[1]}.`, spans: spans(numbered[2]) });
    } else if (!line.trim()) {
      endPara();
    } else if (para) {
      para.spans.push({ t: '\n', b: false, i: false, c: false }, ...spans(line));
    } else {
      para = { kind: 'p', level: 0, mark: '', spans: spans(line) };
      blocks.push(para);
    }
  }
  return blocks;
}

module.exports = { parse, spans };
