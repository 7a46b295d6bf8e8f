"""Input models: what each app accepts from the miniprogram or back office.

Every model forbids unknown keys (a typo is a 400, not a silently ignored field) and
none carries a site: the site always comes from the caller's token.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RangeName = Literal[
    "today", "yesterday", "last_7_days", "this_week", "last_week", "this_month", "last_month", "last_30_days"
]

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


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

    clue_id: str = Field(pattern=ID_PATTERN)


class CustomerRef(_Input):
    """app4_relationship, app7_customer_insight, app8_clue_consolidation: which customer; the backend
    loads the customer, visits, purchases, clues with follow-ups and assigned staff from the venue
    data, never from the client."""

    customer_id: str = Field(pattern=ID_PATTERN)


class TacticsInput(_Input):
    """app5_tactics: the customer (loaded server-side as for CustomerRef), the goal of the next
    follow-up and, optionally, the clue it is about (one of the customer's clues)."""

    customer_id: str = Field(pattern=ID_PATTERN)
    goal: str = Field(min_length=1, max_length=200)
    clue_id: str | None = Field(default=None, pattern=ID_PATTERN)


class NoteInput(_Input):
    """app6_note_analysis: a staff member's free-text note."""

    note: str = Field(min_length=1, max_length=2000)
