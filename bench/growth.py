"""Admin listings at one day and at one year of history, on the file store, as JSON on stdout.

Why: a venue chain runs for years; every admin listing must cost what it returns, not what
was ever written. This fills two stores with a venue chain's history (the seeded jobs: App2
prewarm daily, the run-log roll-up every 10 minutes, housekeeping daily; run logs at
``--runlogs-per-day``, 2% errors, over the catalogue's apps and ``--sites`` sites), one with
one day of it and one with a year (no retention applied: the worst case), then times each
listing and prints the p95 at each size and the year/day ratio. The day store is the baseline,
measured in the same run. Targets: p95 <= 100 ms with a year of data, year/day <= 1.5.

    python bench/growth.py                         # 365 days, 100 run logs a day
    python bench/growth.py --days 30 --runlogs-per-day 50 --repeat 20
    python bench/growth.py --days 3 --runlogs-per-day 5000 --repeat 10   # busy hours

Run logs are written as ``runlog.write`` writes them (index entries, then the record), so the
filtered rows walk the run-log index; ``records_read`` is the page's ``scanned`` at a year.

The lead extends :func:`listings` with the chat listings and the dashboard.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))  # without pip install -e

from _common import percentile

from bailian_fc.admin.routes import trigger_view
from bailian_fc.jobs.store import JobRunRecord, JobStore, run_key
from bailian_fc.runlog import index
from bailian_fc.runlog.query import RunlogQuery, list_runlogs
from bailian_fc.store import FileStore, Store

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
APPS = ["app2_finance", "app2a_finance_digest", "app3_clue_detail", "app7_customer_insight"]
JOB_EVERY = {"app2_prewarm": 86400, "runlog_rollup": 600, "cache_housekeeping": 86400}


def an_id(prefix: str, at: float, n: int) -> str:
    return f"{prefix}{int(at * 1000):012x}{n:010x}"


def fill(store: Store, days: int, runlogs_per_day: int, sites: int) -> dict[str, int]:
    """``days`` of history ending at NOW; counts of what was written."""
    jobs = JobStore(store, now=lambda: NOW - timedelta(days=days + 1))
    jobs.seed()
    start = (NOW - timedelta(days=days)).timestamp()
    counts = {"job_runs": 0, "runlogs": 0}
    for job, every in JOB_EVERY.items():
        at, n = start, 0
        last: JobRunRecord | None = None
        while at < NOW.timestamp():
            when = datetime.fromtimestamp(at, timezone.utc)
            last = JobRunRecord(
                id=an_id("j", at, n), job=job, slot=when, status="ok", started_at=when, finished_at=when
            )
            store.put_json(run_key(job, last.id), last.model_dump(mode="json"))
            at, n, counts["job_runs"] = at + every, n + 1, counts["job_runs"] + 1
        if last is not None:
            store.put_json(f"jobs/last/{job}.json", last.model_dump(mode="json"))
    step = 86400 / runlogs_per_day
    for i in range(int(days * runlogs_per_day)):
        at = start + i * step
        when = datetime.fromtimestamp(at, timezone.utc)
        record = {
            "app": APPS[i % len(APPS)], "site_id": f"site-{i % sites + 1:03d}", "user": f"u{i % 200}",
            "request_id": f"req-{i}", "cache": "miss", "status": "error" if i % 50 == 0 else "ok",
            "attempts": 1, "tokens": {}, "latency_ms": {"total": 900.0}, "at": at, "id": an_id("r", at, i),
        }  # fmt: skip
        index.write_entries(  # as runlog.write does: the index entries, then the record
            store, at=at, id=record["id"], status=record["status"], app=record["app"], site=record["site_id"]
        )
        store.put_json(f"runlogs/{when:%Y-%m-%d}/{when:%H}/{record['id']}.json", record)
        counts["runlogs"] += 1
    return counts


def listings(store: Store) -> dict[str, Callable[[], Any]]:
    """Each admin listing as a call; the lead adds the chat listings and the dashboard here."""
    jobs = JobStore(store, now=lambda: NOW)
    return {
        "job_runs(limit=20)": lambda: jobs.runs("runlog_rollup", 20),
        "GET /admin/triggers": lambda: [trigger_view(jobs, job, NOW) for job in jobs.list()],
        "runlogs(limit=50)": lambda: list_runlogs(store, RunlogQuery(limit=50), NOW),
        "runlogs(status=error)": lambda: list_runlogs(store, RunlogQuery(status="error", limit=50), NOW),
        "runlogs(app=app3)": lambda: list_runlogs(store, RunlogQuery(app="app3_clue_detail", limit=50), NOW),
        "runlogs(site-001,status=error)": lambda: list_runlogs(
            store, RunlogQuery(site="site-001", status="error", limit=50), NOW
        ),
    }


def measure(day: Callable[[], Any], year: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """p95 ms of each, their calls interleaved so that load from elsewhere hits both alike; and the
    records a run-log page read (``scanned``) at a year."""
    _, answer = day(), year()  # warm the page cache and imports
    times: dict[str, list[float]] = {"day": [], "year": []}
    for _ in range(repeat):
        for name, call in (("day", day), ("year", year)):
            t0 = time.perf_counter()
            call()
            times[name].append((time.perf_counter() - t0) * 1000)
    scanned = answer.get("scanned") if isinstance(answer, dict) else None
    return round(percentile(times["day"], 95), 2), round(percentile(times["year"], 95), 2), scanned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runlogs-per-day", type=int, default=100)
    parser.add_argument("--sites", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as day_dir, tempfile.TemporaryDirectory() as year_dir:
        day, year = FileStore(day_dir), FileStore(year_dir)
        t0 = time.perf_counter()
        written = {"day": fill(day, 1, args.runlogs_per_day, args.sites)}
        written["year"] = fill(year, args.days, args.runlogs_per_day, args.sites)
        fill_s = round(time.perf_counter() - t0, 1)
        results = {}
        year_calls = listings(year)
        for name, call in listings(day).items():
            day_p95, year_p95, scanned = measure(call, year_calls[name], args.repeat)
            results[name] = {
                "day_p95_ms": day_p95,
                "year_p95_ms": year_p95,
                "year_over_day": round(year_p95 / day_p95, 2) if day_p95 else None,
                "within_target": year_p95 <= 100 and (day_p95 == 0 or year_p95 / day_p95 <= 1.5),
                **({} if scanned is None else {"records_read": scanned}),
            }
    print(
        json.dumps(
            {
                "bench": "growth",
                "store": "file",
                "history_days": args.days,
                "written": written,
                "fill_seconds": fill_s,
                "repeat": args.repeat,
                "listings": results,
                "python": platform.python_version(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
