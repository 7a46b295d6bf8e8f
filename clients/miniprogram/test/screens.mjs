// Every page as a standalone HTML file (the DOM miniprogram-simulate rendered, with the WXSS it
// compiled), for tests/test_miniprogram.py to photograph at 375 px in headless Chromium. rpx are
// emitted as px by the simulator, so the frame is 750 px wide and drawn at half size.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './harness.mjs';

const BASE_CSS = `
html, body { margin: 0; background: #ddd; font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; }
.frame { width: 750px; zoom: 0.5; background: #f5f6f8; font-size: 28px; color: #222; position: relative; min-height: 1334px; display: flex; flex-direction: column; }
.screen { flex: 1; }
wx-view, wx-scroll-view, wx-picker, wx-form, main, wx-textarea { display: block; }
wx-text, wx-navigator { display: inline; }
wx-navigator { color: #1677ff; }
wx-input { display: block; min-height: 40px; line-height: 40px; }
wx-input::before, wx-textarea::before { content: attr(data-placeholder); color: #aaa; }
wx-textarea { min-height: 120px; }
.title-bar { height: 88px; line-height: 88px; text-align: center; font-size: 32px; font-weight: 600; background: #fff; border-bottom: 1px solid #eee; }
.tabbar-host { margin-top: 24px; }
.tabbar-host [class*="tab-bar"] { position: static !important; }
`;

/** app.wxss with the simulator's page prefix, so .section, .btn … apply as they do on a phone. */
function appCss() {
  const raw = fs.readFileSync(path.join(ROOT, 'app.wxss'), 'utf8');
  return raw.replace(/(\d+(?:\.\d+)?)rpx/g, '$1px').replace(/^page\s*\{/m, '.frame {').replace(/\.([a-z][\w-]*)/g, '.main--$1');
}

/** Writes `<dir>/<name>.html`: the page under a title bar, the tab bar (if any) at the bottom. */
export function saveScreen(dir, name, title, page, tabBar = null) {
  if (!dir) return null;
  fs.mkdirSync(dir, { recursive: true });
  const styles = [...document.head.querySelectorAll('style')].map((s) => s.textContent).join('\n');
  const html = `<!doctype html><html><head><meta charset="utf-8"><style>${BASE_CSS}${appCss()}${styles}</style></head>
<body><div class="frame"><div class="title-bar">${title}</div><div class="screen">${page.dom.outerHTML}</div>${tabBar ? `<div class="tabbar-host">${tabBar.dom.outerHTML}</div>` : ''}</div></body></html>`;
  const file = path.join(dir, `${name}.html`);
  fs.writeFileSync(file, html);
  return file;
}
