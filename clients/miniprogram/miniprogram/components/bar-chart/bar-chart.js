// A small paired bar chart (current vs comparison period, one pair per row) drawn with views, so it
// renders the same in DevTools, on phones and in the tests, with no canvas.
function bars(rows) {
  const max = Math.max(0, ...rows.map((r) => Math.max(Number(r.current) || 0, Number(r.previous) || 0)));
  const pct = (v) => (max > 0 ? Math.round(((Number(v) || 0) / max) * 1000) / 10 : 0);
  return rows.map((r) => ({ label: r.label, current: r.current, previous: r.previous, currentPct: pct(r.current), previousPct: pct(r.previous) }));
}

Component({
  properties: {
    rows: { type: Array, value: [] },
    currentLabel: { type: String, value: '本期' },
    previousLabel: { type: String, value: '对比期' },
  },
  data: { bars: [] },
  observers: {
    rows(rows) { this.setData({ bars: bars(rows || []) }); },
  },
});
