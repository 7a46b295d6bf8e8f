"""Input models several apps share, and the base every input model derives from.

Every model forbids unknown keys (a typo is a 400, not a silently ignored field) and
none carries a site: the site always comes from the caller's token. An app's own input model
lives in its module (``catalogue/apps/``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RangeName = Literal[
    "today", "yesterday", "last_7_days", "this_week", "last_week", "this_month", "last_month", "last_30_days"
]

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class Input(BaseModel):
    # defer_build: a cold start builds only the schemas of the app it serves.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True, defer_build=True)


class FinanceFilter(Input):
    """app2_finance / app2a_finance_digest: one filter of the board's finance view."""

    range: RangeName = Field(title="时间范围", description="营业日范围；与上一同长度周期对比")
    area: str = Field(default="all", min_length=1, max_length=40, title="区域", description="all = 全部区域")


class CustomerRef(Input):
    """app4_relationship, app7_customer_insight, app8_clue_consolidation: which customer; the backend
    loads the customer, visits, purchases, clues with follow-ups and assigned staff from the venue
    data, never from the client."""

    customer_id: str = Field(pattern=ID_PATTERN, title="客户编号")
