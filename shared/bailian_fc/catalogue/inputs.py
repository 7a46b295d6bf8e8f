"""Input models: what each app accepts from the miniprogram or back office.

Every model forbids unknown keys (a typo is a 400, not a silently ignored field) and
none carries a site: the site always comes from the caller's token.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RangeName = Literal[
    "today", "yesterday", "last_7_days", "this_week", "last_week", "this_month", "last_month", "last_30_days"
]


def _text(title: str) -> Any:
    """A required short text (1–500 characters) with its Chinese label."""
    return Field(min_length=1, max_length=500, title=title)


class _Input(BaseModel):
    # defer_build: a cold start builds only the schemas of the app it serves.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True, defer_build=True)


class FinanceFilter(_Input):
    """app2_finance / app2a_finance_digest: one filter of the board's finance view."""

    range: RangeName = Field(title="时间范围", description="营业日范围；与上一同长度周期对比")
    area: str = Field(default="all", min_length=1, max_length=40, title="区域", description="all = 全部区域")


class ClueRef(_Input):
    """app3_clue_detail: which clue; the backend loads its full detail (customer, visits, spending,
    follow-ups and notes, assigned staff) from the venue data, never from the client."""

    clue_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", title="线索编号")


class Customer(_Input):
    customer_id: str = Field(min_length=1, max_length=64, title="客户编号")
    name: str = Field(min_length=1, max_length=40, title="姓名")
    member_level: str | None = Field(default=None, max_length=20, title="会员等级")
    tags: list[str] = Field(default_factory=list, max_length=20, title="标签")


class Interaction(_Input):
    at: dt.date = Field(title="日期")
    channel: Literal["in_store", "wechat", "phone", "other"] = Field(default="in_store", title="渠道")
    summary: str = _text("内容摘要")


class RelationshipInput(_Input):
    """app4_relationship: a customer and their history with the staff."""

    customer: Customer = Field(title="客户")
    interactions: list[Interaction] = Field(min_length=1, max_length=100, title="互动记录")


class TacticsInput(_Input):
    """app5_tactics: context and goal of the next follow-up."""

    customer: Customer = Field(title="客户")
    goal: str = Field(min_length=1, max_length=200, title="跟进目标")
    last_interaction: str | None = Field(default=None, max_length=500, title="上次互动")


class NoteInput(_Input):
    """app6_note_analysis: a staff member's free-text note."""

    note: str = Field(min_length=1, max_length=2000, title="员工笔记")


class Purchase(_Input):
    date: dt.date = Field(title="日期")
    amount: float = Field(ge=0, le=1_000_000, title="金额（元）")
    category: Literal["table", "goods", "recharge", "coaching", "other"] = Field(
        default="table", title="类别"
    )


class ConsumptionInput(_Input):
    """app7_customer_insight: a customer's consumption history."""

    customer_id: str = Field(min_length=1, max_length=64, title="客户编号")
    member_since: dt.date | None = Field(default=None, title="入会日期")
    balance: float | None = Field(default=None, ge=0, title="余额（元）")
    purchases: list[Purchase] = Field(min_length=1, max_length=500, title="消费记录")


class Lead(_Input):
    lead_id: str = Field(min_length=1, max_length=64, title="线索编号")
    category: str = Field(min_length=1, max_length=40, title="类别")
    content: str = _text("内容")
    created_at: dt.date = Field(title="记录日期")
    source: str = Field(default="staff_note", max_length=40, title="来源")


class LeadsInput(_Input):
    """app8_clue_consolidation: every lead recorded for one customer."""

    customer_id: str = Field(min_length=1, max_length=64, title="客户编号")
    leads: list[Lead] = Field(min_length=1, max_length=50, title="线索")
