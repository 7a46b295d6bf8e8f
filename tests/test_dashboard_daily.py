"""Daily run-log roll-ups: a 30-day dashboard reads one file per closed business day, computed once
(by the timer job or the first dashboard), and agrees with the records it summarises."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from test_admin import NOW, Wall, build, call, rec, write
from test_admin_scope import SITE1
from test_admin_scope import call as scoped_call

from bailian_fc.admin import function as admin_function
from bailian_fc.clock import BusinessCalendar
from bailian_fc.runlog.daily import DAILY_PREFIX, daily_pending
from bailian_fc.runlog.dashboard import ROLLUP_PREFIX

DAYS = 30
CLOSED = DAYS - 1  # today's business date is still open


@pytest.fixture
def wall() -> Wall:
    return Wall()


@pytest.fixture
def rt(tmp_path: Any, wall: Wall) -> Any:
    runtime = build(tmp_path, wall)
    admin_function.configure(runtime)
    yield runtime
    admin_function.configure(None)


def seed(store: Any) -> Counter[str]:
    """Calls over the last 12 days at awkward hours; the expected calls per business date."""
    records = [
        rec(NOW - timedelta(days=d, hours=h, minutes=7), site="site-001" if h % 2 else "site-002")
        for d in range(12)
        for h in (1, 4, 9, 13, 22)
    ]
    write(store, *records)
    calendar = BusinessCalendar("Asia/Shanghai", "08:00")  # the settings' default
    return Counter(
        calendar.business_date(datetime.fromtimestamp(r.at, timezone.utc)).isoformat() for r in records
    )


def per_day(body: dict[str, Any]) -> dict[str, int]:
    return {d["date"]: d["total"]["calls"] for d in body["by_day"] if d["total"]["calls"]}


def test_a_30_day_dashboard_reads_one_daily_file_per_closed_day(rt: Any, wall: Any) -> None:
    expected = seed(rt.store)
    status, first = call("GET", "/admin/dashboard", query={"days": str(DAYS)})
    assert status == 200 and per_day(first) == dict(expected)
    assert first["rollups"]["days_computed"] == CLOSED and first["rollups"]["days_reused"] == 0
    rt.store.reset()
    _, second = call("GET", "/admin/dashboard", query={"days": str(DAYS)})
    assert second["by_day"] == first["by_day"] and second["total"] == first["total"]
    assert (second["rollups"]["days_reused"], second["rollups"]["days_computed"]) == (CLOSED, 0)
    daily = [k for k in rt.store.gets if k.startswith(DAILY_PREFIX)]
    hourly = [k for k in rt.store.gets if k.startswith(ROLLUP_PREFIX)]
    raw = [k for k in rt.store.gets if k.startswith("runlogs/")]
    assert len(daily) == CLOSED and not rt.store.puts
    # Today's hours only: what a 30-day answer reads does not grow with the days before it.
    assert len(hourly) <= 24 and all(k.startswith("runlogs/2026-03-10/05/") for k in raw)


def test_the_timer_job_computes_closed_days_so_the_first_dashboard_only_reads(rt: Any, wall: Any) -> None:
    expected = seed(rt.store)
    calendar = rt.clock.calendar
    stopped = daily_pending(rt.store, calendar, NOW, since=NOW - timedelta(days=CLOSED), deadline=0.0)
    assert stopped == {"days_computed": 0, "days_remaining": CLOSED}
    done = daily_pending(rt.store, calendar, NOW, since=NOW - timedelta(days=CLOSED))
    assert done == {"days_computed": CLOSED, "days_remaining": 0}
    assert daily_pending(rt.store, calendar, NOW, since=NOW - timedelta(days=CLOSED))["days_computed"] == 0
    rt.store.reset()
    _, cold = call("GET", "/admin/dashboard", query={"days": str(DAYS)})
    assert (cold["rollups"]["days_reused"], cold["rollups"]["days_computed"]) == (CLOSED, 0)
    assert per_day(cold) == dict(expected) and not [k for k in rt.store.puts if k.startswith(DAILY_PREFIX)]


def test_a_changed_day_start_recomputes_the_days(tmp_path: Any, wall: Any, rt: Any) -> None:
    seed(rt.store)
    _, before = call("GET", "/admin/dashboard", query={"days": str(DAYS)})
    moved = build(tmp_path, wall, business_day_start="02:00")  # the same store, another calendar
    moved.store = rt.store
    admin_function.configure(moved)
    _, after = call("GET", "/admin/dashboard", query={"days": str(DAYS)})
    assert after["rollups"]["days_computed"] >= CLOSED - 1, "stored days of another calendar are not reused"
    assert after["total"]["calls"] <= before["total"]["calls"] and after["by_day"] != before["by_day"]
    assert after["day_start"] == "02:00"


def test_site_admins_daily_view_holds_only_its_site(rt: Any, wall: Any) -> None:
    seed(rt.store)
    status, own = scoped_call("GET", "/admin/dashboard", SITE1, query={"days": str(DAYS)})
    _, every = call("GET", "/admin/dashboard", query={"days": str(DAYS)})
    assert status == 200 and own["sites"] == ["site-001"]
    assert (
        0
        < own["total"]["calls"]
        < every["total"]["calls"]
        == sum(v["calls"] for v in every["by_site"].values())
    )


def test_days_folded_by_the_job_or_from_scratch_give_the_same_dashboard(rt: Any, wall: Any) -> None:
    seed(rt.store)
    daily_pending(rt.store, rt.clock.calendar, NOW, since=NOW - timedelta(days=CLOSED))
    _, warm = call("GET", "/admin/dashboard", query={"days": str(DAYS)})
    for key in rt.store.list("rollups/"):
        rt.store.delete(key)
    _, cold = call("GET", "/admin/dashboard", query={"days": str(DAYS)})
    assert cold["rollups"]["days_computed"] == CLOSED and warm["rollups"]["days_reused"] == CLOSED
    assert (
        cold["by_day"] == warm["by_day"]
        and cold["total"] == warm["total"]
        and cold["by_app"] == warm["by_app"]
    )
