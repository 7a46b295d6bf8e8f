"""The jobs a fresh store starts with.

A Python module rather than a JSON file so it ships inside the wheel and the FC code bundle
without package-data rules. :meth:`JobStore.seed` writes each entry create-only, so an admin's
later edit (a new cron, a disabled job) survives every redeploy; editing this file changes only
stores that have never seen the job.
"""

from __future__ import annotations

from typing import Any

DEFAULT_JOBS: tuple[dict[str, Any], ...] = (
    {
        "name": "app2_prewarm",
        # 07:30 in the venue zone: the cache is warm before the 08:00 business-day start.
        "cron": "0 30 7 * * *",
        "tz": "Asia/Shanghai",
        "enabled": True,
        "payload": {},
        "description": "Compute App2 finance insights for every filter of every site before the day starts.",
    },
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
