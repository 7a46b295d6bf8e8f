"""The jobs a fresh store starts with.

A Python module rather than a JSON file so it ships inside the wheel and the FC code bundle
without package-data rules. :meth:`JobStore.seed` writes each entry create-only, so an admin's
later edit (a new cron, a disabled job) survives every redeploy; editing this file changes only
stores that have never seen the job.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

AFTER_DAY_START_MINUTES = 5  # the ETL's last rows of the closed day land in the first minutes


def prewarm_cron(day_start: str) -> str:
    """The six-field cron (seconds first) firing daily ``AFTER_DAY_START_MINUTES`` after ``day_start``."""
    hours, minutes = (int(part) for part in day_start.split(":"))
    at = datetime(2000, 1, 1, hours, minutes) + timedelta(minutes=AFTER_DAY_START_MINUTES)
    return f"0 {at.minute} {at.hour} * * *"


def default_jobs(tz: str = "Asia/Shanghai", day_start: str = "08:00") -> tuple[dict[str, Any], ...]:
    """The seeded jobs for a deployment whose business day starts at ``day_start`` in ``tz``.

    The prewarm fires just after the day start (08:05 with the defaults), never before it: what it
    computed before would belong to the closing business day (docs/business-day.md).
    """
    prewarm = {
        "name": "app2_prewarm",
        "cron": prewarm_cron(day_start),
        "tz": tz,
        "enabled": True,
        "payload": {},
        "description": "Compute App2 finance insights for every filter of every site just after the day starts.",
    }
    return (prewarm, *_OTHER_JOBS)


_OTHER_JOBS: tuple[dict[str, Any], ...] = (
    {
        "name": "runlog_rollup",
        "cron": "0 */10 * * * *",
        "tz": "Asia/Shanghai",
        "enabled": True,
        "payload": {},
        "description": "Roll completed hours of run logs up for the admin dashboard.",
    },
    {
        "name": "cache_housekeeping",
        "cron": "0 0 4 * * *",
        "tz": "Asia/Shanghai",
        "enabled": True,
        "payload": {},
        "description": "Retention: delete run logs, job runs, claims, audit records, cache entries and "
        "stray files past their periods (quiet hours; bounded per tick, continued by the next).",
    },
)

DEFAULT_JOBS = default_jobs()  # the defaults' seed; functions seed default_jobs(settings' tz, day start)
