"""The figures and records a catalogue prompt carries, read back by the emulator's scripted replies.

A demo must never contradict itself: the board's digest cannot say 下降5% where the figures say +2.0 %,
and a clue of 罗先生 cannot talk about 陈先生. So the replies take names, signs and percentages from the
prompt the server built (``catalogue/prompts.py``); what a prompt does not carry stays ``None`` and the
reply falls back to its hashed variety.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NAME = re.compile(r'"name":\s*"([^"\n]{1,20})"')
_CONSOLIDATION_NAME = re.compile(r"合并并去重客户 [\w.-]+（([^）\n]{1,20})）")
_REVENUE_LINE = re.compile(r"- 营业收入（台费\+商品，元）：(-?[\d,]+(?:\.\d+)?)")
_REVENUE_CHANGE = re.compile(r"- 营业收入（台费\+商品，元）：-?[\d,.]+（([+-]\d+(?:\.\d+)?)%）")
_PERIOD = re.compile(r"(?:本期为|以下是门店)(近7天|近30天|今日|昨日|本周|上周|本月|上月)")
_DAYS = re.compile(r"本期有营业数据 (\d+) 天")
_AREA = re.compile(
    r"^- ([^：\n]{1,40})：营业收入 ([\d,]+(?:\.\d+)?) 元（(?:([+-]\d+(?:\.\d+)?)%|对比期为零)）", re.M
)
_GOAL = re.compile(r"本次目标：(.+)")
_NOTE = re.compile(r'笔记：\n"""(.*?)"""', re.S)
_VISITS = re.compile(r"最近 (\d+) 次，消费合计 ([\d,]+(?:\.\d+)?) 元")
_CLUE_ROW = re.compile(r'"category":\s*"([^"\n]+)",\s*"content":\s*"([^"\n]+)"')
_SUMMARY = re.compile(r'"summary":\s*"([^"\n]+)"')


def _number(text: str) -> float:
    return float(text.replace(",", ""))


@dataclass(frozen=True)
class AreaFigure:
    name: str
    revenue: float
    change_pct: float | None


@dataclass(frozen=True)
class PromptFacts:
    name: str | None = None  # the customer the prompt is about
    period: str | None = None  # 近7天, 本月 …
    days_with_data: int | None = None
    revenue: float | None = None  # the period's revenue (台费+商品)
    change_pct: float | None = None  # against the comparison period
    areas: tuple[AreaFigure, ...] = ()
    goal: str | None = None
    note: str | None = None
    visits: int | None = None
    spend: float | None = None
    clues: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (category, content), in order
    insight_summary: str | None = None  # App2's summary inside App2a's prompt


def facts_of(text: str) -> PromptFacts:
    """Everything a reply may quote from ``text``; absent facts are ``None`` / empty."""
    current = text.split("对比期汇总：", 1)[0]
    changes = text.split("变化（本期 − 对比期）：", 1)[1] if "变化（本期 − 对比期）：" in text else ""
    name = _CONSOLIDATION_NAME.search(text) or _NAME.search(text)
    revenue = _REVENUE_LINE.search(current) if "本期汇总：" in text else None
    change = _REVENUE_CHANGE.search(changes)
    period, days = _PERIOD.search(text), _DAYS.search(text)
    goal, note, visits = _GOAL.search(text), _NOTE.search(text), _VISITS.search(text)
    summary = _SUMMARY.search(text)
    areas = tuple(
        AreaFigure(m.group(1), _number(m.group(2)), float(m.group(3)) if m.group(3) else None)
        for m in _AREA.finditer(text)
    )
    return PromptFacts(
        name=name.group(1) if name else None,
        period=period.group(1) if period else None,
        days_with_data=int(days.group(1)) if days else None,
        revenue=_number(revenue.group(1)) if revenue else None,
        change_pct=float(change.group(1)) if change else None,
        areas=areas,
        goal=goal.group(1).strip() if goal else None,
        note=note.group(1).strip() if note else None,
        visits=int(visits.group(1)) if visits else None,
        spend=_number(visits.group(2)) if visits else None,
        # the answer format at the end of a prompt shows "…" placeholders: not records
        clues=tuple((m.group(1), m.group(2)) for m in _CLUE_ROW.finditer(text) if m.group(2) != "…"),
        insight_summary=summary.group(1) if summary else None,
    )


def trend_text(pct: float | None) -> str:
    """'环比增长2.0%' / '环比下降1.5%' / '与对比期持平' / '对比期无数据', with the prompt's own sign."""
    if pct is None:
        return "对比期无数据"
    if abs(pct) < 0.05:
        return "与对比期持平"
    return f"环比增长{pct:.1f}%" if pct > 0 else f"环比下降{-pct:.1f}%"


def yuan(value: float) -> str:
    return f"{value:,.0f}"
