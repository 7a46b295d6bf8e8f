"""App8, a customer's clues merged and deduplicated, from their profile (``catalogue/customer.py``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..customer import customer_meta, customer_view, no_history
from ..inputs import CustomerRef
from ..outputs import Clue, Output
from ..prompts import JSON_ONLY, Prompt, rows
from ..spec import AppSpec


class ClueConsolidation(Output):
    """app8_clue_consolidation: a customer's leads merged and deduplicated."""

    merged: list[Clue]
    removed_duplicates: int = Field(ge=0)
    summary: str = Field(min_length=1)


def prompt(data: CustomerRef, profile: dict[str, Any]) -> Prompt:
    """app8_clue_consolidation v2: every clue of the customer (newest MAX_CLUES) with its follow-ups."""
    clues = [{**r["clue"], "follow_ups": r["follow_ups"]} for r in profile.get("clues") or []]
    text = f"""合并并去重客户 {data.customer_id}（{profile["customer"]["name"]}）的线索（截至营业日 {profile["business_date"]}）。
线索列表（{len(clues)} 条，按时间，含跟进记录）：
{rows(clues)}

把描述同一件事的线索合并为一条（保留最新、最完整的说法），统计去掉的重复条数，并写一句总结。
{JSON_ONLY}格式：{{"merged": [{{"category": "…", "content": "…", "confidence": 0.9}}], "removed_duplicates": 0, "summary": "…"}}"""
    return Prompt(text)


SPEC = AppSpec(
    "app8_clue_consolidation",
    "线索合并去重",
    "single",
    CustomerRef,
    ClueConsolidation,
    prompt,
    "v2",
    context=customer_view,
    meta=customer_meta,
    no_data=no_history,
)
