"""App2a, a one-line board headline derived from App2's answer for the same filter, day and clock.

It reads no venue data itself: ``derives_from`` has the service resolve App2 first (usually a cache
hit) and hand its result over as this prompt's context."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..inputs import FinanceFilter
from ..outputs import Output
from ..prompts import JSON_ONLY, RANGE_LABELS, Prompt, json_block
from ..spec import MANAGERS, AppSpec


class FinanceDigest(Output):
    """app2a_finance_digest: one-line headline for the board."""

    headline: str = Field(min_length=1, max_length=200)
    tone: Literal["positive", "neutral", "negative"]


def prompt(data: FinanceFilter, insight: dict[str, Any]) -> Prompt:
    """app2a_finance_digest v1: one headline for the board, from App2's result for the same filter."""
    area = "全部区域" if data.area == "all" else data.area
    text = f"""以下是门店{RANGE_LABELS[data.range]}（{area}）的财务洞察：
{json_block(insight)}

请把它浓缩成一句不超过 40 个字的董事会标题，并判断整体基调（positive / neutral / negative）。
{JSON_ONLY}格式：{{"headline": "标题", "tone": "neutral"}}"""
    return Prompt(text)


SPEC = AppSpec(
    "app2a_finance_digest",
    "财务洞察一句话标题",
    "single",
    FinanceFilter,
    FinanceDigest,
    prompt,
    "v1",
    roles=MANAGERS,
    fresh_seconds=6 * 3600,
    derives_from="app2_finance",
)
