"""Input models: what each app accepts from the miniprogram or back office.

Every model forbids unknown keys (a typo is a 400, not a silently ignored field) and
none carries a site: the site always comes from the caller's token.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RangeName = Literal[
    "today", "yesterday", "last_7_days", "this_week", "last_week", "this_month", "last_month", "last_30_days"
]

Text = Field(min_length=1, max_length=500)


class _Input(BaseModel):
    # defer_build: a cold start builds only the schemas of the app it serves.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True, defer_build=True)


class FinanceFilter(_Input):
    """app2_finance / app2a_finance_digest: one filter of the board's finance view."""

    range: RangeName
    area: str = Field(default="all", min_length=1, max_length=40)


class ClueRef(_Input):
    """app3_clue_detail: which clue; the backend loads its full detail (customer, visits, spending,
    follow-ups and notes, assigned staff) from the venue data, never from the client."""

    clue_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class Customer(_Input):
    customer_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=40)
    member_level: str | None = Field(default=None, max_length=20)
    tags: list[str] = Field(default_factory=list, max_length=20)


class Interaction(_Input):
    at: dt.date
    channel: Literal["in_store", "wechat", "phone", "other"] = "in_store"
    summary: str = Text


class RelationshipInput(_Input):
    """app4_relationship: a customer and their history with the staff."""

    customer: Customer
    interactions: list[Interaction] = Field(min_length=1, max_length=100)


class TacticsInput(_Input):
    """app5_tactics: context and goal of the next follow-up."""

    customer: Customer
    goal: str = Field(min_length=1, max_length=200)
    last_interaction: str | None = Field(default=None, max_length=500)


class NoteInput(_Input):
    """app6_note_analysis: a staff member's free-text note."""

    note: str = Field(min_length=1, max_length=2000)


class Purchase(_Input):
    date: dt.date
    amount: float = Field(ge=0, le=1_000_000)
    category: Literal["table", "goods", "recharge", "coaching", "other"] = "table"


class ConsumptionInput(_Input):
    """app7_customer_insight: a customer's consumption history."""

    customer_id: str = Field(min_length=1, max_length=64)
    member_since: dt.date | None = None
    balance: float | None = Field(default=None, ge=0)
    purchases: list[Purchase] = Field(min_length=1, max_length=500)


class Lead(_Input):
    lead_id: str = Field(min_length=1, max_length=64)
    category: str = Field(min_length=1, max_length=40)
    content: str = Text
    created_at: dt.date
    source: str = Field(default="staff_note", max_length=40)


class LeadsInput(_Input):
    """app8_clue_consolidation: every lead recorded for one customer."""

    customer_id: str = Field(min_length=1, max_length=64)
    leads: list[Lead] = Field(min_length=1, max_length=50)
