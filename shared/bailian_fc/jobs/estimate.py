"""How many upstream (Bailian) calls a job would make a day: fires a day × calls a fire.

Fires a day: the cron's fires in the next 24 hours, at most one per timer tick (the prewarm
function ticks ``@every 5m``: 288 a day). Calls a fire, for an App2 prewarm: sites × filters × apps,
where sites × filters is taken from the job's last run over the same scope (its ``total`` items),
or the seeded prewarm's, and else assumed (:data:`ASSUMED_ITEMS_PER_SITE` per site, one site):
the answer says which (``basis``). It is an upper bound: without ``force`` a fresh cache entry is
skipped. Other kinds (roll-up, housekeeping) call no model: 0.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .store import Job, JobStore, next_fire_times

TICKS_PER_DAY = 288  # the timer's @every 5m
ASSUMED_ITEMS_PER_SITE = 8 * 5  # 8 ranges × (all + 4 areas): App2 items of one site
SEEDED_PREWARM = "app2_prewarm"


def fires_per_day(job: Job, now: datetime) -> int:
    horizon = now + timedelta(days=1)
    fires = next_fire_times(job, TICKS_PER_DAY + 1, after=now)
    return min(TICKS_PER_DAY, sum(1 for t in fires if t <= horizon))


def calls_per_fire(job: Job, jobs: JobStore) -> tuple[int, str]:
    if job.handler_kind != "app2_prewarm":
        return 0, "calls no model"
    payload = job.payload or {}
    apps = len(payload.get("apps") or ["app2_finance", "app2a_finance_digest"])
    for name in dict.fromkeys((job.name, SEEDED_PREWARM)):
        run = jobs.last_run(name)
        summary = run.summary if run is not None else {}
        sites, total = summary.get("sites"), summary.get("total")
        if isinstance(sites, list) and sites and isinstance(total, int) and total > 0:
            per_run_apps = 2 if total % 2 == 0 else 1
            per_site = total // per_run_apps // len(sites)
            scope = 1 if payload.get("site_id") else len(sites)
            return per_site * scope * apps, f"last run of {name}: {len(sites)} site(s)"
    return ASSUMED_ITEMS_PER_SITE * apps, "assumed: one site of 40 filters (no run yet)"


def estimate(job: Job, jobs: JobStore, now: datetime) -> dict[str, Any]:
    """``{"calls_per_day", "fires_per_day", "calls_per_fire", "basis"}`` of ``job`` if enabled."""
    fires = fires_per_day(job, now)
    per_fire, basis = calls_per_fire(job, jobs)
    return {
        "calls_per_day": fires * per_fire,
        "fires_per_day": fires,
        "calls_per_fire": per_fire,
        "basis": basis,
    }
