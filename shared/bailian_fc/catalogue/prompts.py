"""Prompt builders: plain templates filled from validated input (and server-side data).

Each builder returns a :class:`Prompt` and has a version in the registry; changing a
template's wording means bumping its version, which also moves its cache namespace.
Golden files in ``tests/golden/`` pin the exact text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from . import inputs as i


@dataclass(frozen=True)
class Prompt:
    text: str
    biz_params: dict[str, Any] | None = None


JSON_ONLY = "只输出一个 JSON 对象，不要使用 Markdown 代码块，不要输出其他文字。"

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

RANGE_LABELS = {
    "today": "今日",
    "yesterday": "昨日",
    "last_7_days": "近7天",
    "this_week": "本周",
    "last_week": "上周",
    "this_month": "本月",
    "last_month": "上月",
    "last_30_days": "近30天",
}


def _json(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=False)


def _rows(items: list[dict[str, Any]]) -> str:
    """One compact JSON object per line: long histories stay readable and cheap in tokens."""
    return "\n".join(json.dumps(item, ensure_ascii=False) for item in items) or "（无）"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


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


def finance_insight(data: i.FinanceFilter, view: dict[str, Any]) -> Prompt:
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


def finance_digest(data: i.FinanceFilter, insight: dict[str, Any]) -> Prompt:
    """app2a_finance_digest v1: one headline for the board, from App2's result for the same filter."""
    area = "全部区域" if data.area == "all" else data.area
    text = f"""以下是门店{RANGE_LABELS[data.range]}（{area}）的财务洞察：
{_json(insight)}

请把它浓缩成一句不超过 40 个字的董事会标题，并判断整体基调（positive / neutral / negative）。
{JSON_ONLY}格式：{{"headline": "标题", "tone": "neutral"}}"""
    return Prompt(text)


def clue_detail(data: i.ClueRef, detail: dict[str, Any]) -> Prompt:
    """app3_clue_detail v2: from the clue detail the backend loaded (``PromptContext.clue_view``)."""
    customer, staff = detail["customer"], detail.get("assigned_staff")
    visits, purchases = detail.get("visits") or [], detail.get("purchases") or []
    spend = round(sum(v["spend"] for v in visits), 2)
    text = f"""你是台球俱乐部的客户经理助手。根据下面的线索档案，整理这位客户的完整画像。
线索 {data.clue_id}（截至营业日 {detail["business_date"]}）：
{_json(detail["clue"])}
客户：
{_json(customer)}
负责员工：{f"{staff['name']}（{staff['role']}）" if staff else "未分配"}
到店记录（最近 {len(visits)} 次，消费合计 {_fmt(spend)} 元）：
{_rows(visits)}
消费明细（最近 {len(purchases)} 笔）：
{_rows(purchases)}
跟进与备注（按时间）：
{_rows(detail.get("follow_ups") or [])}

请给出：画像摘要、关键事实、意向等级（high / medium / low）、后续跟进动作、风险提示。
{JSON_ONLY}格式：
{{"profile_summary": "…", "key_facts": ["…"], "intent_level": "medium", "follow_ups": ["…"], "risk_flags": ["…"]}}"""
    return Prompt(text)


def _customer_facts(profile: dict[str, Any]) -> str:
    """The customer and a summary of their visits: the common head of the by-id prompts."""
    visits = profile.get("visits") or []
    spend = round(sum(v["spend"] for v in visits), 2)
    last = visits[-1]["business_date"] if visits else "无"
    return f"""客户（截至营业日 {profile["business_date"]}）：
{_json(profile["customer"])}
到店：最近 {len(visits)} 次，消费合计 {_fmt(spend)} 元，最近一次 {last}"""


def _staff_names(profile: dict[str, Any]) -> str:
    return "、".join(f"{s['name']}（{s['role']}）" for s in profile.get("staff") or []) or "未分配"


def _interactions(profile: dict[str, Any]) -> list[dict[str, Any]]:
    """Every follow-up and note on the customer's clues, by date, with the clue's category."""
    rows = [
        {
            "business_date": f["business_date"],
            "clue": r["clue"]["category"],
            **{k: f[k] for k in ("kind", "channel", "content")},
        }
        for r in profile.get("clues") or []
        for f in r["follow_ups"]
    ]
    return sorted(rows, key=lambda x: x["business_date"])


def relationship(data: i.CustomerRef, profile: dict[str, Any]) -> Prompt:
    """app4_relationship v2: from the customer profile the backend loaded (``customer_view``)."""
    text = f"""分析门店员工与这位客户的关系。
{_customer_facts(profile)}
负责员工：{_staff_names(profile)}
线索（{len(profile["clues"])} 条）：
{_rows([r["clue"] for r in profile["clues"]])}
互动记录（跟进与备注，按时间）：
{_rows(_interactions(profile))}

请给出 0–100 的关系评分、总结、亮点和下一步行动。
{JSON_ONLY}格式：{{"score": 70, "summary": "…", "highlights": ["…"], "next_actions": ["…"]}}"""
    return Prompt(text)


def tactics(data: i.TacticsInput, profile: dict[str, Any]) -> Prompt:
    """app5_tactics v2: the goal is also an app variable (``${goal}`` in the Bailian app); the clue is
    the one asked for, else the customer's newest."""
    records = profile.get("clues") or []
    focus = next(
        (r for r in records if r["clue"]["clue_id"] == data.clue_id), records[-1] if records else None
    )
    history = _interactions(profile)
    last = history[-1] if history else None
    text = f"""为下一次跟进准备沟通话术。
{_customer_facts(profile)}
负责员工：{_staff_names(profile)}
跟进的线索：{_json(focus["clue"]) if focus else "无"}
上次互动：{f"{last['business_date']} {last['content']}" if last else "无记录"}
本次目标：{data.goal}

请给出开场白、沟通要点和需要避免的说法。
{JSON_ONLY}格式：{{"openers": ["…"], "talking_points": ["…"], "avoid": ["…"]}}"""
    return Prompt(text, {"user_prompt_params": {"goal": data.goal}})


def note_analysis(data: i.NoteInput, _: Any = None) -> Prompt:
    """app6_note_analysis v1."""
    text = f"""从员工的工作笔记中提取客户线索。
笔记：
\"\"\"{data.note}\"\"\"

每条线索给出类别、内容和 0–1 的置信度；再判断整体情绪（positive / neutral / negative）并给出标签。
{JSON_ONLY}格式：{{"clues": [{{"category": "…", "content": "…", "confidence": 0.8}}], "sentiment": "neutral", "tags": ["…"]}}"""
    return Prompt(text)


def customer_insight(data: i.CustomerRef, profile: dict[str, Any]) -> Prompt:
    """app7_customer_insight v2: from the customer profile the backend loaded."""
    customer, purchases = profile["customer"], profile.get("purchases") or []
    total = round(sum(p["amount"] for p in purchases), 2)
    balance = customer.get("balance")
    text = f"""根据到店与消费记录判断客户分层和流失风险。
{_customer_facts(profile)}
入会日期：{customer["registered_date"]}；会员等级：{customer.get("member_level") or "非会员"}；储值余额：{"未知" if balance is None else _fmt(balance)}
到店记录：
{_rows(profile.get("visits") or [])}
消费明细（最近 {len(purchases)} 笔，合计 {_fmt(total)} 元）：
{_rows(purchases)}

{JSON_ONLY}格式：{{"segment": "…", "churn_risk": "medium", "reasons": ["…"], "recommendations": ["…"]}}"""
    return Prompt(text)


def clue_consolidation(data: i.CustomerRef, profile: dict[str, Any]) -> Prompt:
    """app8_clue_consolidation v2: every clue of the customer (newest MAX_CLUES) with its follow-ups."""
    clues = [{**r["clue"], "follow_ups": r["follow_ups"]} for r in profile.get("clues") or []]
    text = f"""合并并去重客户 {data.customer_id}（{profile["customer"]["name"]}）的线索（截至营业日 {profile["business_date"]}）。
线索列表（{len(clues)} 条，按时间，含跟进记录）：
{_rows(clues)}

把描述同一件事的线索合并为一条（保留最新、最完整的说法），统计去掉的重复条数，并写一句总结。
{JSON_ONLY}格式：{{"merged": [{{"category": "…", "content": "…", "confidence": 0.9}}], "removed_duplicates": 0, "summary": "…"}}"""
    return Prompt(text)
