"""App2 ranges, the finance dataset (upper bound, summaries) and the demo data generator."""

from __future__ import annotations

import calendar
import json
import statistics
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bailian_fc.clock import BusinessCalendar, SandboxClock, SandboxContext
from bailian_fc.settings import get_settings
from bailian_fc.store import FileStore
from bailian_fc.venue.finance import FinanceRow, FinanceStore, compare, summarize
from bailian_fc.venue.ranges import RANGES, Period, previous_period, resolve_range
from bailian_fc_tools.demo import finance as demo

SH = ZoneInfo("Asia/Shanghai")
DEMO_END = date(2024, 6, 30)  # a Sunday
DAY_RANGES = [r for r in RANGES if r not in ("this_month", "last_month")]


def P(start: str, end: str) -> tuple[date, date]:
    return date.fromisoformat(start), date.fromisoformat(end)


def span(period: Period) -> tuple[date, date]:
    return period.start, period.end


# -- ranges ----------------------------------------------------------------------------------------


def test_ranges_on_a_wednesday() -> None:
    today = date(2024, 6, 12)  # Wednesday
    assert span(resolve_range("today", today)) == P("2024-06-12", "2024-06-12")
    assert span(resolve_range("yesterday", today)) == P("2024-06-11", "2024-06-11")
    assert span(resolve_range("last_7_days", today)) == P("2024-06-06", "2024-06-12")
    assert span(resolve_range("last_30_days", today)) == P("2024-05-14", "2024-06-12")
    assert span(resolve_range("this_week", today)) == P("2024-06-10", "2024-06-12")
    assert span(resolve_range("last_week", today)) == P("2024-06-03", "2024-06-09")
    assert span(resolve_range("this_month", today)) == P("2024-06-01", "2024-06-12")
    assert span(resolve_range("last_month", today)) == P("2024-05-01", "2024-05-31")


def test_week_boundaries() -> None:
    monday, sunday = date(2024, 6, 10), date(2024, 6, 16)
    assert span(resolve_range("this_week", monday)) == P("2024-06-10", "2024-06-10")
    assert span(resolve_range("last_week", monday)) == P("2024-06-03", "2024-06-09")
    assert span(resolve_range("this_week", sunday)) == P("2024-06-10", "2024-06-16")
    assert span(resolve_range("last_week", sunday)) == P("2024-06-03", "2024-06-09")
    assert span(previous_period(resolve_range("this_week", monday))) == P("2024-06-09", "2024-06-09")
    # A week across a year end.
    assert span(resolve_range("last_week", date(2025, 1, 2))) == P("2024-12-23", "2024-12-29")


def test_month_ends() -> None:
    jan31 = date(2025, 1, 31)
    assert span(resolve_range("last_month", jan31)) == P("2024-12-01", "2024-12-31")
    assert span(previous_period(resolve_range("last_month", jan31))) == P("2024-11-01", "2024-11-30")
    assert span(resolve_range("this_month", jan31)) == P("2025-01-01", "2025-01-31")
    assert span(previous_period(resolve_range("this_month", jan31))) == P("2024-12-01", "2024-12-31")


@pytest.mark.parametrize(("year", "feb_end"), [(2024, 29), (2023, 28), (2100, 28), (2000, 29)])
def test_march_first_in_leap_and_common_years(year: int, feb_end: int) -> None:
    mar1 = date(year, 3, 1)
    last_month = resolve_range("last_month", mar1)
    assert span(last_month) == (date(year, 2, 1), date(year, 2, feb_end))
    assert span(previous_period(last_month)) == (date(year, 1, 1), date(year, 1, 31))  # whole January
    this_month = resolve_range("this_month", mar1)
    assert span(this_month) == (mar1, mar1)
    assert span(previous_period(this_month)) == (date(year, 2, 1), date(year, 2, 1))
    assert span(resolve_range("yesterday", mar1)) == (date(year, 2, feb_end),) * 2


@pytest.mark.parametrize(
    ("last_day", "compared"),
    [
        ("2024-02-29", P("2024-01-01", "2024-01-29")),  # not the whole of January
        ("2023-02-28", P("2023-01-01", "2023-01-28")),
        ("2024-04-30", P("2024-03-01", "2024-03-30")),  # not March 31
        ("2024-03-31", P("2024-02-01", "2024-02-29")),  # clipped to February's end
    ],
)
def test_this_month_on_its_last_day_compares_days_one_to_n(last_day: str, compared: Any) -> None:
    """docs/apps.md: this_month (days 1..N) compares with days 1..N of last month, on the last day too;
    last_month on the same day still compares whole months."""
    today = date.fromisoformat(last_day)
    assert span(previous_period(resolve_range("this_month", today))) == compared
    whole = resolve_range("last_month", today + timedelta(days=1))
    assert span(whole) == (today.replace(day=1), today)
    assert previous_period(whole).end.day == calendar.monthrange(*_before(today))[1]


def _before(d: date) -> tuple[int, int]:
    first = d.replace(day=1) - timedelta(days=1)
    return first.year, first.month


def test_this_month_previous_is_clipped_to_the_previous_month() -> None:
    assert span(previous_period(resolve_range("this_month", date(2023, 3, 30)))) == P(
        "2023-02-01", "2023-02-28"
    )
    assert span(previous_period(resolve_range("this_month", date(2024, 5, 31)))) == P(
        "2024-04-01", "2024-04-30"
    )
    assert span(previous_period(resolve_range("this_month", date(2024, 5, 15)))) == P(
        "2024-04-01", "2024-04-15"
    )
    assert span(previous_period(resolve_range("this_month", date(2024, 1, 10)))) == P(
        "2023-12-01", "2023-12-10"
    )


def test_day_start_boundary_decides_today() -> None:
    """07:59 in Shanghai on March 1 is still February 29's business day; 08:00 is March 1's."""
    cal = BusinessCalendar("Asia/Shanghai", "08:00")
    before = cal.business_date(datetime(2024, 3, 1, 7, 59, tzinfo=SH))
    at = cal.business_date(datetime(2024, 3, 1, 8, 0, tzinfo=SH))
    assert span(resolve_range("today", before)) == P("2024-02-29", "2024-02-29")
    assert span(resolve_range("this_month", before)) == P("2024-02-01", "2024-02-29")
    assert span(resolve_range("last_month", before)) == P("2024-01-01", "2024-01-31")
    assert span(resolve_range("today", at)) == P("2024-03-01", "2024-03-01")
    assert span(resolve_range("last_month", at)) == P("2024-02-01", "2024-02-29")


def test_unknown_range_and_bad_today() -> None:
    with pytest.raises(ValueError, match="unknown range"):
        resolve_range("last_year", date(2024, 1, 1))
    with pytest.raises(TypeError):
        resolve_range("today", datetime(2024, 1, 1, tzinfo=timezone.utc))


def test_period_json_form() -> None:
    assert resolve_range("last_7_days", date(2024, 6, 12)).as_dict() == {
        "start": "2024-06-06",
        "end": "2024-06-12",
        "days": 7,
    }


dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))


@settings(max_examples=300, deadline=None)
@given(today=dates, name=st.sampled_from(DAY_RANGES))
def test_day_range_invariants(today: date, name: str) -> None:
    current = resolve_range(name, today)
    previous = previous_period(current)
    assert current.end <= today
    assert previous.days == current.days
    assert previous.end == current.start - timedelta(days=1)


@settings(max_examples=300, deadline=None)
@given(today=dates, name=st.sampled_from(["this_month", "last_month"]))
def test_month_range_invariants(today: date, name: str) -> None:
    current = resolve_range(name, today)
    previous = previous_period(current)
    assert current.end <= today
    assert current.start.day == 1 and previous.start.day == 1
    assert previous.end < current.start
    assert (previous.start.year, previous.start.month) == (previous.end.year, previous.end.month)
    assert (previous.end + timedelta(days=1)).day == 1 or previous.days == current.days
    assert previous.days <= max(current.days, 31)
    if name == "last_month":
        assert (previous.end + timedelta(days=1)) == current.start  # whole month before


# -- the dataset -----------------------------------------------------------------------------------


def row(d: str, area: str, site: str = "site-001", **metrics: Any) -> FinanceRow:
    values: dict[str, Any] = {
        "table_revenue": 0,
        "goods_revenue": 0,
        "recharge": 0,
        "consumption": 0,
        "discount": 0,
        "table_hours": 0.0,
        "orders": 0,
        "customers": 0,
    }
    values.update(metrics)
    return FinanceRow(site_id=site, business_date=date.fromisoformat(d), area=area, **values)


HAND_MADE = [
    row(
        "2024-06-01",
        "大厅",
        table_revenue=1000.10,
        goods_revenue=200,
        recharge=500,
        consumption=300,
        discount=50.05,
        table_hours=25.5,
        orders=10,
        customers=20,
    ),
    row(
        "2024-06-01",
        "VIP房",
        table_revenue=2000,
        goods_revenue=0.2,
        recharge=0,
        consumption=1000,
        discount=100,
        table_hours=16,
        orders=4,
        customers=9,
    ),
    row(
        "2024-06-02",
        "大厅",
        table_revenue=1500,
        goods_revenue=300,
        recharge=1000,
        consumption=400,
        discount=0,
        table_hours=30,
        orders=12,
        customers=25,
    ),
]


def test_row_validation() -> None:
    assert row("2024-06-01", "a", table_revenue=12.345).table_revenue == Decimal("12.35")
    assert row("2024-06-01", "a", discount=0.1 + 0.2).discount == Decimal("0.30")
    for bad in ({"table_revenue": -1}, {"orders": -1}, {"table_hours": float("inf")}, {"recharge": "NaN"}):
        with pytest.raises(ValidationError):
            row("2024-06-01", "a", **bad)
    with pytest.raises(ValidationError):
        row("2024-06-01", "all")  # reserved for the roll-up
    with pytest.raises(ValidationError):
        row("2024-06-01", "a", site="../x")


def test_summarize_all_and_one_area() -> None:
    summary = summarize(HAND_MADE, "all")
    assert summary["area"] == "all"
    assert summary["days_with_data"] == 2
    assert summary["totals"] == {
        "table_revenue": 4500.10,
        "goods_revenue": 500.20,
        "recharge": 1500.0,
        "consumption": 1700.0,
        "discount": 150.05,
        "table_hours": 71.5,
        "orders": 26,
        "customers": 54,
        "revenue": 5000.30,
        "avg_order_value": 192.32,
        "table_revenue_per_hour": 62.94,
    }
    assert [a["area"] for a in summary["areas"]] == ["VIP房", "大厅"]
    hall = summarize(HAND_MADE, "大厅")
    assert "areas" not in hall
    assert hall["totals"]["table_revenue"] == 2500.10
    assert hall["totals"]["orders"] == 22
    assert summary["areas"][1] == {"area": "大厅", **hall["totals"]}
    json.dumps(summary)  # JSON-friendly as is


def test_summarize_empty_has_no_ratios() -> None:
    empty = summarize([], "大厅")
    assert empty["days_with_data"] == 0
    assert empty["totals"]["revenue"] == 0.0
    assert empty["totals"]["avg_order_value"] is None
    assert empty["totals"]["table_revenue_per_hour"] is None


def test_compare_changes_and_zero_bases() -> None:
    current = summarize(HAND_MADE, "all")
    previous = summarize([HAND_MADE[0]], "all")
    changes = compare(current, previous)
    assert changes["metrics"]["table_revenue"] == {
        "current": 4500.10,
        "previous": 1000.10,
        "change": 3500.0,
        "change_pct": 350.0,
    }
    assert changes["metrics"]["orders"] == {"current": 26, "previous": 10, "change": 16, "change_pct": 160.0}
    # VIP房 had nothing before: a change but no percentage.
    assert changes["areas"]["VIP房"]["revenue"] == {
        "current": 2000.2,
        "previous": 0.0,
        "change": 2000.2,
        "change_pct": None,
    }
    nothing = compare(summarize([], "all"), summarize([], "all"))
    assert nothing["metrics"]["revenue"]["change_pct"] == 0.0
    assert nothing["metrics"]["avg_order_value"]["change"] is None
    json.dumps(changes)


@pytest.fixture
def finance(tmp_path: Path) -> FinanceStore:
    return FinanceStore(FileStore(tmp_path))


def test_write_day_replaces_and_checks_rows(finance: FinanceStore) -> None:
    d = date(2024, 6, 1)
    finance.write_day("site-001", d, HAND_MADE[:2])
    finance.write_day("site-001", d, [HAND_MADE[0]])  # an ETL re-run of the day
    got = finance.read("site-001", d, d, upper_bound=d)
    assert [r.model_copy(update={"loaded_at": None}) for r in got] == [HAND_MADE[0]]
    assert got[0].loaded_at is not None  # the day document says when it was loaded
    with pytest.raises(ValueError):
        finance.write_day("site-002", d, [HAND_MADE[0]])
    with pytest.raises(ValueError):
        finance.write_day("site-001", date(2024, 6, 2), [HAND_MADE[0]])
    with pytest.raises(ValueError):
        finance.write_day("site-001", d, [HAND_MADE[0], HAND_MADE[0]])
    doc = finance.store.get_json("finance/site-001/2024-06-01.json")
    assert doc["rows"][0]["table_revenue"] == 1000.1  # money is a JSON number


def test_sites_and_areas(finance: FinanceStore) -> None:
    for site in ("site-0010", "site-001", "a"):
        finance.write_day(site, date(2024, 6, 1), [row("2024-06-01", "大厅", site=site)])
    finance.write_day("site-001", date(2024, 6, 2), [row("2024-06-02", x) for x in ("VIP房", "夜场区")])
    finance.store.put("finance/stray.txt", b"not a site")
    assert finance.sites() == ["a", "site-001", "site-0010"]
    assert finance.areas("site-001") == ["VIP房", "夜场区"]
    assert finance.areas("site-001", upper_bound=date(2024, 6, 1)) == ["大厅"]
    assert finance.areas("nobody") == []


class CountingStore(FileStore):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.gets: list[str] = []

    def get(self, key: str) -> bytes | None:
        self.gets.append(key)
        return super().get(key)


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("demo")
    demo.generate(FileStore(root), sites=2, days=60, end=DEMO_END, seed=7)
    yield root


def test_read_lists_and_fetches_only_the_needed_days(demo_root: Path) -> None:
    store = CountingStore(demo_root)
    rows = FinanceStore(store).read("site-001", date(2024, 6, 10), date(2024, 6, 16), upper_bound=DEMO_END)
    assert sorted({r.business_date for r in rows}) == [
        date(2024, 6, 10) + timedelta(days=i) for i in range(7)
    ]
    assert len(store.gets) == 7
    assert rows == sorted(rows, key=lambda r: (r.business_date, r.area))


def test_sandbox_clock_in_the_past_caps_reads(demo_root: Path) -> None:
    """Data after the clock's business date is never returned, whatever end is asked for."""
    store = FileStore(demo_root)
    wall = datetime(2024, 7, 1, 4, 0, tzinfo=timezone.utc)
    clock = SandboxClock(store, BusinessCalendar("Asia/Shanghai"), wall=lambda: wall)
    clock.set_context(
        SandboxContext(
            mode="fixed",
            fixed_at=datetime(2024, 6, 11, 7, 30, tzinfo=SH),
            scope="site",
            site_id="site-001",
            expires_at=wall + timedelta(hours=1),
            reason="replay",
            set_by="t",
            set_at=wall,
        ),
        "admin",
    )
    upper = clock.business_date("site-001")
    assert upper == date(2024, 6, 10)  # 07:30 on the 11th belongs to the 10th
    finance = FinanceStore(store)
    rows = finance.read("site-001", date(2024, 6, 1), date(2024, 6, 30), upper_bound=upper)
    assert max(r.business_date for r in rows) == date(2024, 6, 10)
    period = resolve_range("last_7_days", upper)
    assert period.end == upper
    assert finance.read("site-001", date(2024, 6, 11), date(2024, 6, 30), upper_bound=upper) == []
    # The other site has no sandbox: it sees the real business date and all its data.
    assert clock.business_date("site-002") == DEMO_END + timedelta(days=1)
    assert finance.areas("site-001", upper_bound=upper)


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(min_value=date(2024, 4, 20), max_value=date(2024, 7, 10)),
    length=st.integers(min_value=1, max_value=40),
    upper=st.dates(min_value=date(2024, 4, 20), max_value=date(2024, 7, 10)),
)
def test_read_never_passes_the_upper_bound(demo_root: Path, start: date, length: int, upper: date) -> None:
    end = start + timedelta(days=length - 1)
    finance = FinanceStore(FileStore(demo_root))
    rows = finance.read("site-002", start, end, upper_bound=upper)
    first = DEMO_END - timedelta(days=59)
    expected_days = {start + timedelta(days=i) for i in range(length)}
    expected_days = {d for d in expected_days if first <= d <= min(upper, DEMO_END)}
    assert {r.business_date for r in rows} == expected_days
    assert all(r.business_date <= upper and start <= r.business_date <= end for r in rows)


# -- demo data -------------------------------------------------------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.json"))}


def test_demo_is_deterministic(tmp_path: Path) -> None:
    summary = demo.generate(FileStore(tmp_path / "a"), sites=3, days=120, end=DEMO_END, seed=7)
    demo.generate(FileStore(tmp_path / "b"), sites=3, days=120, end=DEMO_END, seed=7)
    demo.generate(FileStore(tmp_path / "c"), sites=1, days=120, end=DEMO_END, seed=8)
    a, b, c = _tree(tmp_path / "a"), _tree(tmp_path / "b"), _tree(tmp_path / "c")
    assert a == b
    assert c["finance/site-001/2024-06-30.json"] != a["finance/site-001/2024-06-30.json"]
    assert summary["sites"] == ["site-001", "site-002", "site-003"]
    assert summary["days"] == 120 and summary["start"] == "2024-03-03" and summary["end"] == "2024-06-30"
    assert summary["rows"] == sum(len(v) for v in summary["areas"].values()) * 120
    assert (
        len([k for k in a if k.startswith("finance/")]) == 360
        and len([k for k in a if k.startswith("clues/")]) == 36
    )


def test_demo_data_looks_like_a_venue(demo_root: Path) -> None:
    finance = FinanceStore(FileStore(demo_root))
    kinds = {k.name: k for k in demo.AREA_KINDS}
    assert finance.sites() == ["site-001", "site-002"]
    for site in finance.sites():
        areas = finance.areas(site)
        assert 4 <= len(areas) <= 6 and "大厅" in areas and set(areas) <= set(kinds)
        rows = finance.read(site, date(2024, 1, 1), DEMO_END, upper_bound=DEMO_END)
        assert len(rows) == 60 * len(areas)
        for r in rows:
            price = kinds[r.area].hourly_price
            assert float(r.table_revenue) == pytest.approx(r.table_hours * price, rel=0.04, abs=0.06)
            assert r.table_hours <= kinds[r.area].tables * demo.OPEN_HOURS
            assert r.discount <= r.table_revenue * Decimal("0.1") + Decimal("0.01")
            assert r.orders <= r.customers <= r.orders * 3
            if r.table_hours:
                assert 1.0 <= r.table_hours / r.orders <= 4.0
        hall = [r for r in rows if r.area == "大厅"]
        weekend = statistics.mean(r.table_hours for r in hall if r.business_date.weekday() >= 5)
        midweek = statistics.mean(r.table_hours for r in hall if r.business_date.weekday() < 4)
        assert weekend > midweek * 1.2


def test_demo_data_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    monkeypatch.setenv("STORE_URL", f"file://{tmp_path}")
    get_settings.cache_clear()
    try:
        parser = argparse.ArgumentParser()
        demo.register(parser.add_subparsers(dest="command"))
        args = parser.parse_args(["demo-data", "--sites", "1", "--days", "3", "--end", "2024-02-29"])
        assert args.func(args) == 0
        out = capsys.readouterr().out
        assert "site-001" in out and '"rows"' in out
        assert FinanceStore(FileStore(tmp_path)).sites() == ["site-001"]
        with pytest.raises(SystemExit):
            parser.parse_args(["demo-data", "--days", "0"])
        args = parser.parse_args(["demo-data", "--sites", "1", "--days", "1"])
        assert args.end is None and args.func(args) == 0  # default end: today's business date
    finally:
        get_settings.cache_clear()
