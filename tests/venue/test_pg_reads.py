"""The pickers' lists and the customer profiles (App4/5/7/8) on PostgreSQL under RLS give what the
embedded dataset gives: same pages walked to the end, same filters, same business-date bound,
never another site's rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pg_support import VenueDb

from bailian_fc.store import FileStore
from bailian_fc.venue.embedded import EmbeddedVenueData
from bailian_fc.venue.postgres import PostgresVenueData
from bailian_fc_tools.demo.finance import generate


@pytest.fixture
def embedded(venue_db: VenueDb, tmp_path: Any) -> EmbeddedVenueData:
    """The session database's demo sample, in the store-backed dataset."""
    store = FileStore(tmp_path / "store")
    generate(store, sites=3, days=60, end=venue_db.end, seed=7)
    return EmbeddedVenueData(store)


@pytest.fixture
def port(venue_db: VenueDb) -> Any:
    venue = PostgresVenueData(venue_db.reader_url)
    yield venue
    venue.close()


def walk(list_fn: Any, site: str, limit: int, **kw: Any) -> list[Any]:
    items: list[Any] = []
    after = ""
    for _ in range(100):
        page, last = list_fn(site, after=after, limit=limit, **kw)
        assert len(page) <= limit
        items += page
        if last is None:
            return items
        after = last
    raise AssertionError("never ended")


@pytest.mark.parametrize("limit", [1, 5, 100])
def test_clue_and_customer_lists_agree_with_the_embedded_dataset(
    venue_db: VenueDb, embedded: EmbeddedVenueData, port: Any, limit: int
) -> None:
    end = venue_db.end
    for upper in (end, end - dt.timedelta(days=30)):
        for site in ("site-001", "site-002"):
            pg = walk(port.clues, site, limit, upper_bound=upper)
            assert pg == walk(embedded.clues, site, limit, upper_bound=upper)
            assert pg and all(c.clue_id.startswith(f"cl-{site[-3:]}-") for c in pg)
            assert all(c.business_date <= upper for c in pg)
            assert [c.clue_id for c in pg] == sorted(c.clue_id for c in pg)
            customers = walk(port.customers, site, limit, upper_bound=upper)
            assert customers == walk(embedded.customers, site, limit, upper_bound=upper)
            assert all(c.registered_date <= upper for c in customers)
    full = walk(port.clues, "site-001", 100, upper_bound=end)
    assert len(full) == 12
    short = walk(port.clues, "site-001", 100, upper_bound=end - dt.timedelta(days=30))
    assert len(short) < len(full), "the bound hides the later clues"


def test_filters_agree_with_the_embedded_dataset(
    venue_db: VenueDb, embedded: EmbeddedVenueData, port: Any
) -> None:
    end = venue_db.end
    clues = walk(port.clues, "site-001", 100, upper_bound=end)
    customers = walk(port.customers, "site-001", 100, upper_bound=end)
    probes = {clues[0].customer_name, clues[0].category, clues[0].content[:4], "包厢", "没有这个"}
    for q in probes:
        for status in (None, "open", "following"):
            got = walk(port.clues, "site-001", 3, upper_bound=end, q=q, status=status)
            assert got == walk(embedded.clues, "site-001", 3, upper_bound=end, q=q, status=status)
            assert all(status in (None, c.status) for c in got)
    tails = {c.phone_tail[-2:] for c in customers if c.phone_tail} | {customers[0].name[:1], "12345"}
    for q in tails:
        got = walk(port.customers, "site-001", 2, upper_bound=end, q=q)
        assert got == walk(embedded.customers, "site-001", 2, upper_bound=end, q=q)
    assert walk(port.customers, "site-001", 5, upper_bound=end, q="12345") == []


def test_customer_profiles_agree_with_the_embedded_dataset(
    venue_db: VenueDb, embedded: EmbeddedVenueData, port: Any
) -> None:
    end = venue_db.end
    customers = walk(port.customers, "site-001", 100, upper_bound=end)
    assert customers
    several = 0
    for upper in (end, end - dt.timedelta(days=25)):
        for c in customers:
            pg = port.customer_profile("site-001", c.customer_id, upper_bound=upper)
            assert pg == embedded.customer_profile("site-001", c.customer_id, upper_bound=upper)
            if pg is None:
                assert c.registered_date > upper
                continue
            assert all(v.business_date <= upper for v in pg.visits)
            assert all(r.clue.business_date <= upper for r in pg.clues)
            assert all(r.clue.customer_id == c.customer_id for r in pg.clues)
            several += len(pg.clues) > 1
    assert several, "the demo sample has customers with more than one clue (App8's case)"
    assert port.customer_profile("site-002", customers[0].customer_id, upper_bound=end) is None
    assert port.customer_profile("site-001", "cu-404", upper_bound=end) is None
