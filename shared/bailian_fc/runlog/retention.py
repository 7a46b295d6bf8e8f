"""The run log's retention: index entries first (an index entry never outlives its record), then the
records; both ``RETENTION_RUN_LOG_DAYS``. Hourly and daily roll-ups are kept."""

from __future__ import annotations

from datetime import datetime, timezone

from ..retention import RetentionRule, ordered
from .index import INDEX_PREFIX
from .record import PREFIX


def runlog_time(rest: str) -> float | None:
    """``2024-04-30/23/{id}.json`` (or an index entry ``2024-04-30/23/status/…``) → the hour's start."""
    try:
        return datetime.strptime(rest[:13], "%Y-%m-%d/%H").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


RETENTION = [
    RetentionRule("runlog-index", INDEX_PREFIX, ordered(runlog_time), "retention_run_log_days"),
    RetentionRule("runlogs", PREFIX, ordered(runlog_time), "retention_run_log_days"),
]
