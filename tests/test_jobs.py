"""Trigger jobs: cron parsing, the job store, and the dispatcher's at-most-once-per-slot rule.

Times: the dispatcher tests seed ``app2_prewarm`` at 07:30 Asia/Shanghai (:data:`SEED_0730`; the
real seed fires at 08:05, after the day start, see test_default_seed), which is 23:30 UTC of the
*previous* day; FC's ``triggerTime`` is UTC, so every tick below is written in UTC.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bailian_fc.jobs import (
    DEFAULT_JOBS,
    CronError,
    Dispatcher,
    EventError,
    Job,
    JobRun,
    JobStore,
    ResumeState,
    decode_event,
    next_fire_times,
    parse,
    validate_cron,
)
from bailian_fc.store import FileStore, Store

UTC = timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")
SLOT = datetime(2024, 4, 30, 23, 30, tzinfo=UTC)  # 2024-05-01 07:30 in Shanghai
SEEDED_AT = datetime(2024, 4, 1, tzinfo=UTC)
# The slots below were written against a 07:30 prewarm; the dispatcher does not care which time it is.
SEED_0730 = [{**j, "cron": "0 30 7 * * *"} if j["name"] == "app2_prewarm" else j for j in DEFAULT_JOBS]


def at(hh: int, mm: int, ss: int = 0, day: int = 30) -> datetime:
    return datetime(2024, 4 if day <= 30 else 5, day if day <= 30 else day - 30, hh, mm, ss, tzinfo=UTC)


class MemoryStore(Store):
    """A dict with an atomic create-only put: enough for property tests."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        return self.data.get(key)

    def put(self, key: str, data: bytes) -> None:
        self.data[key] = data

    def put_if_absent(self, key: str, data: bytes) -> bool:
        with self.lock:
            if key in self.data:
                return False
            self.data[key] = data
            return True

    def list_page(self, prefix: str, start_after: str = "", limit: int = 1000) -> list[str]:
        return sorted(k for k in self.data if k.startswith(prefix) and k > start_after)[:limit]

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.t = now

    def __call__(self) -> datetime:
        return self.t


class Calls:
    """A handler that records every run it is given."""

    def __init__(self, fail: bool = False) -> None:
        self.runs: list[JobRun] = []
        self.fail = fail
        self.lock = threading.Lock()

    def __call__(self, run: JobRun) -> dict[str, Any]:
        with self.lock:
            self.runs.append(run)
        if self.fail:
            raise RuntimeError("upstream exploded")
        return {"items": 3}


def tick_event(trigger: datetime, encode: bool = False) -> Any:
    event = {
        "triggerTime": trigger.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "triggerName": "dispatch",
        "payload": json.dumps({"source": "timer"}),
    }
    return json.dumps(event).encode() if encode else event


def statuses(result: dict[str, Any]) -> dict[str, str]:
    return {r["job"]: r["status"] for r in result["results"]}


@pytest.fixture
def clock() -> Clock:
    return Clock(SEEDED_AT)


@pytest.fixture
def jobs(tmp_path: Any, clock: Clock) -> JobStore:
    """The default seed minus the every-10-minutes rollup, so dispatcher tests see two jobs."""
    store = JobStore(FileStore(tmp_path), now=clock)
    store.seed([j for j in SEED_0730 if j["name"] != "runlog_rollup"])
    return store


def make(jobs: JobStore, clock: Clock, handlers: dict[str, Callable[[JobRun], Any]], **kw: Any) -> Dispatcher:
    return Dispatcher(jobs, handlers, now=clock, instance_id=kw.pop("instance_id", "inst-1"), **kw)


def deliver(
    dispatcher: Dispatcher, clock: Clock, trigger: datetime, now: datetime | None = None
) -> dict[str, str]:
    clock.t = now or trigger
    return statuses(dispatcher.tick(tick_event(trigger)))


# -- cron --------------------------------------------------------------------------------------


def test_fc_six_field_has_seconds_first() -> None:
    schedule = parse("0 30 7 * * *", "Asia/Shanghai")
    assert schedule.has_seconds
    assert schedule.next_fires(at(12, 0), 2) == [SLOT, SLOT + timedelta(days=1)]
    # seconds first: "5 0 0 * * *" is five seconds past midnight, not five minutes
    assert parse("5 0 0 * * *").next_fires(at(12, 0), 1) == [datetime(2024, 5, 1, 0, 0, 5, tzinfo=UTC)]


def test_five_field_equals_six_field_with_zero_seconds() -> None:
    five, six = parse("30 7 * * *", "Asia/Shanghai"), parse("0 30 7 * * *", "Asia/Shanghai")
    assert not five.has_seconds
    assert five.next_fires(at(0, 0), 5) == six.next_fires(at(0, 0), 5)


@pytest.mark.parametrize("prefix", ["CRON_TZ=Asia/Shanghai ", "TZ=Asia/Shanghai "])
def test_tz_prefix_wins_over_default(prefix: str) -> None:
    schedule = parse(prefix + "0 30 7 * * *", "UTC")
    assert schedule.tz_name == "Asia/Shanghai"
    assert schedule.latest_slot(at(23, 45)) == SLOT


def test_explicit_tz_argument_and_utc_default() -> None:
    assert parse("0 0 8 * * *", ZoneInfo("Asia/Tokyo")).next_fires(at(0, 0), 1) == [at(23, 0)]
    assert parse("0 0 8 * * *").next_fires(at(0, 0), 1) == [at(8, 0)]  # FC's default zone is UTC


def test_latest_slot_is_at_or_before() -> None:
    schedule = parse("0 30 7 * * *", "Asia/Shanghai")
    assert schedule.latest_slot(SLOT) == SLOT
    assert schedule.latest_slot(SLOT + timedelta(microseconds=1)) == SLOT
    assert schedule.latest_slot(SLOT - timedelta(microseconds=1)) == SLOT - timedelta(days=1)
    latest = schedule.latest_slot(SLOT.astimezone(SHANGHAI))
    assert latest is not None and latest.tzinfo == UTC


def test_schedule_across_a_dst_switch_stays_ordered_and_utc() -> None:
    fires = parse("0 30 2 * * *", "America/New_York").next_fires(datetime(2024, 3, 8, tzinfo=UTC), 5)
    assert all(f.tzinfo == UTC for f in fires)
    assert fires == sorted(set(fires))


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("", "empty"),
        ("@every 5m", "dispatcher"),
        ("@daily", "'@' forms"),
        ("* * *", "3 fields"),
        ("0 0 8 * * * 2024", "7 fields"),
        ("61 * * * *", "invalid"),
        ("0 0 25 * * *", "invalid"),
        ("0 0 8 * 13 *", "invalid"),
        ("*/0 * * * *", "invalid"),
        ("H 0 * * *", "hashed"),
        ("0 R * * * *", "hashed"),
        ("0 0 0 30 2 *", "never fires"),
        ("CRON_TZ=Mars/Olympus 0 0 8 * * *", "unknown time zone"),
        ("CRON_TZ= 0 0 8 * * *", "CRON_TZ"),
        ("every day at eight sharp", "invalid"),
    ],
)
def test_bad_expressions_raise_cron_error(expr: str, fragment: str) -> None:
    with pytest.raises(CronError, match=fragment) as info:
        parse(expr, "Asia/Shanghai")
    assert isinstance(info.value, ValueError)


def test_validate_cron_and_bad_tz_argument() -> None:
    assert validate_cron("0 30 7 * * *", "Asia/Shanghai").tz_name == "Asia/Shanghai"
    with pytest.raises(CronError, match="unknown time zone"):
        validate_cron("0 30 7 * * *", "Nowhere/Town")


def test_month_and_weekday_names_are_accepted() -> None:
    fires = parse("0 0 9 * JAN MON-FRI", "Asia/Shanghai").next_fires(datetime(2024, 1, 5, 12, tzinfo=UTC), 2)
    assert [f.astimezone(SHANGHAI).weekday() for f in fires] == [0, 1]  # Mon 8th, Tue 9th


# -- the job model and store -------------------------------------------------------------------


def test_job_model_validation() -> None:
    assert Job(name="x", cron="CRON_TZ=UTC 0 0 4 * * *").tz == "UTC"
    with pytest.raises(ValidationError, match="CRON_TZ=UTC but tz"):
        Job(name="x", cron="CRON_TZ=UTC 0 0 4 * * *", tz="Asia/Shanghai")
    with pytest.raises(ValidationError, match="dispatcher"):
        Job(name="x", cron="@every 5m")
    with pytest.raises(ValidationError):
        Job(name="Bad Name", cron="0 0 4 * * *")
    with pytest.raises(ValidationError, match="unknown time zone"):
        Job(name="x", cron="0 0 4 * * *", tz="Nowhere/Town")


def test_default_seed(jobs: JobStore) -> None:
    by_name = {job.name: job for job in jobs.list()}
    prewarm, housekeeping = by_name["app2_prewarm"], by_name["cache_housekeeping"]
    assert (prewarm.cron, prewarm.tz, prewarm.enabled, prewarm.payload) == (
        "0 30 7 * * *",
        "Asia/Shanghai",
        True,
        {},
    )  # the fixture's 07:30 (SEED_0730); the default seed is checked in test_the_seed_follows_day_start
    assert prewarm.enabled_at == SEEDED_AT and prewarm.updated_by == "seed"
    assert (housekeeping.cron, housekeeping.enabled) == ("0 0 4 * * *", True)  # retention is on by default
    assert next_fire_times(prewarm, 2, after=at(0, 0)) == [SLOT, SLOT + timedelta(days=1)]
    assert {j["name"] for j in DEFAULT_JOBS} - {"runlog_rollup"} == set(by_name)


def test_seeding_twice_keeps_admin_edits(jobs: JobStore, clock: Clock) -> None:
    clock.t = at(10, 0)
    edited = jobs.get("app2_prewarm")
    assert edited is not None
    jobs.save(edited.model_copy(update={"cron": "0 45 7 * * *", "payload": {"qps": 2}}), by="admin-7")
    jobs.save(Job(name="cache_housekeeping", cron="0 0 4 * * *", enabled=True), by="admin-7")
    # Seeded once per store: a default this store had never seen is offered, not created.
    assert jobs.seed() == []
    assert [j.name for j in jobs.available()] == ["runlog_rollup"]
    assert jobs.seed() == []
    later = [{"name": "app2_prewarm", "cron": "0 0 1 * * *"}, {"name": "new_job", "cron": "0 0 2 * * *"}]
    assert jobs.seed(later) == []
    assert [j.name for j in jobs.available(later)] == ["new_job"]
    stored = jobs.get("app2_prewarm")
    assert stored is not None and (stored.cron, stored.payload, stored.updated_by) == (
        "0 45 7 * * *",
        {"qps": 2},
        "admin-7",
    )
    housekeeping = jobs.get("cache_housekeeping")
    assert housekeeping is not None and housekeeping.enabled


def test_bad_seed_config_writes_nothing(tmp_path: Any) -> None:
    store = JobStore(FileStore(tmp_path))
    with pytest.raises(ValidationError):
        store.seed([{"name": "ok_job", "cron": "0 0 1 * * *"}, {"name": "bad", "cron": "@every 5m"}])
    assert store.list() == []


def test_enabled_at_moves_only_when_the_schedule_rearms(jobs: JobStore, clock: Clock) -> None:
    job = jobs.get("app2_prewarm")
    assert job is not None
    clock.t = at(1, 0)
    assert jobs.save(job.model_copy(update={"description": "edited"})).enabled_at == SEEDED_AT
    clock.t = at(2, 0)
    assert jobs.save(job.model_copy(update={"cron": "0 0 7 * * *"})).enabled_at == at(2, 0)
    clock.t = at(3, 0)
    # a caller cannot move enabled_at back to replay old slots
    assert jobs.save(
        job.model_copy(update={"cron": "0 0 7 * * *", "enabled_at": SEEDED_AT})
    ).enabled_at == at(2, 0)


def test_claim_is_create_only(jobs: JobStore) -> None:
    assert jobs.claim("app2_prewarm", SLOT, "a") is True
    assert jobs.claim("app2_prewarm", SLOT, "b") is False
    assert jobs.claim("app2_prewarm", SLOT.astimezone(SHANGHAI), "c") is False  # same instant, other zone
    assert jobs.claim_record("app2_prewarm", SLOT) is not None
    assert jobs.store.get("jobs/claims/app2_prewarm/20240430T233000Z/00000000.json") is not None
    assert jobs.claim("app2_prewarm", SLOT, "b", tag="manual") is True


def test_runs_newest_first(jobs: JobStore) -> None:
    for n in range(3):
        jobs.record_run("app2_prewarm", SLOT, {"n": n})
        time.sleep(0.002)  # ids order by millisecond
    assert [r.summary["n"] for r in jobs.runs("app2_prewarm", limit=2)] == [2, 1]
    last = jobs.last_run("app2_prewarm")
    assert last is not None and last.summary == {"n": 2}
    assert jobs.last_run("cache_housekeeping") is None


# -- the dispatcher ----------------------------------------------------------------------------


def test_due_and_not_due_around_shanghai_0730(jobs: JobStore, clock: Clock) -> None:
    calls = Calls()
    dispatcher = make(jobs, clock, {"app2_prewarm": calls})
    assert deliver(dispatcher, clock, at(23, 27)) == {
        "app2_prewarm": "not_due",
        "cache_housekeeping": "not_due",  # 04:00 Shanghai is 20:00Z
    }
    clock.t = at(23, 32)
    result = dispatcher.tick(tick_event(at(23, 32), encode=True))
    first = result["results"][0]
    assert (first["status"], first["slot"], first["summary"]) == (
        "ran",
        "2024-04-30T23:30:00+00:00",
        {"items": 3},
    )
    assert result["trigger"] == "dispatch" and result["tick"] == "2024-04-30T23:32:00+00:00"
    assert deliver(dispatcher, clock, at(23, 37))["app2_prewarm"] == "skipped_claimed"
    assert deliver(dispatcher, clock, at(23, 42))["app2_prewarm"] == "not_due"
    assert [run.slot for run in calls.runs] == [SLOT]
    assert calls.runs[0].slot.astimezone(SHANGHAI).strftime("%m-%d %H:%M") == "05-01 07:30"


def test_duplicated_tick_runs_once(jobs: JobStore, clock: Clock) -> None:
    calls = Calls()
    dispatcher = make(jobs, clock, {"app2_prewarm": calls})
    assert deliver(dispatcher, clock, at(23, 31))["app2_prewarm"] == "ran"
    assert deliver(dispatcher, clock, at(23, 31), now=at(23, 31, 2))["app2_prewarm"] == "skipped_claimed"
    assert len(calls.runs) == 1


def test_racing_instances_run_once(tmp_path: Any) -> None:
    clock = Clock(SEEDED_AT)
    JobStore(FileStore(tmp_path), now=clock).seed(SEED_0730)
    clock.t = at(23, 31)
    calls = Calls()
    dispatchers = [
        Dispatcher(
            JobStore(FileStore(tmp_path), now=clock), {"app2_prewarm": calls}, now=clock, instance_id=f"i{n}"
        )
        for n in range(8)
    ]
    barrier = threading.Barrier(len(dispatchers))
    results: list[dict[str, str]] = []

    def race(dispatcher: Dispatcher) -> None:
        barrier.wait()
        results.append(statuses(dispatcher.handle(tick_event(at(23, 31), encode=True))))

    threads = [threading.Thread(target=race, args=(d,)) for d in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(r["app2_prewarm"] for r in results) == {"ran": 1, "skipped_claimed": 7}
    assert len(calls.runs) == 1
    assert len(JobStore(FileStore(tmp_path)).runs("app2_prewarm")) == 1


def test_late_tick_within_grace_runs_once(jobs: JobStore, clock: Clock) -> None:
    calls = Calls()
    dispatcher = make(jobs, clock, {"app2_prewarm": calls})
    # the 23:34 tick is retried by FC and arrives at 23:39 (the ticks in between were lost)
    assert deliver(dispatcher, clock, at(23, 34), now=at(23, 39))["app2_prewarm"] == "ran"
    assert deliver(dispatcher, clock, at(23, 34), now=at(23, 39, 30))["app2_prewarm"] == "skipped_claimed"
    assert len(calls.runs) == 1


def test_tick_after_the_window_does_not_replay(jobs: JobStore, clock: Clock) -> None:
    calls = Calls()
    dispatcher = make(jobs, clock, {"app2_prewarm": calls})
    assert deliver(dispatcher, clock, at(23, 41))["app2_prewarm"] == "not_due"
    # a very late retry keeps its old triggerTime but the window is measured from the real now
    assert deliver(dispatcher, clock, at(23, 34), now=at(23, 45))["app2_prewarm"] == "not_due"
    assert calls.runs == []
    assert jobs.claim_record("app2_prewarm", SLOT) is None


def test_trigger_time_ahead_of_now_never_fires_early(jobs: JobStore, clock: Clock) -> None:
    calls = Calls()
    dispatcher = make(jobs, clock, {"app2_prewarm": calls})
    assert deliver(dispatcher, clock, at(23, 31), now=at(23, 29))["app2_prewarm"] == "not_due"
    assert calls.runs == []


def test_tick_without_trigger_time_uses_now(jobs: JobStore, clock: Clock) -> None:
    calls = Calls()
    clock.t = at(23, 33)
    assert statuses(make(jobs, clock, {"app2_prewarm": calls}).handle(b""))["app2_prewarm"] == "ran"


def test_disabled_job_does_not_run_and_missed_slots_are_not_replayed(jobs: JobStore, clock: Clock) -> None:
    calls = Calls()
    dispatcher = make(jobs, clock, {"app2_prewarm": calls})
    job = jobs.get("app2_prewarm")
    assert job is not None
    clock.t = at(20, 0)
    jobs.save(job.model_copy(update={"enabled": False}))
    assert deliver(dispatcher, clock, at(23, 31))["app2_prewarm"] == "disabled"
    clock.t = at(23, 33)
    stored = jobs.get("app2_prewarm")
    assert stored is not None
    assert jobs.save(stored.model_copy(update={"enabled": True})).enabled_at == at(23, 33)
    # 23:30 is inside the window but before re-enabling: not replayed
    assert deliver(dispatcher, clock, at(23, 35))["app2_prewarm"] == "not_due"
    assert calls.runs == []
    assert deliver(dispatcher, clock, at(23, 31, day=31))["app2_prewarm"] == "ran"  # the next day's slot
    assert [run.slot for run in calls.runs] == [SLOT + timedelta(days=1)]


def test_reschedule_takes_effect_on_the_next_tick(jobs: JobStore, clock: Clock) -> None:
    calls = Calls()
    dispatcher = make(jobs, clock, {"app2_prewarm": calls})
    assert deliver(dispatcher, clock, at(23, 31))["app2_prewarm"] == "ran"
    job = jobs.get("app2_prewarm")
    assert job is not None
    clock.t = at(23, 40)
    jobs.save(job.model_copy(update={"cron": "0 45 7 * * *"}))
    assert deliver(dispatcher, clock, at(23, 42))["app2_prewarm"] == "not_due"
    assert deliver(dispatcher, clock, at(23, 46))["app2_prewarm"] == "ran"
    assert [run.slot for run in calls.runs] == [SLOT, at(23, 45)]


def test_handler_failure_is_recorded_and_others_still_run(jobs: JobStore, clock: Clock) -> None:
    jobs.ensure([{"name": "also_0730", "cron": "CRON_TZ=Asia/Shanghai 0 30 7 * * *", "payload": {"k": 1}}])
    broken, healthy = Calls(fail=True), Calls()
    dispatcher = make(jobs, clock, {"also_0730": broken, "app2_prewarm": healthy})
    clock.t = at(23, 31)
    results = {r["job"]: r for r in dispatcher.tick(tick_event(at(23, 31)))["results"]}
    assert results["also_0730"]["status"] == "failed"
    assert "upstream exploded" in results["also_0730"]["error"]
    assert results["app2_prewarm"]["status"] == "ran"
    record = jobs.last_run("also_0730")
    assert record is not None and (record.status, record.slot) == ("failed", SLOT)
    assert record.error is not None and "RuntimeError" in record.error
    assert broken.runs[0].payload == {"k": 1}
    # the failed slot was claimed: a retried tick does not run it again
    assert deliver(dispatcher, clock, at(23, 31))["also_0730"] == "skipped_claimed"


def test_missing_handler_fails_without_claiming(jobs: JobStore, clock: Clock) -> None:
    dispatcher = make(jobs, clock, {})
    clock.t = at(23, 31)
    result = dispatcher.tick(tick_event(at(23, 31)))
    assert result["results"][0]["status"] == "failed"
    assert jobs.claim_record("app2_prewarm", SLOT) is None


def test_store_failure_for_one_job_does_not_stop_the_tick(
    jobs: JobStore, clock: Clock, monkeypatch: Any
) -> None:
    jobs.ensure([{"name": "also_0730", "cron": "0 30 7 * * *"}])
    real_take = jobs.take

    def take(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "also_0730":
            raise OSError("disk gone")
        return real_take(name, *args, **kwargs)

    monkeypatch.setattr(jobs, "take", take)
    calls = Calls()
    found = deliver(make(jobs, clock, {"app2_prewarm": calls, "also_0730": calls}), clock, at(23, 31))
    assert found == {"also_0730": "failed", "app2_prewarm": "ran", "cache_housekeeping": "not_due"}


def test_manual_run_without_and_with_force(jobs: JobStore, clock: Clock) -> None:
    calls = Calls()
    dispatcher = make(jobs, clock, {"app2_prewarm": calls})
    clock.t = at(23, 50)
    first = dispatcher.handle(json.dumps({"job": "app2_prewarm", "site_id": "site-001"}).encode())
    assert first["kind"] == "manual" and first["results"][0]["status"] == "ran"
    again = dispatcher.handle({"job": "app2_prewarm", "site_id": "site-001"})["results"][0]
    assert again["status"] == "skipped_claimed" and "force" in again["hint"]
    assert (
        dispatcher.run_manual({"job": "app2_prewarm", "site_id": "site-002"})["results"][0]["status"] == "ran"
    )
    forced = dispatcher.run_manual({"job": "app2_prewarm", "site_id": "site-001", "force": True})["results"][
        0
    ]
    assert forced["status"] == "ran"
    assert [run.payload for run in calls.runs] == [
        {"site_id": "site-001"},
        {"site_id": "site-002"},
        {"site_id": "site-001", "force": True},
    ]
    assert all(run.trigger == "manual" and not run.resumable for run in calls.runs)
    records = jobs.runs("app2_prewarm")
    assert len(records) == 3 and sum(r.force for r in records) == 1
    # manual claims live beside the timer claim: the 07:30 timer slot is still free
    assert deliver(dispatcher, clock, at(23, 35), now=at(23, 36))["app2_prewarm"] == "ran"


def test_manual_run_of_unknown_or_disabled_job(jobs: JobStore, clock: Clock) -> None:
    calls = Calls()
    dispatcher = make(jobs, clock, {"cache_housekeeping": calls})
    assert dispatcher.run_manual({"job": "nope"})["results"][0]["status"] == "failed"
    # an explicit manual run works even for a disabled job
    assert dispatcher.run_manual({"job": "cache_housekeeping"})["results"][0]["status"] == "ran"


@pytest.mark.parametrize(
    "event",
    [
        {"job": "Bad Name"},
        {"job": "app2_prewarm", "site_id": "../etc"},
        {"job": "app2_prewarm", "force": "yes"},
        {"job": 7},
    ],
)
def test_malformed_manual_events(jobs: JobStore, clock: Clock, event: dict[str, Any]) -> None:
    with pytest.raises(EventError):
        make(jobs, clock, {}).handle(event)


def test_decode_event() -> None:
    timer = {"triggerTime": "2024-04-30T23:31:00Z", "triggerName": "t", "payload": '{"a": {"b": 1}}'}
    assert decode_event(json.dumps(timer).encode())["payload"] == {"a": {"b": 1}}
    assert decode_event({"payload": "awesome-fc"})["payload"] == "awesome-fc"
    assert decode_event(None) == {} and decode_event(b"  ") == {}
    for bad in (b"{", b"[1, 2]", "null", b"\xff\xfe"):
        with pytest.raises(EventError):
            decode_event(bad)
    with pytest.raises(EventError, match="ISO-8601"):
        Dispatcher(JobStore(MemoryStore()), {}).tick({"triggerTime": "yesterday"})


def test_resume_after_deadline_continues_in_a_later_tick(jobs: JobStore, clock: Clock) -> None:
    seen: list[tuple[int, dict[str, Any] | None]] = []

    def prewarm(run: JobRun) -> dict[str, Any]:
        seen.append((run.part, run.resume))
        if run.part == 0:
            run.save_resume({"done_sites": 2})
            return {"complete": False, "done": 2}
        return {"done": 5}

    dispatcher = make(jobs, clock, {"app2_prewarm": prewarm})
    clock.t = at(23, 31)
    first = dispatcher.tick(tick_event(at(23, 31)))["results"][0]
    assert first["status"] == "ran" and first["incomplete"] is True
    # the next tick continues the same slot with the saved state, then nothing is left
    clock.t = at(23, 36)
    second = dispatcher.tick(tick_event(at(23, 36)))["results"][0]
    assert second["status"] == "ran" and second["part"] == 1 and "incomplete" not in second
    assert seen == [(0, None), (1, {"done_sites": 2})]
    assert deliver(dispatcher, clock, at(23, 39))["app2_prewarm"] == "skipped_claimed"
    state = jobs.resume_state("app2_prewarm", SLOT)
    assert state is not None and state.done
    assert [r.status for r in jobs.runs("app2_prewarm")] in (["ok", "incomplete"], ["incomplete", "ok"])


def test_checkpoint_of_a_killed_run_waits_for_the_fc_timeout(jobs: JobStore, clock: Clock) -> None:
    seen: list[int] = []
    dispatcher = make(jobs, clock, {"app2_prewarm": lambda run: seen.append(run.part)}, timeout_seconds=600)
    jobs.claim("app2_prewarm", SLOT, "dead-instance")
    jobs.save_resume("app2_prewarm", SLOT, ResumeState(part=1, state={"i": 4}, not_before=at(23, 41)))
    assert deliver(dispatcher, clock, at(23, 36))["app2_prewarm"] == "skipped_claimed"  # owner may be alive
    assert deliver(dispatcher, clock, at(23, 56))["app2_prewarm"] == "ran"  # outside the window, still owed
    assert deliver(dispatcher, clock, at(0, 1, day=31))["app2_prewarm"] == "not_due"
    assert seen == [1]


def test_deadline_used_up_defers_the_next_job(jobs: JobStore, clock: Clock) -> None:
    jobs.ensure([{"name": "also_0730", "cron": "0 30 7 * * *"}])
    mono = [100.0]

    def slow(run: JobRun) -> dict[str, Any]:
        assert run.remaining() == pytest.approx(60.0)
        mono[0] += 61.0
        assert run.expired()
        return {}

    dispatcher = make(
        jobs,
        clock,
        {"also_0730": slow, "app2_prewarm": Calls()},
        deadline_seconds=60,
        monotonic=lambda: mono[0],
    )
    assert deliver(dispatcher, clock, at(23, 31)) == {
        "also_0730": "ran",
        "app2_prewarm": "deferred",
        "cache_housekeeping": "not_due",  # 04:00 Shanghai is 20:00Z
    }
    assert deliver(dispatcher, clock, at(23, 36))["app2_prewarm"] == "ran"


def test_progress_lines_are_json(jobs: JobStore, clock: Clock, caplog: Any) -> None:
    """Job lines carry fields (top-level keys of the JSON line), not JSON encoded inside "message"."""
    from bailian_fc.logs import JsonFormatter

    caplog.set_level("DEBUG", logger="bailian_fc.jobs")
    deliver(make(jobs, clock, {"app2_prewarm": Calls()}), clock, at(23, 31))
    records = [r for r in caplog.records if r.name == "bailian_fc.jobs"]
    lines = [json.loads(JsonFormatter().format(r)) for r in records]
    assert not any(line["message"].startswith("{") for line in lines)
    assert {"job.start", "job.finish", "job.not_due"} <= {line["event"] for line in lines}
    assert all(line["instance"] == "inst-1" for line in lines)


# -- properties --------------------------------------------------------------------------------

BASE = datetime(2024, 4, 30, 20, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=10)
deliveries = st.lists(
    st.tuples(st.integers(0, 6 * 3600), st.integers(0, 900)),  # (trigger offset, delivery delay) seconds
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    deliveries=deliveries,
    cron=st.sampled_from(["0 */20 * * * *", "0 30 7 * * *", "*/30 * * * *", "15 */7 * * * *"]),
)
def test_any_ticks_claim_each_slot_at_most_once(deliveries: list[tuple[int, int]], cron: str) -> None:
    clock = Clock(BASE - timedelta(days=1))
    jobs = JobStore(MemoryStore(), now=clock)
    jobs.ensure([{"name": "job", "cron": cron, "tz": "Asia/Shanghai"}])
    calls = Calls()
    dispatchers = [Dispatcher(jobs, {"job": calls}, now=clock, instance_id=f"i{n}") for n in range(2)]
    schedule = parse(cron, "Asia/Shanghai")
    owed = set()
    now = BASE
    for n, (offset, delay) in enumerate(deliveries):
        trigger = BASE + timedelta(seconds=offset)
        now = max(now, trigger + timedelta(seconds=delay))  # the real clock never goes back
        clock.t = now
        dispatchers[n % 2].handle(tick_event(trigger, encode=n % 3 == 0))
        slot = schedule.latest_slot(min(trigger, now))
        if slot is not None and slot >= now - WINDOW:
            owed.add(slot)
    ran = Counter(run.slot for run in calls.runs)
    assert all(count == 1 for count in ran.values())  # never twice
    assert set(ran) == owed  # and every slot a tick saw in its window ran


@pytest.mark.parametrize("tz", ["localtime", "posixrules", "Factory"])
def test_the_cron_preview_refuses_tz_database_files_that_are_not_zones(tz: str) -> None:
    from bailian_fc.jobs import CronError, validate_cron

    with pytest.raises(CronError, match="unknown time zone"):
        validate_cron("0 0 8 * * *", tz)
