"""``GET /admin/dashboard?days=30`` over 30 days × 5,000 calls/day on the file store, as JSON on stdout.

Why: the dashboard must answer in ≤ 1 s at that volume. This seeds realistic run log records
(diurnal venue traffic, cache hits and misses, errors, tokens, log-normal latencies) into a temp
file store, times ``rollup_pending`` (what the prewarm timer job runs), then times the dashboard
through the FC handler with the roll-ups in place (median of 5) and cold (no roll-ups: the first
request computes every hour from the raw records and writes the roll-ups). It also checks that
both answers agree and how far the histogram percentiles are from the exact ones.

    python bench/dashboard.py                    # 30 days × 5,000/day
    python bench/dashboard.py --days 7 --per-day 1000 --runs 3
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import platform
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))  # works without `pip install -e .`
from bailian_fc.admin import function as admin_function
from bailian_fc.admin.function import AdminFunction
from bailian_fc.auth import Authenticator
from bailian_fc.clock import BusinessCalendar
from bailian_fc.runlog import record as runlog
from bailian_fc.runlog.daily import daily_pending
from bailian_fc.runlog.dashboard import load_hours, rollup_pending
from bailian_fc.runlog.histogram import RELATIVE_ERROR, exact_percentile
from bailian_fc.runlog.view import Window
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore
from bailian_fc_tools.local.fc_context import fake_context

SECRET = "bench-secret-not-for-production-0123456789"
TARGET_MS = 1000.0
APPS = {
    "app1_chat": 0.30,
    "app2_finance": 0.10,
    "app2a_finance_digest": 0.05,
    "app3_clue_detail": 0.15,
    "app4_relationship": 0.10,
    "app5_tactics": 0.10,
    "app6_note_analysis": 0.12,
    "app7_customer_insight": 0.05,
    "app8_clue_consolidation": 0.03,
}
CACHE = {"hit": 0.50, "miss": 0.32, "stale": 0.03, "refresh": 0.02, "none": 0.13}
ERRORS = {"UpstreamTimeout": 0.4, "Throttling": 0.3, "InvalidOutput": 0.2, "InternalError": 0.1}
# Share of a day's calls per Shanghai hour (UTC+8): quiet mornings, busy evenings until 02:00.
HOURLY = [3, 2, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 4, 5, 5, 5, 5, 6, 6, 7, 8, 9, 9, 8, 6, 4]


def pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def make_record(rng: random.Random, at: float) -> runlog.RunRecord:
    """One realistic record; hits cost ~5 ms and no tokens, upstream calls ~2.5 s and 1–4k tokens."""
    app, cache = pick(rng, APPS), pick(rng, CACHE)
    upstream = cache in ("miss", "refresh", "none")
    error = upstream and rng.random() < 0.04
    total = rng.lognormvariate(math.log(2500), 0.5) if upstream else rng.lognormvariate(math.log(5), 0.6)
    tin, tout = (rng.randint(800, 3000), rng.randint(150, 600)) if upstream and not error else (0, 0)
    return runlog.RunRecord(
        app=app,
        site_id=f"site-{rng.randint(1, 12):03d}",
        user=f"u-{rng.randint(1, 200)}",
        request_id=secrets.token_hex(8),
        cache=cache,
        status="error" if error else "ok",
        error_code=pick(rng, ERRORS) if error else None,
        attempts=rng.randint(1, 3) if upstream else 0,
        tokens={
            "input_tokens": tin,
            "output_tokens": tout,
            "models": {"qwen-plus": {"input_tokens": tin, "output_tokens": tout}},
        },
        latency_ms={
            "total": round(total, 1),
            "upstream": round(total * 0.95, 1) if upstream else None,
            "upstream_ttfb": None,
            "overhead": round(total * 0.05, 1) if upstream else None,
        },
        prompt_version="v1",
        upstream_request_id=secrets.token_hex(8) if upstream else None,
        at=at,
        id=f"r{int(at * 1000):012x}{secrets.token_hex(5)}",
    )  # the id is minted when `at` is


def timestamps(rng: random.Random, now: datetime, days: int, per_day: int) -> list[float]:
    """``days × per_day`` instants ending at ``now``, spread over the hours by ``HOURLY``."""
    weights = [HOURLY[(h + 8) % 24] for h in range(24)]  # index = UTC hour
    start = now - timedelta(days=days)
    out = []
    for _ in range(days * per_day):
        offset = rng.random() * days * 86400
        instant = start + timedelta(seconds=offset)
        if rng.random() * max(weights) <= weights[instant.hour]:
            out.append(instant.timestamp())
    while len(out) < days * per_day:  # top up the rejected draws uniformly
        out.append((start + timedelta(seconds=rng.random() * days * 86400)).timestamp())
    return sorted(out)


def seed(store: FileStore, records: list[runlog.RunRecord], workers: int) -> float:
    started = time.perf_counter()
    step = max(1, len(records) // 10)
    with ThreadPoolExecutor(workers) as pool:
        for done, _ in enumerate(pool.map(lambda r: runlog.write(store, r), records), 1):
            if done % step == 0:
                print(f"seeded {done}/{len(records)} ({time.perf_counter() - started:.1f}s)", file=sys.stderr)
    return time.perf_counter() - started


def dashboard_call(token: str, days: int) -> tuple[float, dict[str, Any]]:
    event = {
        "version": "v1",
        "rawPath": "/admin/dashboard",
        "headers": {"Authorization": f"Bearer {token}"},
        "queryParameters": {"days": str(days)},
        "body": "",
        "isBase64Encoded": False,
        "requestContext": {
            "requestId": secrets.token_hex(8),
            "http": {"method": "GET", "path": "/admin/dashboard"},
        },
    }
    started = time.perf_counter()
    out = admin_function.handler(json.dumps(event).encode(), fake_context())
    elapsed = (time.perf_counter() - started) * 1000
    if out["statusCode"] != 200:
        raise RuntimeError(f"dashboard answered {out['statusCode']}: {out['body'][:500]}")
    body = base64.b64decode(out["body"]) if out["isBase64Encoded"] else out["body"]
    return elapsed, json.loads(body)


def percentile_check(
    records: list[runlog.RunRecord], body: dict[str, Any], start: datetime
) -> dict[str, Any]:
    """Observed error of the histogram p50/p95 against the exact ones over the dashboard's window."""
    values = [r.latency_ms["total"] for r in records if r.at >= start.timestamp()]
    out: dict[str, Any] = {
        "bound": round(RELATIVE_ERROR, 4),
        "calls_match": len(values) == body["total"]["calls"],
    }
    for q, name in ((0.5, "p50"), (0.95, "p95")):
        exact = exact_percentile(values, q)
        got = body["total"]["latency_ms"][name]
        out[name] = {"exact": exact, "reported": got, "relative_error": round(abs(got - exact) / exact, 4)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--skip-cold", action="store_true", help="skip the cold (no roll-ups) dashboard")
    parser.add_argument("--keep", action="store_true", help="keep the temp store and print its path")
    args = parser.parse_args()

    rng = random.Random(20260310)
    now = datetime.now(timezone.utc)
    root = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    store = FileStore(root)
    try:
        records = [make_record(rng, at) for at in timestamps(rng, now, args.days, args.per_day)]
        seed_seconds = seed(store, records, args.workers)

        settings = Settings(store_url=f"file://{root}", auth_jwt_secret=SECRET)
        calendar = BusinessCalendar.from_settings(settings)
        admin_function.configure(AdminFunction.build(settings, store, wall=lambda: now))
        token = Authenticator(SECRET, settings.auth_issuer, settings.auth_audience).mint(
            "bench",
            "site-001",
            "admin",
            platform=True,  # the all-sites view: every record counts
        )

        started = time.perf_counter()
        pending = rollup_pending(store, now, since=now - timedelta(days=args.days + 1))
        # The timer job's second part: fold each closed business day into its daily roll-up.
        pending.update(daily_pending(store, calendar, now, since=now - timedelta(days=args.days)))
        rollup_seconds = time.perf_counter() - started
        print(f"rollup_pending: {pending}", file=sys.stderr)

        rolled = [dashboard_call(token, args.days) for _ in range(args.runs)]
        # Baseline, same run: what the dashboard read before daily roll-ups (every hour of the window).
        hourly_ms = []
        for _ in range(args.runs):
            began = time.perf_counter()
            load_hours(store, Window.of(calendar, now, args.days).hours, now)
            hourly_ms.append((time.perf_counter() - began) * 1000)
        rolled_ms = [ms for ms, _ in rolled]
        body = rolled[-1][1]
        result: dict[str, Any] = {
            "bench": "admin_dashboard",
            "store": "file",
            "records": len(records),
            "days": args.days,
            "per_day": args.per_day,
            "seed": {
                "seconds": round(seed_seconds, 2),
                "records_per_second": round(len(records) / seed_seconds),
                "workers": args.workers,
            },
            "rollup_pending": {**pending, "wall_seconds": round(rollup_seconds, 2)},
            "dashboard_rolled_ms": {
                "median": round(statistics.median(rolled_ms), 1),
                "runs": [round(ms, 1) for ms in rolled_ms],
                "rollups": body["rollups"],
            },
            "hourly_rollups_only_ms": {
                "median": round(statistics.median(hourly_ms), 1),
                "what": "reading and parsing every hourly roll-up of the window (the dashboard before daily roll-ups; no summing)",
            },
            "target_ms": TARGET_MS,
            "meets_target": statistics.median(rolled_ms) <= TARGET_MS,
            "percentiles": percentile_check(records, body, Window.of(calendar, now, args.days).hours[0]),
        }
        if not args.skip_cold:
            shutil.rmtree(root / "rollups")
            cold_ms, cold = dashboard_call(token, args.days)
            result["dashboard_cold_ms"] = {"single_run": round(cold_ms, 1), "rollups": cold["rollups"]}
            result["cold_and_rolled_agree"] = (
                cold["by_day"] == body["by_day"] and cold["total"] == body["total"]
            )
        result["ratios"] = {
            "rolled_over_target": round(statistics.median(rolled_ms) / TARGET_MS, 3),
            "rolled_over_hourly_only": round(statistics.median(rolled_ms) / statistics.median(hourly_ms), 3),
            **(
                {
                    "cold_over_rolled": round(
                        result["dashboard_cold_ms"]["single_run"] / statistics.median(rolled_ms), 1
                    )
                }
                if "dashboard_cold_ms" in result
                else {}
            ),
        }
        result["platform"] = {"python": platform.python_version(), "machine": platform.machine()}
        if args.keep:
            result["store_path"] = str(root)
        print(json.dumps(result, indent=2))
    finally:
        admin_function.configure(None)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
