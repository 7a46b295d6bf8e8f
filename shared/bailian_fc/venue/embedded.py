"""The embedded adapter: the store-backed dataset (``finance/…`` day documents, ``clues/…`` and
``customers/…`` documents, one per clue and per customer).

``bailian-fc dev`` and deployments without a DWS use it; ``demo-data`` fills it. A list page reads
at most :data:`SCAN_BUDGET` documents, whatever the site's history: when a filter matches little,
the page comes back short with a cursor to go on from (the client asks again).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from typing import Any, TypeVar

from ..clock import check_site_id
from ..store import Store
from .finance import FinanceRow, FinanceStore
from .lists import ClueItem, CustomerItem, clue_item, clue_matches, customer_item, customer_matches
from .models import MAX_CLUES, ClueDetail, ClueRecord, CustomerDetail, CustomerProfile

T = TypeVar("T")

SCAN_BUDGET = 200  # documents one list page may read
PROFILE_CLUE_READS = 4 * MAX_CLUES  # a customer's newest clue documents a profile reads, at most
_POOL = 8  # parallel GETs: on an object store each document is one round trip

Page = tuple[list[T], str | None]


def clue_key(site_id: str, clue_id: str) -> str:
    return f"clues/{check_site_id(site_id)}/{check_site_id(clue_id)}.json"


def customer_key(site_id: str, customer_id: str) -> str:
    return f"customers/{check_site_id(site_id)}/{check_site_id(customer_id)}.json"


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

    def customer_detail(self, site_id: str, customer_id: str, *, upper_bound: date) -> CustomerDetail | None:
        doc = self.store.get_json(customer_key(site_id, customer_id))
        if not isinstance(doc, dict) or doc.get("site_id") != site_id:
            return None
        return CustomerDetail.model_validate(doc).bounded(upper_bound)

    def customer_profile(
        self, site_id: str, customer_id: str, *, upper_bound: date
    ) -> CustomerProfile | None:
        detail = self.customer_detail(site_id, customer_id, upper_bound=upper_bound)
        if detail is None:
            return None
        ids = sorted(detail.clue_ids)[-PROFILE_CLUE_READS:]
        with ThreadPoolExecutor(max_workers=_POOL) as pool:
            loaded = list(pool.map(lambda c: self.clue_detail(site_id, c, upper_bound=upper_bound), ids))
        clues = sorted(
            (d for d in loaded if d is not None and d.clue.customer_id == customer_id),
            key=lambda d: (d.clue.business_date, d.clue.clue_id),
        )[-MAX_CLUES:]
        staff = {d.assigned_staff.staff_id: d.assigned_staff for d in clues if d.assigned_staff}
        return CustomerProfile(
            site_id=site_id,
            customer=detail.customer,
            visits=detail.visits,
            purchases=detail.purchases,
            clues=[ClueRecord(clue=d.clue, follow_ups=d.follow_ups) for d in clues],
            staff=[staff[k] for k in sorted(staff)],
        )

    def clues(
        self,
        site_id: str,
        *,
        upper_bound: date,
        status: str | None = None,
        q: str | None = None,
        after: str = "",
        limit: int,
    ) -> Page[ClueItem]:
        def item(doc: Any) -> ClueItem | None:
            if not isinstance(doc, dict) or doc.get("site_id") != site_id:
                return None
            detail = ClueDetail.model_validate(doc).bounded(upper_bound)
            if detail is None:
                return None
            found = clue_item(detail.clue, detail.customer)
            return found if clue_matches(found, status, q) else None

        return self._page(f"clues/{check_site_id(site_id)}/", after, limit, item)

    def customers(
        self, site_id: str, *, upper_bound: date, q: str | None = None, after: str = "", limit: int
    ) -> Page[CustomerItem]:
        def item(doc: Any) -> CustomerItem | None:
            if not isinstance(doc, dict) or doc.get("site_id") != site_id:
                return None
            detail = CustomerDetail.model_validate(doc).bounded(upper_bound)
            if detail is None:
                return None
            found = customer_item(detail.customer)
            return found if customer_matches(found, q) else None

        return self._page(f"customers/{check_site_id(site_id)}/", after, limit, item)

    def _page(self, prefix: str, after: str, limit: int, item: Callable[[Any], T | None]) -> Page[T]:
        """Up to ``limit`` matches after the id ``after``, reading at most SCAN_BUDGET documents; the
        second value is the id to continue after (None: nothing further)."""
        start = f"{prefix}{check_site_id(after)}.json" if after else ""
        keys = self.store.list_page(prefix, start_after=start, limit=SCAN_BUDGET + 1)
        more = len(keys) > SCAN_BUDGET
        keys = keys[:SCAN_BUDGET]
        found: list[T] = []
        with ThreadPoolExecutor(max_workers=_POOL) as pool:
            for offset in range(0, len(keys), _POOL):
                batch = keys[offset : offset + _POOL]
                for key, doc in zip(batch, pool.map(self.store.get_json, batch), strict=True):
                    got = item(doc)
                    if got is None:
                        continue
                    found.append(got)
                    if len(found) == limit:
                        last = key is not keys[-1] or more
                        return found, (_id_of(key) if last else None)
        return found, (_id_of(keys[-1]) if more and keys else None)

    def write_customer(self, detail: CustomerDetail) -> None:
        self.store.put_json(
            customer_key(detail.site_id, detail.customer.customer_id), detail.model_dump(mode="json")
        )

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
            list(
                pool.map(
                    lambda item: finance.write_day(
                        site_id, item[0], item[1], loaded_at=demo_loaded_at(item[0])
                    ),
                    days,
                )
            )
            list(pool.map(self.venue.write_clue, clues))
            list(pool.map(self.venue.write_customer, customers_of(clues)))


def demo_loaded_at(d: date) -> datetime:
    """When the demo says a day was loaded: 18:00 UTC (02:00 the next morning in Asia/Shanghai, the
    last ETL load of the day), so generated data is deterministic and carries a load time."""
    return datetime(d.year, d.month, d.day, 18, 0, tzinfo=timezone.utc)


def _id_of(key: str) -> str:
    return key.rsplit("/", 1)[-1].removesuffix(".json")


def customers_of(clues: list[ClueDetail]) -> list[CustomerDetail]:
    """Each clue's customer once, with the visits and purchases the clue detail carries."""
    seen: dict[str, CustomerDetail] = {}
    clue_ids: dict[str, list[str]] = {}
    for d in clues:
        seen.setdefault(
            d.customer.customer_id,
            CustomerDetail(site_id=d.site_id, customer=d.customer, visits=d.visits, purchases=d.purchases),
        )
        clue_ids.setdefault(d.customer.customer_id, []).append(d.clue.clue_id)
    return [c.model_copy(update={"clue_ids": sorted(clue_ids[k])}) for k, c in seen.items()]
