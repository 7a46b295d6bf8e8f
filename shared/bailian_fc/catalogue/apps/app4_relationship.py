"""App4, the staff–customer relationship, from the customer's profile (``catalogue/customer.py``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..customer import customer_meta, customer_view, no_history
from ..inputs import CustomerRef
from ..outputs import Output
from ..prompts import JSON_ONLY, Prompt, customer_facts, interactions, rows, staff_names
from ..spec import AppSpec


class Relationship(Output):
    """app4_relationship: staff–customer relationship analysis."""

    score: int = Field(ge=0, le=100)
    summary: str = Field(min_length=1)
    highlights: list[str]
    next_actions: list[str]


def prompt(data: CustomerRef, profile: dict[str, Any]) -> Prompt:
    """app4_relationship v2: from the customer profile the backend loaded (``customer_view``)."""
    text = f"""分析门店员工与这位客户的关系。
{customer_facts(profile)}
负责员工：{staff_names(profile)}
线索（{len(profile["clues"])} 条）：
{rows([r["clue"] for r in profile["clues"]])}
互动记录（跟进与备注，按时间）：
{rows(interactions(profile))}

请给出 0–100 的关系评分、总结、亮点和下一步行动。
{JSON_ONLY}格式：{{"score": 70, "summary": "…", "highlights": ["…"], "next_actions": ["…"]}}"""
    return Prompt(text)


SPEC = AppSpec(
    "app4_relationship",
    "客情关系分析",
    "single",
    CustomerRef,
    Relationship,
    prompt,
    "v2",
    context=customer_view,
    meta=customer_meta,
    no_data=no_history,
)
