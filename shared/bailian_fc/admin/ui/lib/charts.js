// Hand-written SVG line charts: one line per app over time, with axes, grid, legend and a value
// read-out on hover or tap. No library: nothing loaded at run time, every point is a real element.
//
// The SVG is drawn at the pixel width of its box (and redrawn when the box resizes), so one SVG
// unit is one CSS pixel and a 12 px label stays 12 px on a phone and on a laptop: a fixed viewBox
// scaled to fit would shrink its text with the box.

import { t } from './i18n.js';

const NS = 'http://www.w3.org/2000/svg';
export const PALETTE = ['#2563eb', '#db2777', '#059669', '#d97706', '#7c3aed', '#0891b2', '#dc2626', '#4b5563', '#65a30d', '#9333ea'];
const FONT = 12; // CSS px, for ticks and read-outs
const HEIGHT = 220;

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/**
 * Axis ticks at round numbers: a step of 1, 2 or 5 × 10^n (whole numbers for counts), about
 * four of them from 0 to the first step at or above the largest value.
 */
export function niceTicks(value, integer = false) {
  const top = value > 0 ? value : 1;
  const raw = top / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  if (integer) step = Math.max(1, Math.round(step));
  const count = Math.max(1, Math.ceil(top / step - 1e-9));
  return Array.from({ length: count + 1 }, (_, k) => Number((k * step).toPrecision(12)));
}

/**
 * @param {{title: string, labels: string[], series: {name: string, values: (number|null)[]}[],
 *          format?: (v: number) => string, id?: string, colors?: Record<string,string>,
 *          names?: Record<string,string>, integer?: boolean}} spec
 * @returns {HTMLElement} a box that holds the chart and keeps it drawn at its own width
 */
export function lineChart(spec) {
  const box = document.createElement('div');
  box.className = 'chart-box';
  let width = 0;
  const draw = (w) => {
    const next = Math.max(240, Math.round(w));
    if (next === width) return;
    width = next;
    box.replaceChildren(drawChart(spec, width));
  };
  draw(560); // before layout; redrawn at the real width as soon as the box is measured
  if (typeof ResizeObserver === 'function') {
    new ResizeObserver((entries) => { for (const e of entries) if (e.contentRect.width > 0) draw(e.contentRect.width); }).observe(box);
  }
  return box;
}

function drawChart(spec, W) {
  const H = HEIGHT; const R = 14; const T = 14; const B = 30;
  const fmt = spec.format || ((v) => String(Math.round(v * 100) / 100));
  const all = spec.series.flatMap((s) => s.values).filter((v) => typeof v === 'number' && Number.isFinite(v));
  const ticks = niceTicks(Math.max(0, ...all), spec.integer);
  const max = ticks.at(-1);
  const L = Math.max(36, 10 + FONT * 0.62 * Math.max(...ticks.map((v) => fmt(v).length)));
  const n = spec.labels.length;
  const x = (i) => L + (n <= 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const name = (s) => spec.names?.[s] || s;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'chart', role: 'img', 'aria-label': spec.title,
    'data-chart': spec.id || spec.title, 'data-points': all.length });
  for (const v of ticks) {
    root.append(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }));
    root.append(svg('text', { x: L - 6, y: y(v) + 4, class: 'tick', 'data-tick': v, 'text-anchor': 'end', 'font-size': FONT }, fmt(v)));
  }
  // As many x labels as fit without touching (about 7 characters each).
  const longest = Math.max(1, ...spec.labels.map((l) => String(l).length));
  const fits = Math.max(1, Math.floor((W - L - R) / (longest * FONT * 0.62 + 14)));
  const every = Math.max(1, Math.ceil(n / fits));
  spec.labels.forEach((label, i) => {
    const last = i === n - 1;
    if (i % every !== 0 && !last) return;
    if (!last && n > 1 && i + every > n - 1 && (n - 1 - i) < every * 0.8) return; // do not crowd the last label
    const anchor = n > 1 && last ? 'end' : n > 1 && i === 0 ? 'start' : 'middle'; // keep edge labels inside
    root.append(svg('text', { x: x(i), y: H - 10, class: 'tick', 'text-anchor': anchor, 'font-size': FONT }, label));
  });
  // Points with no neighbour (one day of data, an app seen once) get a bigger dot and their value
  // written beside them, unless so many are alone that the labels would pile up.
  const aloneCount = spec.series.reduce((k, s) => k + s.values.filter((v, i) => isAlone(s.values, i)).length, 0);
  const labelAlone = aloneCount > 0 && aloneCount <= 6;
  spec.series.forEach((s, index) => {
    const color = spec.colors?.[s.name] || PALETTE[index % PALETTE.length];
    const group = svg('g', { 'data-series': s.name, stroke: color, fill: color });
    const segments = [[]];
    s.values.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) { segments.push([]); return; }
      segments.at(-1).push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
      const alone = isAlone(s.values, i);
      group.append(svg('circle', { cx: x(i), cy: y(v), r: alone ? 5 : 3, class: alone ? 'point alone' : 'point' },
        svg('title', {}, `${name(s.name)} · ${spec.labels[i]}：${fmt(v)}`)));
      if (alone && labelAlone) { // say the value rather than leave a lone dot; kept inside the plot
        const px = x(i);
        const anchor = px > W - R - 40 ? 'end' : px < L + 40 ? 'start' : 'middle';
        const dx = anchor === 'end' ? -8 : anchor === 'start' ? 8 : 0;
        const py = y(v) - 10 < T + FONT ? y(v) + FONT + 8 : y(v) - 10;
        group.append(svg('text', { x: px + dx, y: py, class: 'value', 'text-anchor': anchor, 'font-size': FONT, stroke: 'none' }, fmt(v)));
      }
    });
    const d = segments.filter((seg) => seg.length > 1).map((seg) => `M${seg.join('L')}`).join(' ');
    if (d) group.prepend(svg('path', { d, class: 'line', fill: 'none' }));
    root.append(group);
  });
  if (!all.length) root.append(svg('text', { x: W / 2, y: H / 2, class: 'empty', 'text-anchor': 'middle', 'font-size': 13 }, t('chart.empty')));
  else addReadout(root, spec, { x, W, H, T, B, L, R, n, fmt, name });
  return root;
}

function isAlone(values, i) {
  const real = (v) => typeof v === 'number' && Number.isFinite(v);
  return real(values[i]) && !real(values[i - 1]) && !real(values[i + 1]);
}

/** Hover (mouse) or tap (touch): a guide line at the nearest label and every series' value there. */
function addReadout(root, spec, g) {
  const guide = svg('line', { y1: g.T, y2: g.H - g.B, class: 'guide', visibility: 'hidden' });
  const tip = svg('g', { class: 'tip', visibility: 'hidden', 'data-role': 'readout' });
  root.append(guide, tip);
  const show = (clientX) => {
    const rect = root.getBoundingClientRect();
    const px = ((clientX - rect.left) / rect.width) * g.W;
    const i = g.n <= 1 ? 0 : Math.max(0, Math.min(g.n - 1, Math.round(((px - g.L) / (g.W - g.L - g.R)) * (g.n - 1))));
    const lines = [spec.labels[i], ...spec.series
      .filter((s) => typeof s.values[i] === 'number')
      .map((s) => `${g.name(s.name)}：${g.fmt(s.values[i])}`)];
    const cx = g.x(i);
    guide.setAttribute('x1', cx); guide.setAttribute('x2', cx); guide.setAttribute('visibility', 'visible');
    const w = Math.min(g.W - 8, 16 + FONT * 0.62 * Math.max(...lines.map((l) => l.length * (/[\u4e00-\u9fff]/.test(l) ? 1.5 : 1))));
    const hgt = 10 + lines.length * (FONT + 4);
    const left = Math.max(4, Math.min(g.W - w - 4, cx + 8 + w > g.W ? cx - w - 8 : cx + 8));
    tip.replaceChildren(svg('rect', { x: left, y: g.T, width: w, height: hgt, rx: 6 }),
      ...lines.map((l, k) => svg('text', { x: left + 8, y: g.T + 6 + (k + 1) * (FONT + 4) - 4, 'font-size': FONT }, l)));
    tip.setAttribute('visibility', 'visible');
    tip.dataset.index = String(i);
  };
  const hide = () => { guide.setAttribute('visibility', 'hidden'); tip.setAttribute('visibility', 'hidden'); };
  root.addEventListener('pointermove', (e) => show(e.clientX));
  root.addEventListener('pointerdown', (e) => show(e.clientX));
  root.addEventListener('pointerleave', (e) => { if (e.pointerType === 'mouse') hide(); });
}

export function legend(names, colors, labels = {}) {
  const el = document.createElement('div');
  el.className = 'legend';
  names.forEach((name, i) => {
    const item = document.createElement('span');
    const dot = document.createElement('i');
    dot.style.background = colors?.[name] || PALETTE[i % PALETTE.length];
    item.dataset.series = name;
    item.append(dot, labels[name] || name);
    el.append(item);
  });
  return el;
}
