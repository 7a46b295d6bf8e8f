// App2's `figures` (computed on the server from the venue data, never by the model) as the board's
// rows: the site's totals per metric, then revenue per area, and the chart's per-area pairs.

/** @typedef {import('../../../../types/bailian-apps').FinanceFigures} FinanceFigures */
/** @typedef {import('../../../../types/bailian-apps').Change} Change */

const METRICS = [
  { key: 'revenue', label: '总营收', money: true },
  { key: 'table_revenue', label: '台费', money: true },
  { key: 'goods_revenue', label: '商品', money: true },
  { key: 'orders', label: '订单数' },
  { key: 'avg_order_value', label: '客单价', money: true },
  { key: 'table_revenue_per_hour', label: '每小时台费', money: true },
  { key: 'table_hours', label: '开台时长(小时)' },
];

// How amounts read in the venue's locale (config.js `locale`): the currency sign and the digit
// grouping. Written out, not Intl: the phones' JS engines do not all carry locale data.
const LOCALES = { 'zh-CN': { currency: '¥', group: ',', decimal: '.' } };

/** @param {number | null | undefined} value */
function number(value, money = false, locale = 'zh-CN') {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  const style = LOCALES[locale] || LOCALES['zh-CN'];
  const fixed = money ? Math.abs(value).toFixed(2) : String(Math.round(Math.abs(value) * 10) / 10);
  const [whole, frac] = fixed.split('.');
  const digits = whole.replace(/\B(?=(\d{3})+(?!\d))/g, style.group) + (frac ? `${style.decimal}${frac}` : '');
  return `${value < 0 ? '-' : ''}${money ? style.currency : ''}${digits}`;
}

/** @param {number | null | undefined} pct */
function percent(pct) {
  if (typeof pct !== 'number' || !Number.isFinite(pct)) return '—';
  return `${pct > 0 ? '+' : ''}${pct.toFixed(1)}%`;
}

/** @param {Change | undefined} change */
function trend(change) {
  const pct = change && change.change_pct;
  return typeof pct !== 'number' ? 'flat' : pct > 0 ? 'up' : pct < 0 ? 'down' : 'flat';
}

/** @param {FinanceFigures | null | undefined} figures */
function figureView(figures, locale = 'zh-CN') {
  if (!figures) return { metrics: [], areaRows: [], chart: [] };
  const metrics = METRICS.map((m) => {
    const change = figures.changes && figures.changes[m.key];
    return {
      key: m.key, label: m.label,
      currentText: number(figures.current[m.key], m.money, locale),
      previousText: number(figures.previous[m.key], m.money, locale),
      changeText: percent(change && change.change_pct), trend: trend(change),
    };
  });
  const areaRows = (figures.areas || []).map((a) => ({
    area: a.area,
    currentText: number(a.current.revenue, true, locale),
    previousText: number(a.previous.revenue, true, locale),
    changeText: percent(a.changes.revenue.change_pct), trend: trend(a.changes.revenue),
  }));
  const chart = (figures.areas || []).map((a) => ({ label: a.area, current: a.current.revenue, previous: a.previous.revenue }));
  return { metrics, areaRows, chart };
}

/** '11-27 至 12-03（7 天）' for a period; months say so. */
function periodText(period) {
  if (!period) return '';
  const unit = period.unit === 'month' ? `${period.start.slice(0, 7)} 整月，` : '';
  return `${unit}${period.start} 至 ${period.end}（${period.days} 天）`;
}

module.exports = { figureView, periodText, number, percent };
