"""The apps cache, job claims and runs, and the run log work unchanged on every adapter.

These are the other create-only users of the store besides chat turns: each relies on
``put_if_absent`` having exactly one winner and on ordered, prefix-scoped listings.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from bailian_fc.cache import Entry, ResultCache, cache_key, purge
from bailian_fc.clock import LIVE, Reading
from bailian_fc.jobs.store import JobStore
from bailian_fc.runlog import record as runlog
from bailian_fc.runlog.query import RunlogQuery, list_runlogs
from bailian_fc.store import Store

# Any one business day under the live clock: these tests are about paths, not days.
LIVE_DAY = Reading(None, dt.datetime(2026, 3, 2, 4, tzinfo=dt.timezone.utc), dt.date(2026, 3, 2), LIVE)


def _race(n: int, attempt: object) -> list[object]:
    barrier = threading.Barrier(n)

    def run(i: int) -> object:
        barrier.wait()
        return attempt(i)  # type: ignore[operator]

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_cache_lease_has_one_holder_and_entries_round_trip(store: Store) -> None:
    cache = ResultCache(store, lease_seconds=60)
    key = cache_key("app2_finance", "v1", "site-1", {"range": "7d"}, LIVE_DAY)
    leases = _race(12, lambda i: cache.try_lease(key))
    held = [lease for lease in leases if lease is not None]
    assert len(held) == 1 and cache.lease_held(key)
    cache.put(key, Entry({"总收入": 123}, 1_700_000_000.0, "v1", {"input_tokens": 3}))
    assert (cache.get(key) or Entry(None, 0, "", {})).value == {"总收入": 123}
    cache.release(held[0])
    assert not cache.lease_held(key)
    assert purge(store, site_id="site-1") == 1 and cache.get(key) is None


def test_job_slot_claims_have_one_winner_and_runs_list_newest_first(store: Store) -> None:
    jobs = JobStore(store)
    slot = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
    wins = _race(12, lambda i: jobs.claim("prewarm", slot, by=f"instance-{i}"))
    assert wins.count(True) == 1
    assert (jobs.claim_record("prewarm", slot) or {})["by"] == f"instance-{wins.index(True)}"
    ids = [jobs.record_run("prewarm", slot + timedelta(minutes=i), {"n": i}).id for i in range(5)]
    assert [r.id for r in jobs.runs("prewarm", limit=3)] == sorted(ids, reverse=True)[:3]  # ids sort by time


def test_run_log_records_are_written_once_and_listed(store: Store) -> None:
    now = datetime.now(timezone.utc)
    records = [
        runlog.RunRecord(
            app="app2_finance",
            site_id="site-1",
            user="u",
            request_id=f"r{i}",
            cache="miss",
            status="ok" if i % 2 else "error",
            at=now.timestamp() - i,
        )
        for i in range(6)
    ]
    for record in records:
        runlog.write(store, record)
        runlog.write(store, record)  # a replay does not duplicate it
    listed = list_runlogs(store, RunlogQuery(status="ok"), now)
    assert sorted(item["request_id"] for item in listed["items"]) == ["r1", "r3", "r5"]
    # The status and app filters walk the run-log index; an entry whose record is gone is skipped.
    store.delete(runlog.record_key(records[3]))
    listed = list_runlogs(store, RunlogQuery(app="app2_finance", status="ok"), now)
    assert sorted(item["request_id"] for item in listed["items"]) == ["r1", "r5"]
    listed = list_runlogs(store, RunlogQuery(app="app2_finance"), now)
    assert sorted(item["request_id"] for item in listed["items"]) == ["r0", "r1", "r2", "r4", "r5"]
