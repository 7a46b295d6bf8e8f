"""Business-day boundaries and the runtime clock (sandbox contexts, cache, audit, GET /clock shape)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bailian_fc.clock import BusinessCalendar, SandboxClock, SandboxContext, context_key
from bailian_fc.store import FileStore, StoreError

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 6, 15, 4, 0, tzinfo=timezone.utc)  # 12:00 in Shanghai, business date 2024-06-15


class Timers:
    """An injectable wall clock and monotonic timer that tests move by hand."""

    def __init__(self, wall: datetime = T0) -> None:
        self.wall_at = wall
        self.mono_at = 1000.0

    def wall(self) -> datetime:
        return self.wall_at

    def mono(self) -> float:
        return self.mono_at

    def advance(self, seconds: float) -> None:
        self.wall_at += timedelta(seconds=seconds)
        self.mono_at += seconds


class SpyStore(FileStore):
    """A file store that records every call, to assert how the clock uses the port."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.calls: list[tuple[str, str]] = []
        self.fail_gets = False

    def get(self, key: str) -> bytes | None:
        self.calls.append(("get", key))
        if self.fail_gets:
            raise StoreError("store down")
        return super().get(key)

    def put(self, key: str, data: bytes) -> None:
        self.calls.append(("put", key))
        super().put(key, data)

    def put_if_absent(self, key: str, data: bytes) -> bool:
        self.calls.append(("put_if_absent", key))
        return super().put_if_absent(key, data)

    def gets(self) -> int:
        return sum(1 for op, _ in self.calls if op == "get")


@pytest.fixture
def timers() -> Timers:
    return Timers()


@pytest.fixture
def store(tmp_path: Path) -> SpyStore:
    return SpyStore(tmp_path)


@pytest.fixture
def clock(store: SpyStore, timers: Timers) -> SandboxClock:
    return SandboxClock(store, BusinessCalendar("Asia/Shanghai"), wall=timers.wall, monotonic=timers.mono)


def make_ctx(timers: Timers, **overrides: Any) -> SandboxContext:
    values: dict[str, Any] = {
        "mode": "fixed",
        "fixed_at": datetime(2024, 3, 1, 7, 59, tzinfo=SH),
        "scope": "global",
        "expires_at": timers.wall_at + timedelta(hours=1),
        "reason": "month-end rehearsal",
        "set_by": "payload-user",
        "set_at": timers.wall_at,
    }
    values.update(overrides)
    return SandboxContext(**values)


# -- business calendar -----------------------------------------------------------------------------


def test_day_start_boundary_in_shanghai() -> None:
    cal = BusinessCalendar("Asia/Shanghai", "08:00")
    assert cal.business_date(datetime(2024, 3, 1, 7, 59, 59, tzinfo=SH)) == date(2024, 2, 29)
    assert cal.business_date(datetime(2024, 3, 1, 8, 0, tzinfo=SH)) == date(2024, 3, 1)
    assert cal.business_date(datetime(2024, 3, 2, 1, 30, tzinfo=SH)) == date(2024, 3, 1)
    # The same instants given in UTC: 23:59 UTC = 07:59 next day in Shanghai.
    assert cal.business_date(datetime(2024, 2, 29, 23, 59, tzinfo=timezone.utc)) == date(2024, 2, 29)
    assert cal.business_date(datetime(2024, 3, 1, 0, 0, tzinfo=timezone.utc)) == date(2024, 3, 1)


def test_day_bounds_are_aware_and_a_day_apart() -> None:
    start, end = BusinessCalendar("Asia/Shanghai", "06:30").day_bounds(date(2024, 12, 31))
    assert start == datetime(2024, 12, 31, 6, 30, tzinfo=SH)
    assert end == datetime(2025, 1, 1, 6, 30, tzinfo=SH)
    assert start.utcoffset() == timedelta(hours=8)


def test_midnight_day_start_is_the_calendar_date() -> None:
    cal = BusinessCalendar("Asia/Shanghai", "00:00")
    assert cal.business_date(datetime(2024, 3, 1, 0, 0, tzinfo=SH)) == date(2024, 3, 1)
    assert cal.business_date(datetime(2024, 2, 29, 23, 59, tzinfo=SH)) == date(2024, 2, 29)


def test_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        BusinessCalendar("Asia/Shanghai").business_date(datetime(2024, 3, 1, 9, 0))


@pytest.mark.parametrize("bad", ["8:00", "24:00", "08:60", "0800", "08:00:00", "", "ab:cd", "08:00\n"])
def test_day_start_must_be_hh_mm(bad: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        BusinessCalendar("Asia/Shanghai", bad)


def test_unknown_time_zone_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="time zone"):
        BusinessCalendar("Mars/Olympus_Mons")


@settings(max_examples=200, deadline=None)
@given(
    instant=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(timezone.utc)
    ),
    tz=st.sampled_from(["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe"]),
    day_start=st.sampled_from(["00:00", "02:30", "08:00", "23:59"]),
)
def test_business_date_and_bounds_agree(instant: datetime, tz: str, day_start: str) -> None:
    """Across DST changes too: the business date's bounds contain the instant."""
    cal = BusinessCalendar(tz, day_start)
    start, end = cal.day_bounds(cal.business_date(instant))
    assert start.astimezone(timezone.utc) <= instant < end.astimezone(timezone.utc)


# -- runtime context validation --------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"fixed_at": None},  # fixed without an instant
        {"mode": "offset"},  # offset with fixed_at and no offset
        {"mode": "offset", "fixed_at": None, "offset_seconds": float("nan")},
        {"scope": "site"},  # site without site_id
        {"site_id": "site-001"},  # global with a site_id
        {"scope": "site", "site_id": "../etc"},
        {"fixed_at": datetime(2024, 3, 1, 8, 0)},  # naive
        {"expires_at": T0},  # not after set_at
        {"reason": ""},
        {"reason": "x" * 201},
        {"unknown": 1},
    ],
)
def test_inconsistent_contexts_are_rejected(timers: Timers, overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        make_ctx(timers, **overrides)


def test_context_datetimes_are_normalised_to_utc(timers: Timers) -> None:
    ctx = make_ctx(timers)
    assert ctx.fixed_at == datetime(2024, 2, 29, 23, 59, tzinfo=timezone.utc)
    assert ctx.fixed_at is not None and ctx.fixed_at.tzinfo == timezone.utc


# -- the clock -------------------------------------------------------------------------------------


def test_without_context_now_is_the_wall(clock: SandboxClock, timers: Timers) -> None:
    assert clock.now() == T0
    assert clock.now("site-001") == T0
    assert clock.business_date() == date(2024, 6, 15)
    assert clock.context() is None


def test_fixed_context(clock: SandboxClock, timers: Timers) -> None:
    clock.set_context(make_ctx(timers), "admin-1")
    timers.advance(60)
    assert clock.now() == datetime(2024, 2, 29, 23, 59, tzinfo=timezone.utc)  # 07:59 Shanghai, frozen
    assert clock.business_date() == date(2024, 2, 29)  # before the 08:00 day start
    assert clock.now().tzinfo == timezone.utc


def test_offset_context_moves_with_the_wall(clock: SandboxClock, timers: Timers) -> None:
    ctx = make_ctx(timers, mode="offset", fixed_at=None, offset_seconds=-86400.0 * 10)
    clock.set_context(ctx, "admin-1")
    assert clock.now() == T0 - timedelta(days=10)
    timers.advance(30)
    clock.invalidate()
    assert clock.now() == T0 - timedelta(days=10) + timedelta(seconds=30)
    assert clock.business_date() == date(2024, 6, 5)


def test_site_context_beats_global(clock: SandboxClock, timers: Timers) -> None:
    clock.set_context(make_ctx(timers, mode="offset", fixed_at=None, offset_seconds=3600.0), "a")
    site_at = datetime(2023, 12, 31, 12, 0, tzinfo=SH)
    clock.set_context(make_ctx(timers, scope="site", site_id="site-002", fixed_at=site_at), "a")
    assert clock.now("site-002") == site_at
    assert clock.business_date("site-002") == date(2023, 12, 31)
    assert clock.now("site-001") == T0 + timedelta(hours=1)  # other sites see the global context
    assert clock.now() == T0 + timedelta(hours=1)
    assert clock.context("site-002").scope == "site"  # type: ignore[union-attr]


def test_expired_contexts_are_ignored(clock: SandboxClock, timers: Timers) -> None:
    clock.set_context(make_ctx(timers, expires_at=T0 + timedelta(hours=2)), "a")
    site_ctx = make_ctx(
        timers,
        scope="site",
        site_id="site-001",
        expires_at=T0 + timedelta(hours=1),
        fixed_at=datetime(2020, 1, 1, 12, tzinfo=SH),
    )
    clock.set_context(site_ctx, "a")
    assert clock.business_date("site-001") == date(2020, 1, 1)
    timers.wall_at = T0 + timedelta(hours=1)  # the site context expires at this instant; cache still warm
    assert clock.business_date("site-001") == date(2024, 2, 29)  # falls back to the global one
    timers.wall_at = T0 + timedelta(hours=3)
    assert clock.now("site-001") == timers.wall_at
    assert clock.context("site-001") is None
    assert clock.describe()["sandbox"] is False


def test_expired_context_cannot_be_set(clock: SandboxClock, timers: Timers) -> None:
    ctx = make_ctx(timers, set_at=T0 - timedelta(hours=2), expires_at=T0 - timedelta(hours=1))
    with pytest.raises(ValueError, match="past"):
        clock.set_context(ctx, "a")


def test_store_reads_are_cached_for_cache_seconds(
    clock: SandboxClock, store: SpyStore, timers: Timers
) -> None:
    assert clock.now() == T0
    reads = store.gets()
    for _ in range(50):
        clock.now()
        clock.business_date()
    assert store.gets() == reads  # no store traffic inside the window
    # Another instance sets a context: this instance sees it only once its cache expires.
    other = SandboxClock(store, clock.calendar, wall=timers.wall, monotonic=timers.mono)
    other.set_context(make_ctx(timers), "admin-2")
    timers.mono_at += 4.9
    assert clock.now() == T0
    timers.mono_at += 0.2
    assert clock.now() == datetime(2024, 2, 29, 23, 59, tzinfo=timezone.utc)
    assert store.gets() == reads + 1


def test_site_lookups_cache_the_site_key_too(clock: SandboxClock, store: SpyStore) -> None:
    clock.now("site-001")
    clock.now("site-001")
    keys = [key for op, key in store.calls if op == "get"]
    assert sorted(keys) == sorted([context_key("global", None), context_key("site", "site-001")])


def test_invalidate_forces_a_reread(clock: SandboxClock, store: SpyStore) -> None:
    clock.now()
    clock.invalidate()
    clock.now()
    assert store.gets() == 2


def test_store_failure_keeps_the_cached_context(clock: SandboxClock, store: SpyStore, timers: Timers) -> None:
    clock.set_context(make_ctx(timers), "a")
    sandbox_now = clock.now()
    store.fail_gets = True
    timers.mono_at += 10
    assert clock.now() == sandbox_now  # a store blip does not drop the sandbox
    fresh = SandboxClock(store, clock.calendar, wall=timers.wall, monotonic=timers.mono)
    with pytest.raises(StoreError):
        fresh.now()  # nothing cached: the failure is reported, not guessed around


def test_set_context_stamps_actor_and_writes_a_create_only_audit_record(
    clock: SandboxClock, store: SpyStore, timers: Timers
) -> None:
    clock.set_context(make_ctx(timers, set_at=T0 - timedelta(days=300)), "admin-7")
    stored = store.get_json("runtime/context/global.json")
    assert stored["set_by"] == "admin-7"
    assert stored["set_at"] == T0.isoformat()
    audit_keys = store.list("runtime/audit/")
    assert len(audit_keys) == 1
    assert ("put_if_absent", audit_keys[0]) in store.calls
    assert ("put", audit_keys[0]) not in store.calls
    record = store.get_json(audit_keys[0])
    assert record["action"] == "set"
    assert record["actor"] == "admin-7"
    assert record["at"] == T0.isoformat()
    assert record["context"] == stored

    timers.advance(1)
    clock.set_context(make_ctx(timers, reason="second"), "admin-8")
    assert len(store.list("runtime/audit/")) == 2  # a new record, the first one untouched
    assert store.get_json(audit_keys[0]) == record


def test_clear_context(clock: SandboxClock, store: SpyStore, timers: Timers) -> None:
    clock.set_context(make_ctx(timers, scope="site", site_id="site-003"), "a")
    assert clock.context("site-003") is not None
    timers.advance(1)
    assert clock.clear_context("site", "site-003", "admin-9") is True
    assert clock.context("site-003") is None  # the local cache was invalidated
    timers.advance(1)
    assert clock.clear_context("site", "site-003", "admin-9") is False
    records = sorted((store.get_json(k) for k in store.list("runtime/audit/")), key=lambda r: r["at"])
    assert [r["action"] for r in records] == ["set", "clear", "clear"]
    assert records[1]["actor"] == "admin-9" and records[1]["context"]["site_id"] == "site-003"
    assert records[2]["context"] is None
    with pytest.raises(ValueError):
        clock.clear_context("site", None, "a")


def test_list_contexts(clock: SandboxClock, timers: Timers) -> None:
    clock.set_context(make_ctx(timers), "a")
    clock.set_context(make_ctx(timers, scope="site", site_id="s1", expires_at=T0 + timedelta(minutes=1)), "a")
    assert [c.scope for c in clock.list_contexts()] == ["global", "site"]
    timers.advance(120)
    assert [c.scope for c in clock.list_contexts()] == ["global"]
    assert len(clock.list_contexts(include_expired=True)) == 2


def test_describe_shape(clock: SandboxClock, timers: Timers) -> None:
    assert clock.describe("site-001") == {
        "now": T0.isoformat(),
        "business_date": "2024-06-15",
        "tz": "Asia/Shanghai",
        "day_start": "08:00",
        "sandbox": False,
        "scope": None,
        "expires_at": None,
        "mode": None,
    }
    clock.set_context(make_ctx(timers, scope="site", site_id="site-001"), "a")
    described = clock.describe("site-001")
    assert described == {
        "now": "2024-02-29T23:59:00+00:00",
        "business_date": "2024-02-29",
        "tz": "Asia/Shanghai",
        "day_start": "08:00",
        "sandbox": True,
        "scope": "site",
        "expires_at": (T0 + timedelta(hours=1)).isoformat(),
        "mode": "fixed",
    }
    assert clock.describe("site-002")["sandbox"] is False


def test_naive_wall_clock_is_refused(store: SpyStore) -> None:
    clock = SandboxClock(store, BusinessCalendar("Asia/Shanghai"), wall=lambda: datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="aware"):
        clock.now()
