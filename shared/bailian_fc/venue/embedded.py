"""The embedded adapter: the store-backed dataset (``finance/…`` day documents, ``clues/…``).

``bailian-fc dev`` and deployments without a DWS use it; ``demo-data`` fills it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

from ..clock import check_site_id
from ..store import Store
from .finance import FinanceRow, FinanceStore
from .models import ClueDetail


def clue_key(site_id: str, clue_id: str) -> str:
    return f"clues/{check_site_id(site_id)}/{check_site_id(clue_id)}.json"


class EmbeddedVenueData:
    kind = "embedded"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.finance = FinanceStore(store)

    def sites(self, *, upper_bound: date | None = None) -> list[str]:
        return self.finance.sites()  # every site the store holds: no row is read, so none leaks

    def login_verdict(self) -> str:
        return "embedded"

    def areas(self, site_id: str, *, upper_bound: date) -> list[str]:
        return self.finance.areas(site_id, upper_bound=upper_bound)

    def read(self, site_id: str, start: date, end: date, *, upper_bound: date) -> list[FinanceRow]:
        return self.finance.read(site_id, start, end, upper_bound=upper_bound)

    def clue_detail(self, site_id: str, clue_id: str, *, upper_bound: date) -> ClueDetail | None:
        doc = self.store.get_json(clue_key(site_id, clue_id))
        if not isinstance(doc, dict) or doc.get("site_id") != site_id:
            return None
        return ClueDetail.model_validate(doc).bounded(upper_bound)

    def write_clue(self, detail: ClueDetail) -> None:
        self.store.put_json(clue_key(detail.site_id, detail.clue.clue_id), detail.model_dump(mode="json"))

    def close(self) -> None:
        """The store belongs to the runtime, which closes it."""


class StoreWriter:
    """``demo-data`` into the store: one document per site-day (written by a small pool: on an
    object store each is one PUT) and one per clue."""

    def __init__(self, store: Store) -> None:
        self.venue = EmbeddedVenueData(store)

    def write_site(
        self, site_id: str, days: list[tuple[date, list[FinanceRow]]], clues: list[ClueDetail]
    ) -> None:
        finance = self.venue.finance
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda item: finance.write_day(site_id, item[0], item[1]), days))
            list(pool.map(self.venue.write_clue, clues))
