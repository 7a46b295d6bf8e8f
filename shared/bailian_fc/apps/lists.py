"""``GET /apps/areas``, ``/apps/clues`` and ``/apps/customers``: what the miniprogram's pickers show.

Always the token's site, as the runtime clock's business date (a sandbox clock in the past hides
what came later, as it does for the apps), one bounded page at a time.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from ..venue.lists import MAX_LIMIT, ClueItem, ClueStatus, CustomerItem, decode_cursor, encode_cursor

if TYPE_CHECKING:
    from ..clock import SandboxClock
    from ..venue import VenueData

DEFAULT_LIMIT = 20
TEXT = r"^[^\x00-\x1f\x7f]+$"  # no control characters (PostgreSQL text cannot even hold NUL)
Cursor = Field(default=None, max_length=200, description="next_cursor of the previous page")
Limit = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="items per page")


class ClueQuery(BaseModel):
    status: ClueStatus | None = Field(default=None, description="only clues in this status")
    q: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=TEXT,
        description="in the content, category or customer name",
    )
    cursor: str | None = Cursor
    limit: int = Limit


class CustomerQuery(BaseModel):
    q: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=TEXT,
        description="in the name, or the phone number's last digits",
    )
    cursor: str | None = Cursor
    limit: int = Limit


class _Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site_id: str
    business_date: dt.date


class AreaList(_Reply):
    areas: list[str] = Field(description="area names of the site's latest day with data")


class CluePage(_Reply):
    items: list[ClueItem]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null: no more")


class CustomerPage(_Reply):
    items: list[CustomerItem]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null: no more")


class Lists:
    def __init__(self, venue: VenueData, clock: SandboxClock) -> None:
        self.venue = venue
        self.clock = clock

    def areas(self, site_id: str) -> AreaList:
        today = self.clock.business_date(site_id)
        return AreaList(
            site_id=site_id, business_date=today, areas=self.venue.areas(site_id, upper_bound=today)
        )

    def clues(self, site_id: str, q: ClueQuery) -> CluePage:
        after = decode_cursor(q.cursor)
        today = self.clock.business_date(site_id)
        items, last = self.venue.clues(
            site_id, upper_bound=today, status=q.status, q=q.q, after=after, limit=q.limit
        )
        return CluePage(site_id=site_id, business_date=today, items=items, next_cursor=encode_cursor(last))

    def customers(self, site_id: str, q: CustomerQuery) -> CustomerPage:
        after = decode_cursor(q.cursor)
        today = self.clock.business_date(site_id)
        items, last = self.venue.customers(site_id, upper_bound=today, q=q.q, after=after, limit=q.limit)
        return CustomerPage(
            site_id=site_id, business_date=today, items=items, next_cursor=encode_cursor(last)
        )
