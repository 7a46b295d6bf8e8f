"""The data-source port: what the apps and the prewarm read about a venue.

Two adapters: :class:`~.embedded.EmbeddedVenueData` (the store-backed dataset, the default) and
:class:`~.postgres.PostgresVenueData` (the venue's DWS behind RLS). Every read takes the site
(from the caller's token) and the business-date upper bound (from the runtime clock, sandbox
included); neither adapter returns a row of another site or after the bound.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from .finance import FinanceRow
from .lists import ClueItem, CustomerItem
from .models import ClueDetail, CustomerProfile


class VenueData(Protocol):
    kind: str  # "embedded" | "postgresql"

    def sites(self) -> list[str]:
        """Sites with finance data (the prewarm's discovery)."""
        ...

    def areas(self, site_id: str, *, upper_bound: date) -> list[str]:
        """Area names of the site's most recent day with data, not after ``upper_bound``."""
        ...

    def read(self, site_id: str, start: date, end: date, *, upper_bound: date) -> list[FinanceRow]:
        """Finance rows of ``start..end`` ∩ ``..upper_bound``, ordered by (date, area)."""
        ...

    def clue_detail(self, site_id: str, clue_id: str, *, upper_bound: date) -> ClueDetail | None:
        """The clue as the backend assembles it, or None when the site has no such clue by then."""
        ...

    def customer_profile(
        self, site_id: str, customer_id: str, *, upper_bound: date
    ) -> CustomerProfile | None:
        """The customer with visits, purchases, clues (with follow-ups) and their staff, as of
        ``upper_bound``; None when the site has no such customer by then."""
        ...

    def clues(
        self,
        site_id: str,
        *,
        upper_bound: date,
        status: str | None = None,
        q: str | None = None,
        after: str = "",
        limit: int,
    ) -> tuple[list[ClueItem], str | None]:
        """Up to ``limit`` of the site's clues by then, after the clue id ``after``, in id order, matching
        :func:`~.lists.clue_matches`; and the id a next page starts after (None: there is none)."""
        ...

    def customers(
        self, site_id: str, *, upper_bound: date, q: str | None = None, after: str = "", limit: int
    ) -> tuple[list[CustomerItem], str | None]:
        """As :meth:`clues`, for the customers registered by then (:func:`~.lists.customer_matches`)."""
        ...

    def close(self) -> None: ...
