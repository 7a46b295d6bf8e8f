// Hand-written SVG line charts: one line per app over time, with axes, grid and a legend.
// No library: nothing loaded at run time, and every point is a real element tests can count.

const NS = 'http://www.w3.org/2000/svg';
export const PALETTE = ['#2563eb', '#db2777', '#059669', '#d97706', '#7c3aed', '#0891b2', '#dc2626', '#4b5563', '#65a30d', '#9333ea'];

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/**
 * @param {{title: string, labels: string[], series: {name: string, values: (number|null)[]}[],
 *          format?: (v: number) => string, id?: string, colors?: Record<string,string>, integer?: boolean}} spec
 */
export function lineChart(spec) {
  const W = 560; const H = 220; const L = 48; const R = 12; const T = 12; const B = 34;
  const fmt = spec.format || ((v) => String(Math.round(v * 100) / 100));
  const all = spec.series.flatMap((s) => s.values).filter((v) => typeof v === 'number' && Number.isFinite(v));
  const top = niceMax(Math.max(0, ...all));
  const max = spec.integer ? Math.max(4, top) : top; // counts: whole-number ticks
  const n = spec.labels.length;
  const x = (i) => L + (n <= 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': spec.title,
    'data-chart': spec.id || spec.title, 'data-points': all.length });
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    root.append(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }));
    root.append(svg('text', { x: L - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, fmt(v)));
  }
  const every = Math.max(1, Math.ceil(n / 8));
  spec.labels.forEach((label, i) => {
    if (i % every !== 0 && i !== n - 1) return;
    const anchor = n > 1 && i === n - 1 ? 'end' : n > 1 && i === 0 ? 'start' : 'middle'; // keep edge labels inside
    root.append(svg('text', { x: x(i), y: H - 12, class: 'tick', 'text-anchor': anchor }, label));
  });
  spec.series.forEach((s, index) => {
    const color = spec.colors?.[s.name] || PALETTE[index % PALETTE.length];
    const group = svg('g', { 'data-series': s.name, stroke: color, fill: color });
    const segments = [[]];
    s.values.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) { segments.push([]); return; }
      segments.at(-1).push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
      group.append(svg('circle', { cx: x(i), cy: y(v), r: 3, class: 'point' },
        svg('title', {}, `${s.name} · ${spec.labels[i]}: ${fmt(v)}`)));
    });
    const d = segments.filter((seg) => seg.length > 1).map((seg) => `M${seg.join('L')}`).join(' ');
    if (d) group.prepend(svg('path', { d, class: 'line', fill: 'none' }));
    root.append(group);
  });
  if (!all.length) root.append(svg('text', { x: W / 2, y: H / 2, class: 'empty', 'text-anchor': 'middle' }, '暂无数据 no data'));
  return root;
}

export function legend(names, colors) {
  const el = document.createElement('div');
  el.className = 'legend';
  names.forEach((name, i) => {
    const item = document.createElement('span');
    const dot = document.createElement('i');
    dot.style.background = colors?.[name] || PALETTE[i % PALETTE.length];
    item.append(dot, name);
    el.append(item);
  });
  return el;
}
