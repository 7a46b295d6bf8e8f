"""App2, the board's finance insight for one (range, area) filter of one site.

Its context is the finance view: the figures computed from the venue's finance rows for the range
and its comparison period (``venue/figures.py``); the figures travel with the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from ...errors import InvalidInput
from ...venue.figures import finance_figures
from ...venue.ranges import resolve_with_previous
from ..inputs import FinanceFilter
from ..outputs import Output
from ..prompts import JSON_ONLY, RANGE_LABELS, Prompt
from ..spec import MANAGERS, AppSpec, Sources

if TYPE_CHECKING:
    from ...clock import Reading


class Insight(Output):
    title: str = Field(min_length=1)
    detail: str = Field(min_length=1)
    level: Literal["info", "positive", "warning", "critical"]


class FinanceInsight(Output):
    """app2_finance: board-finance insight."""

    # A bare list of insights is wrapped as {"insights": [...]}, so summary may be empty.
    summary: str = ""
    insights: list[Insight]
    suggestions: list[str] = []


def finance_view(sources: Sources, data: FinanceFilter, site_id: str, reading: Reading) -> dict[str, Any]:
    """The figures for the filter as of the reading's business date; an area the site lacks is a 400."""
    today = reading.business_date
    if data.area != "all" and data.area not in sources.venue.areas(site_id, upper_bound=today):
        raise InvalidInput(f"site {site_id} has no area {data.area!r}", code="UnknownArea")
    period, previous = resolve_with_previous(data.range, today)
    # One read for both periods (the comparison period ends where the current one starts, give or
    # take the tail of a month for this_month): one round trip to the DWS instead of two.
    rows = sources.read(site_id, min(previous.start, period.start), max(previous.end, period.end), reading)
    figures = finance_figures(rows, period, previous, data.area)
    loaded = [r.loaded_at for r in rows if r.loaded_at is not None]
    return {
        # the newest load of the rows read (both periods): not in the prompt, so not in its digest
        "data_as_of": max(loaded).isoformat() if loaded else None,
        "site_id": site_id,
        "business_date": today.isoformat(),
        "day_start": sources.settings.business_day_start,
        "days_with_data": figures.days_with_data,
        "period": period.as_dict(),
        "previous": previous.as_dict(),
        "figures": figures.model_dump(mode="json"),
    }


def meta(view: dict[str, Any]) -> dict[str, Any]:
    # read for every request, so the board shows the figures as they are now; the cached entry keeps
    # a copy of the ones its insights were built from
    return {k: view[k] for k in ("business_date", "period", "previous", "days_with_data", "figures")}


def no_data(view: dict[str, Any]) -> bool:
    """No business day in the range: the figures are all zero and there is nothing to interpret."""
    return bool(view["days_with_data"] == 0)


METRICS = {
    "table_revenue": "台费收入（元）",
    "goods_revenue": "商品收入（元）",
    "recharge": "会员充值（元）",
    "consumption": "会员消费（元）",
    "discount": "优惠金额（元）",
    "table_hours": "开台时长（小时）",
    "orders": "订单数",
    "customers": "到店人数",
}

DERIVED_METRICS = {
    "revenue": "营业收入（台费+商品，元）",
    "avg_order_value": "客单价（元/单）",
    "table_revenue_per_hour": "每小时台费（元）",
}
ALL_METRICS = {**METRICS, **DERIVED_METRICS}
COUNTS = ("orders", "customers")


def _num(key: str, value: Any) -> str:
    if value is None:
        return "无"
    return f"{round(value):,}" if key in COUNTS else f"{value:,.2f}"


def _yuan(value: Any) -> str:
    return "无" if value is None else f"{value:,.2f} 元"


def _pct(value: Any) -> str:
    return "对比期为零" if value is None else f"{value:+.1f}%"


def _metric_lines(totals: dict[str, Any]) -> str:
    return "\n".join(f"- {label}：{_num(key, totals.get(key))}" for key, label in ALL_METRICS.items())


def _change_lines(changes: dict[str, dict[str, Any]]) -> str:
    lines = []
    for key, label in ALL_METRICS.items():
        change = changes[key]
        if change["change"] is None:
            lines.append(f"- {label}：无法比较（一方无数据）")
        else:
            lines.append(f"- {label}：{_num(key, change['change'])}（{_pct(change['change_pct'])}）")
    return "\n".join(lines)


def _area_lines(areas: list[dict[str, Any]]) -> str:
    lines = []
    for a in areas:
        now, ch = a["current"], a["changes"]
        parts = [
            f"营业收入 {_num('revenue', now['revenue'])} 元（{_pct(ch['revenue']['change_pct'])}）",
            f"台费 {_num('table_revenue', now['table_revenue'])} 元（{_pct(ch['table_revenue']['change_pct'])}）",
            f"开台 {_num('table_hours', now['table_hours'])} 小时（{_pct(ch['table_hours']['change_pct'])}）",
            f"订单 {_num('orders', now['orders'])}（{_pct(ch['orders']['change_pct'])}）",
            f"客单价 {_yuan(now['avg_order_value'])}",
            f"每小时台费 {_yuan(now['table_revenue_per_hour'])}",
        ]
        lines.append(f"- {a['area']}：" + "，".join(parts))
    return "\n".join(lines)


def _periods(range_name: str, period: dict[str, Any], previous: dict[str, Any], day_start: str) -> str:
    """Both periods with their lengths, and the comparison rule said as it is (ranges.py)."""
    now = f"{period['start']} 至 {period['end']}，共 {period['days']} 天"
    before = f"{previous['start']} 至 {previous['end']}，共 {previous['days']} 天"
    if range_name == "last_month":
        rule = f"本期为上月整月（{now}）；对比期为再前一个月整月（{before}），两个月天数可能不同。"
    elif range_name == "this_month":
        rule = f"本期为本月 1 日至今（{now}）；对比期为上月同期，即上月 1 日起的相同天数（{before}）。"
    else:
        rule = f"本期为{RANGE_LABELS[range_name]}（{now}）；对比期为紧接其前、等长的一段（{before}）。"
    return f"{rule}营业日以 {day_start} 为界。"


def prompt(data: FinanceFilter, view: dict[str, Any]) -> Prompt:
    """app2_finance v6: the board's insight for one (range, area) filter of one site, built from the
    figures the answer also carries (``venue/figures.py``): totals, derived metrics, changes, areas."""
    area = "全部区域" if data.area == "all" else data.area
    f = view["figures"]
    empty = "" if f["days_with_data"] else "本期没有营业数据。"
    areas = f["areas"] if data.area == "all" else []
    text = f"""你是台球俱乐部的经营分析顾问，为董事会解读门店财务数据。以下数字由系统根据营业数据计算，请直接引用，不要自行重算。
门店：{view["site_id"]}；区域：{area}。
{_periods(data.range, f["period"], f["previous_period"], view["day_start"])}
本期有营业数据 {f["days_with_data"]} 天，对比期 {f["previous_days_with_data"]} 天。{empty}

本期汇总：
{_metric_lines(f["current"])}

对比期汇总：
{_metric_lines(f["previous"])}

变化（本期 − 对比期）：
{_change_lines(f["changes"])}
{"" if not areas else chr(10) + "各区域本期表现（括号内为较对比期变化）：" + chr(10) + _area_lines(areas) + chr(10)}
请给出 3–5 条洞察，每条引用具体数字并标注级别（info / positive / warning / critical），再给出 2–4 条可执行的经营建议。
{JSON_ONLY}格式：
{{"summary": "一句话总结", "insights": [{{"title": "标题", "detail": "含数字的说明", "level": "info"}}], "suggestions": ["建议"]}}"""
    return Prompt(text, {"user_prompt_params": {"range": RANGE_LABELS[data.range], "area": area}})


SPEC = AppSpec(
    "app2_finance",
    "董事会财务洞察",
    "single",
    FinanceFilter,
    FinanceInsight,
    prompt,
    "v6",
    roles=MANAGERS,
    bare_list_field="insights",
    fresh_seconds=6 * 3600,
    context=finance_view,
    meta=meta,
    no_data=no_data,
    empty={"summary": "", "insights": [], "suggestions": []},
)
