// App2's computed figures as the board's table, chart and metric rows.

const money = (v) => (typeof v === 'number' && Number.isFinite(v) ? v.toLocaleString('zh-CN', { maximumFractionDigits: 2 }) : '—');
function change(current, previous) {
  if (typeof current !== 'number' || typeof previous !== 'number' || previous === 0) return '—';
  const pct = ((current - previous) / previous) * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%`;
}

/**
 * App2's `figures` as table rows and chart rows. Each area (and the total) has its revenue in the
 * period and in the comparison period; derived metrics are shown as they come, formatted.
 */
function figureView(figures) {
  if (!figures) return { table: [], chart: [], metrics: [] };
  const revenue = (side) => (side && typeof side === 'object' ? side.revenue ?? side.total_revenue : side);
  const areas = (figures.areas || []).map((a) => ({
    label: a.area, current: revenue(a.current), previous: revenue(a.previous),
  }));
  const total = figures.total || figures.totals;
  const rows = total ? [{ label: '合计', current: revenue(total.current), previous: revenue(total.previous) }, ...areas] : areas;
  const table = rows.map((r) => ({ ...r, currentText: money(r.current), previousText: money(r.previous), changeText: change(r.current, r.previous) }));
  const metrics = Object.entries(figures.metrics || {}).map(([key, value]) => ({
    key, label: { total_revenue: '总营收', average_order_value: '客单价', table_fee_per_hour: '每小时台费' }[key] || key,
    text: money(value && typeof value === 'object' ? value.current : value),
  }));
  return { table, chart: areas, metrics };
}

module.exports = { figureView, change, money };
