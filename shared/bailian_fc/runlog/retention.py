"""The run log's retention: index entries first (an index entry never outlives its record), then the
records; both ``RETENTION_RUN_LOG_DAYS``. Hourly and daily roll-ups are kept."""

from __future__ import annotations

from datetime import datetime, timezone

from ..retention import RetentionRule, days, ordered
from .index import INDEX_PREFIX
from .record import PREFIX


def runlog_time(rest: str) -> float | None:
    """``2024-04-30/23/{id}.json`` (or an index entry ``2024-04-30/23/status/…``) → the hour's start."""
    try:
        return datetime.strptime(rest[:13], "%Y-%m-%d/%H").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


_KEEP = ordered(runlog_time, days("retention_run_log_days"))

RETENTION = [
    RetentionRule("runlog-index", INDEX_PREFIX, _KEEP),
    RetentionRule("runlogs", PREFIX, _KEEP),
]
