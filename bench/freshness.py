"""How far behind the data an App2 answer is, and what following the data costs in model calls.

A simulated business day (injected clocks, no sleeping): the ETL loads today's rows every 15 min
from 10:00 to 02:00 (the next calendar day, still the same business day) for 3 sites; a board
viewer per site opens App2 ``today`` and ``last_7_days`` (area ``all``) every 10 min from 08:00;
the prewarm fires at the day start + 5 min, and (an operator's extra schedule) ticks 5 min after
each load; ``follows_data_daily_prewarm_only`` is the seeded schedule alone. The upstream is a counting fake (the model's text does not matter here), so the figures are
calls, not latency.

Lag of what a viewer sees at time t: 0 when it reflects the newest load by t, else t minus the
time of the first load it does not reflect (how long it has been out of date). Reported for the
figures and for the insight, as p50/p95 over every view, with model calls per site per day, for:

* ``baseline``: today's main before this change, modelled in the same run — an answer (figures
  and insight) is cached per (site, range, area, business day) and served for 6 h (App2's fixed
  ``fresh_seconds``), the prewarm runs once after the day start;
* ``follows_data``: the real ``AppsService`` with default settings — figures read at request time,
  the insight keyed by the data digest, a changed-data miss served the earlier insight while
  another holder computes, within ``APP_INSIGHT_MAX_LAG_SECONDS`` (1800 s).

    python bench/freshness.py [--sites 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import percentile

from bailian_fc.apps.service import AppsService
from bailian_fc.bailian.usage import Usage
from bailian_fc.catalogue.inputs import FinanceFilter
from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc.clock import SandboxClock
from bailian_fc.scheduled.app2 import APP2, APP2A, plan
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore
from bailian_fc.venue.finance import FinanceRow, FinanceStore

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 3, 2)
AREAS = ("大厅", "包厢区", "VIP房")
VIEWED = ("today", "last_7_days")
APPS = (APP2, APP2A)  # what the prewarm computes by default
BASELINE_FRESH_SECONDS = 6 * 3600  # main before this change: App2 and App2a fresh for 6 h


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


LOADS = [at(10) + dt.timedelta(minutes=15 * n) for n in range(int(16 * 60 / 15) + 1)]  # 10:00 .. 02:00
VIEWS = [at(8) + dt.timedelta(minutes=10 * n) for n in range(int(18 * 60 / 10) + 1)]  # 08:00 .. 02:00
DAY_START_PREWARM = at(8, 5)
TICKS = [load + dt.timedelta(minutes=5) for load in LOADS]


class CountingUpstream:
    """Bailian's place: counts calls, answers a valid insight."""

    def __init__(self) -> None:
        self.calls = 0

    def complete(self, app_id: str, *, prompt: str, output_model: Any, **_: Any) -> Any:
        self.calls += 1
        value = output_model.model_validate(
            {"headline": "营收平稳", "tone": "neutral"}
            if "headline" in output_model.model_fields
            else {"summary": "s", "insights": [{"title": "t", "detail": "d", "level": "info"}]}
        )
        return type(
            "Done",
            (),
            {"value": value, "usage": Usage(), "attempts": 1, "request_id": None, "upstream_seconds": 0.0},
        )()

    def close(self) -> None: ...


class World:
    def __init__(self, root: Path, sites: list[str]) -> None:
        self.now = at(7, 0)
        self.sites = sites
        self.store = FileStore(root)
        self.finance = FinanceStore(self.store)
        self.loads = 0
        for site in sites:  # 30 closed days before DAY
            for offset in range(1, 31):
                self.write(
                    site, DAY - dt.timedelta(days=offset), 5000, at(2, 0, DAY - dt.timedelta(days=offset - 1))
                )

    def write(self, site: str, day: dt.date, revenue: int, loaded_at: dt.datetime) -> None:
        rows = [
            FinanceRow(
                site_id=site,
                business_date=day,
                area=a,
                table_revenue=Decimal(revenue + i),
                goods_revenue=0,
                recharge=0,
                consumption=0,
                discount=0,
                table_hours=1.0,
                orders=1,
                customers=1,
            )
            for i, a in enumerate(AREAS)
        ]
        self.finance.write_day(site, day, rows, loaded_at=loaded_at)

    def load(self, when: dt.datetime) -> None:
        self.loads += 1
        for site in self.sites:
            self.write(site, DAY, 100 * self.loads, when)


def lag(now: dt.datetime, reflected: dt.datetime | None) -> float:
    """Seconds the shown value has been out of date at ``now`` (0: it reflects the newest load)."""
    newer = [t for t in LOADS if t <= now and (reflected is None or t > reflected)]
    return (now - newer[0]).total_seconds() if newer else 0.0


def events() -> list[tuple[dt.datetime, int, str]]:
    """(time, order, kind): at one instant a load lands before a tick or view reads it."""
    out = [(t, 0, "load") for t in LOADS] + [(DAY_START_PREWARM, 1, "day_start")]
    out += [(t, 1, "tick") for t in TICKS] + [(t, 2, "view") for t in VIEWS]
    return sorted(out)


def follows_data(root: Path, sites: list[str], *, ticks: bool = True) -> dict[str, Any]:
    world = World(root, sites)
    settings = Settings(store_url=f"file://{root}")
    clock = SandboxClock.from_settings(
        world.store, settings, wall=lambda: world.now.astimezone(dt.timezone.utc)
    )
    upstream = CountingUpstream()
    service = AppsService(settings, world.store, clock, upstream=upstream)  # type: ignore[arg-type]
    service.cache.wall = service.cache.claims.wall = lambda: world.now.timestamp()
    for key in APPS:
        os.environ.setdefault(f"BAILIAN_APP_ID_{key.upper()}", f"bench-{key}")
    figures_lag, insight_lag = [], []
    by_kind = {"view": 0, "day_start": 0, "tick": 0}
    for when, _, kind in events():
        world.now = when
        before = upstream.calls
        if kind == "load":
            world.load(when)
        elif kind == "tick" and not ticks:
            continue
        elif kind in ("day_start", "tick"):
            for item in plan(service.venue, service.clock, sites, list(APPS)):
                spec = CATALOGUE[item.app]
                data = FinanceFilter(range=item.range, area=item.area)  # type: ignore[arg-type]
                if not service.is_fresh(spec, data, item.site_id):
                    service.resolve(spec, data, item.site_id)
        else:
            for site in sites:
                for name in VIEWED:
                    outcome = service.resolve(CATALOGUE["app2_finance"], FinanceFilter(range=name), site)  # type: ignore[arg-type]
                    shown = outcome.basis.data_as_of if outcome.basis else None
                    insight = (outcome.entry.meta or {}).get("data_as_of")
                    figures_lag.append(lag(when, _time(shown)))
                    insight_lag.append(lag(when, _time(insight)))
        if kind in by_kind:
            by_kind[kind] += upstream.calls - before
    summary = _summary(figures_lag, insight_lag, upstream.calls, len(sites))
    summary["model_calls_per_site_by_trigger"] = {k: round(v / len(sites), 1) for k, v in by_kind.items()}
    return summary


def baseline(root: Path, sites: list[str]) -> dict[str, Any]:
    """Main before this change, modelled: one entry per (site, range, area, day), fresh for 6 h,
    figures and insight from the same cached copy; the prewarm once after the day start."""
    world = World(root, sites)
    cache: dict[tuple[str, str, str], tuple[dt.datetime, dt.datetime | None]] = {}  # -> (generated, data)
    calls = 0
    newest: dt.datetime | None = None
    filters = [
        (r, a)
        for r in CATALOGUE["app2_finance"].input_model.model_fields["range"].annotation.__args__
        for a in ("all", *AREAS)
    ]

    def resolve(site: str, range_: str, area: str, app: str) -> tuple[dt.datetime, dt.datetime | None]:
        nonlocal calls
        key = (site, f"{app}:{range_}", area)
        hit = cache.get(key)
        if hit is None or (world.now - hit[0]).total_seconds() >= BASELINE_FRESH_SECONDS:
            calls += 1
            cache[key] = hit = (world.now, newest)
        return hit

    figures_lag, insight_lag = [], []
    for when, _, kind in events():
        world.now = when
        if kind == "load":
            world.load(when)
            newest = when
        elif kind == "day_start":
            for site in sites:
                for range_, area in filters:
                    for app in APPS:
                        resolve(site, range_, area, app)
        elif kind == "view":
            for site in sites:
                for name in VIEWED:
                    _, data = resolve(site, name, "all", "app2_finance")
                    figures_lag.append(lag(when, data))
                    insight_lag.append(lag(when, data))
    return _summary(figures_lag, insight_lag, calls, len(sites))


def _time(iso: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(iso) if iso else None


def _summary(figures: list[float], insight: list[float], calls: int, sites: int) -> dict[str, Any]:
    return {
        "figures_lag_s": {
            "p50": percentile(figures, 50),
            "p95": percentile(figures, 95),
            "max": max(figures),
        },
        "insight_lag_s": {
            "p50": percentile(insight, 50),
            "p95": percentile(insight, 95),
            "max": max(insight),
        },
        "model_calls_per_site_per_day": round(calls / sites, 1),
        "views": len(figures),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=3)
    args = parser.parse_args()
    sites = [f"site-{n:03d}" for n in range(1, args.sites + 1)]
    with tempfile.TemporaryDirectory() as tmp:
        before = baseline(Path(tmp) / "baseline", sites)
        after = follows_data(Path(tmp) / "follows", sites)
        daily = follows_data(Path(tmp) / "daily", sites, ticks=False)
    print(
        json.dumps(
            {
                "sites": len(sites),
                "loads": len(LOADS),
                "insight_max_lag_seconds": Settings().app_insight_max_lag_seconds,
                "baseline": before,
                "follows_data": after,  # with a prewarm tick 5 min after each load
                "follows_data_daily_prewarm_only": daily,  # the seeded schedule: views recompute
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
