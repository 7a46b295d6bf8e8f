"""App5, follow-up tactics for a customer and a goal (optionally about one of their clues), from
the customer's profile (``catalogue/customer.py``; a clue the customer lacks is a 404)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..customer import customer_meta, customer_view
from ..inputs import ID_PATTERN, Input
from ..outputs import Output
from ..prompts import JSON_ONLY, Prompt, customer_facts, interactions, json_block, staff_names
from ..spec import AppSpec


class TacticsInput(Input):
    """app5_tactics: the customer (loaded server-side as for CustomerRef), the goal of the next
    follow-up and, optionally, the clue it is about (one of the customer's clues)."""

    customer_id: str = Field(pattern=ID_PATTERN, title="客户编号")
    goal: str = Field(min_length=1, max_length=200, title="跟进目标")
    clue_id: str | None = Field(default=None, pattern=ID_PATTERN, title="线索编号（可选）")


class Tactics(Output):
    """app5_tactics: conversation tactics for a follow-up."""

    openers: list[str] = Field(min_length=1)
    talking_points: list[str]
    avoid: list[str] = []


def prompt(data: TacticsInput, profile: dict[str, Any]) -> Prompt:
    """app5_tactics v2: the goal is also an app variable (``${goal}`` in the Bailian app); the clue is
    the one asked for, else the customer's newest."""
    records = profile.get("clues") or []
    focus = next(
        (r for r in records if r["clue"]["clue_id"] == data.clue_id), records[-1] if records else None
    )
    history = interactions(profile)
    last = history[-1] if history else None
    text = f"""为下一次跟进准备沟通话术。
{customer_facts(profile)}
负责员工：{staff_names(profile)}
跟进的线索：{json_block(focus["clue"]) if focus else "无"}
上次互动：{f"{last['business_date']} {last['content']}" if last else "无记录"}
本次目标：{data.goal}

请给出开场白、沟通要点和需要避免的说法。
{JSON_ONLY}格式：{{"openers": ["…"], "talking_points": ["…"], "avoid": ["…"]}}"""
    return Prompt(text, {"user_prompt_params": {"goal": data.goal}})


SPEC = AppSpec(
    "app5_tactics",
    "跟进话术",
    "single",
    TacticsInput,
    Tactics,
    prompt,
    "v2",
    context=customer_view,
    meta=customer_meta,
)
