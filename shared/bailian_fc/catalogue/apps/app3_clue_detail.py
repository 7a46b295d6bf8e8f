"""App3, a clue's full detail: its context is the clue with its customer, visits, spending,
follow-ups and assigned staff, loaded from the venue data (never from the client)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from ...errors import NotFound
from ..inputs import ID_PATTERN, Input
from ..outputs import Output
from ..prompts import JSON_ONLY, Prompt, fmt, json_block, rows
from ..spec import AppSpec, Sources

if TYPE_CHECKING:
    from ...clock import Reading


class ClueRef(Input):
    """app3_clue_detail: which clue; the backend loads its full detail (customer, visits, spending,
    follow-ups and notes, assigned staff) from the venue data, never from the client."""

    clue_id: str = Field(pattern=ID_PATTERN, title="线索编号")


class ClueDetail(Output):
    """app3_clue_detail: full detail of a customer lead."""

    profile_summary: str = Field(min_length=1)
    key_facts: list[str]
    intent_level: Literal["high", "medium", "low"]
    follow_ups: list[str]
    risk_flags: list[str] = []


def clue_view(sources: Sources, data: ClueRef, site_id: str, reading: Reading) -> dict[str, Any]:
    """The clue's full detail as of the reading's business date; a clue the site lacks is a 404."""
    today = reading.business_date
    detail = sources.venue.clue_detail(site_id, data.clue_id, upper_bound=today)
    if detail is None:
        raise NotFound(f"site {site_id} has no clue {data.clue_id!r}", code="ClueNotFound")
    return {"business_date": today.isoformat(), **detail.model_dump(mode="json", exclude={"site_id"})}


def meta(view: dict[str, Any]) -> dict[str, Any]:
    return {
        "business_date": view["business_date"],
        "clue_id": view["clue"]["clue_id"],
        "visits": len(view["visits"]),
        "follow_ups": len(view["follow_ups"]),
    }


def no_history(view: dict[str, Any]) -> bool:
    """A clue with no visit, purchase or follow-up yet: nothing beyond the clue itself to read."""
    return not (view["visits"] or view["purchases"] or view["follow_ups"])


def prompt(data: ClueRef, detail: dict[str, Any]) -> Prompt:
    """app3_clue_detail v2: from the clue detail the backend loaded (:func:`clue_view`)."""
    customer, staff = detail["customer"], detail.get("assigned_staff")
    visits, purchases = detail.get("visits") or [], detail.get("purchases") or []
    spend = round(sum(v["spend"] for v in visits), 2)
    text = f"""你是台球俱乐部的客户经理助手。根据下面的线索档案，整理这位客户的完整画像。
线索 {data.clue_id}（截至营业日 {detail["business_date"]}）：
{json_block(detail["clue"])}
客户：
{json_block(customer)}
负责员工：{f"{staff['name']}（{staff['role']}）" if staff else "未分配"}
到店记录（最近 {len(visits)} 次，消费合计 {fmt(spend)} 元）：
{rows(visits)}
消费明细（最近 {len(purchases)} 笔）：
{rows(purchases)}
跟进与备注（按时间）：
{rows(detail.get("follow_ups") or [])}

请给出：画像摘要、关键事实、意向等级（high / medium / low）、后续跟进动作、风险提示。
{JSON_ONLY}格式：
{{"profile_summary": "…", "key_facts": ["…"], "intent_level": "medium", "follow_ups": ["…"], "risk_flags": ["…"]}}"""
    return Prompt(text)


SPEC = AppSpec(
    "app3_clue_detail",
    "线索详情",
    "single",
    ClueRef,
    ClueDetail,
    prompt,
    "v2",
    context=clue_view,
    meta=meta,
    no_data=no_history,
)
