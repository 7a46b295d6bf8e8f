"""Venue data per adapter: App2's cache-miss overhead before the upstream call, App3's clue load,
and the prewarm's site/area discovery, on 3 sites × 6 areas × 400 days.

* App2 miss overhead: App2's context loader (``app2_finance.finance_view``) (areas check, current and comparison period
  rows, summaries) plus the prompt build, for every (range × area) filter of every site, with the
  context's short read memo cleared each time (a miss reads the data); p50/p95/p99 of 3 passes.
* App3: its loader (``app3_clue_detail.clue_view``) (clue, customer, staff, visits, purchases, follow-ups) plus the prompt build.
* discovery: ``sites()`` and ``areas()`` of each site, as the prewarm plans its items.

The embedded dataset (file store, the default) is the baseline measured in the same run; the
PostgreSQL adapter reads a throwaway local cluster over loopback TCP (the function's login, RLS on).
Target: PostgreSQL read + prompt build ≤ 15 ms p95.

    python bench/data_source.py [--days 400]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "shared"))

import psycopg  # noqa: E402

from bailian_fc.apps.basis import data_digest  # noqa: E402
from bailian_fc.apps.service import AppsService  # noqa: E402
from bailian_fc.catalogue.apps.app3_clue_detail import ClueRef  # noqa: E402
from bailian_fc.catalogue.inputs import FinanceFilter  # noqa: E402
from bailian_fc.catalogue.registry import CATALOGUE  # noqa: E402
from bailian_fc.clock import SandboxClock  # noqa: E402
from bailian_fc.scheduled.app2 import APP2, plan  # noqa: E402
from bailian_fc.settings import Settings  # noqa: E402
from bailian_fc.store import FileStore  # noqa: E402
from bailian_fc.venue.embedded import EmbeddedVenueData  # noqa: E402
from bailian_fc.venue.postgres import PostgresVenueData  # noqa: E402
from bailian_fc.venue.ranges import RANGES  # noqa: E402
from bailian_fc_tools.db.migrations import migrate  # noqa: E402
from bailian_fc_tools.db.pg_writer import PostgresWriter  # noqa: E402
from bailian_fc_tools.db.pgtemp import TempCluster  # noqa: E402
from bailian_fc_tools.demo.finance import AREA_KINDS, generate  # noqa: E402

SITES = 3
READER = "bench_reader"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))], 3)


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def measure(service: AppsService, sites: list[str], passes: int) -> dict[str, Any]:
    context, app2, app3 = service.context, CATALOGUE["app2_finance"], CATALOGUE["app3_clue_detail"]
    today = service.clock.business_date()
    filters = [
        (site, FinanceFilter(range=r, area=a))  # type: ignore[arg-type]
        for site in sites
        for r in RANGES
        for a in ["all", *service.venue.areas(site, upper_bound=today)]
    ]

    def miss(site: str, data: FinanceFilter) -> None:
        # what every App2 request now reads before its cache lookup (figures are live and the data
        # digest keys the answer), plus the prompt a miss builds
        context._reads.clear()
        view = context.load(app2, data, site)
        data_digest(view)
        app2.prompt(data, view)  # type: ignore[misc]

    app2_ms = [timed(lambda s=site, d=data: miss(s, d)) for _ in range(passes) for site, data in filters]
    clues = [(site, ClueRef(clue_id=f"cl-{site[-3:]}-{n:03d}")) for site in sites for n in range(1, 13)]
    app3_ms = [
        timed(lambda s=site, c=ref: app3.prompt(c, context.load(app3, c, s)))  # type: ignore[misc]
        for _ in range(passes)
        for site, ref in clues
    ]
    discovery_ms = [
        timed(lambda: plan(service.venue, service.clock, service.venue.sites(), [APP2])) for _ in range(20)
    ]
    items = len(plan(service.venue, service.clock, service.venue.sites(), [APP2]))
    return {
        "app2_miss_overhead_ms": {
            "n": len(app2_ms),
            "p50": pct(app2_ms, 50),
            "p95": pct(app2_ms, 95),
            "p99": pct(app2_ms, 99),
        },
        "app3_clue_load_ms": {"n": len(app3_ms), "p50": pct(app3_ms, 50), "p95": pct(app3_ms, 95)},
        "prewarm_discovery_ms": {
            "median": pct(discovery_ms, 50),
            "max": pct(discovery_ms, 100),
            "items_planned": items,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=400)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, TempCluster() as cluster:
        store = FileStore(tmp)
        settings = Settings(store_url=f"file://{tmp}", auth_jwt_secret="b" * 40)
        clock = SandboxClock.from_settings(store, settings)
        end = clock.business_date()
        began = time.perf_counter()
        generate(store, sites=SITES, days=args.days, end=end, every_area=True)
        fill_embedded_s = time.perf_counter() - began
        with psycopg.connect(cluster.url(), autocommit=True) as admin:
            migrate(admin, ROOT / "db" / "migrations")
            admin.execute(f"CREATE ROLE {READER} LOGIN IN ROLE bailian_ai_read")
            began = time.perf_counter()
            generate(PostgresWriter(admin), sites=SITES, days=args.days, end=end, every_area=True)
            fill_pg_s = time.perf_counter() - began
            admin.execute("VACUUM ANALYZE")
            rows = admin.execute("SELECT count(*) FROM dws.finance_area_daily").fetchone()[0]
        embedded = EmbeddedVenueData(store)
        pg = PostgresVenueData(cluster.url(READER))
        sites = embedded.sites()
        results = {}
        for name, venue in (("embedded", embedded), ("postgresql", pg)):
            service = AppsService(settings, store, clock, venue=venue)
            results[name] = measure(service, sites, args.passes)
        pg.close()
    base, pgr = results["embedded"], results["postgresql"]
    print(
        json.dumps(
            {
                "data": {
                    "sites": SITES,
                    "areas_per_site": len(AREA_KINDS),
                    "days": args.days,
                    "finance_rows": rows,
                    "fill_seconds": {
                        "embedded": round(fill_embedded_s, 2),
                        "postgresql": round(fill_pg_s, 2),
                    },
                },
                **results,
                "ratio_postgresql_over_embedded": {
                    "app2_p95": round(
                        pgr["app2_miss_overhead_ms"]["p95"] / base["app2_miss_overhead_ms"]["p95"], 3
                    ),
                    "app3_p95": round(pgr["app3_clue_load_ms"]["p95"] / base["app3_clue_load_ms"]["p95"], 3),
                    "discovery_median": round(
                        pgr["prewarm_discovery_ms"]["median"] / base["prewarm_discovery_ms"]["median"], 3
                    ),
                },
                "target_app2_p95_ms": 15,
                "postgresql_meets_target": pgr["app2_miss_overhead_ms"]["p95"] <= 15,
            },
            indent=2,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
