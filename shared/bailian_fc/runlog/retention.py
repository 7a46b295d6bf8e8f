"""The run log's retention: index entries first (an index entry never outlives its record), then the
records; both ``RETENTION_RUN_LOG_DAYS``. Hourly and daily roll-ups are kept. Traces and their
ratings go sooner, by their date: ``RUNLOG_PAYLOAD_RETENTION_DAYS``."""

from __future__ import annotations

from datetime import datetime, timezone

from ..retention import RetentionRule, ordered
from .feedback import FEEDBACK_PREFIX
from .index import INDEX_PREFIX
from .record import PREFIX
from .trace import TRACE_PREFIX


def runlog_time(rest: str) -> float | None:
    """``2024-04-30/23/{id}.json`` (or an index entry ``2024-04-30/23/status/…``) → the hour's start."""
    try:
        return datetime.strptime(rest[:13], "%Y-%m-%d/%H").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


def day_time(rest: str) -> float | None:
    """``2024-04-30/…`` (a trace or a rating) → the end of that UTC day (so a day is kept whole for
    at least the period)."""
    try:
        return datetime.strptime(rest[:10], "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp() + 86400
    except ValueError:
        return None


RETENTION = [
    RetentionRule("runlog-feedback", FEEDBACK_PREFIX, ordered(day_time), "runlog_payload_retention_days"),
    RetentionRule("runlog-traces", TRACE_PREFIX, ordered(day_time), "runlog_payload_retention_days"),
    RetentionRule("runlog-index", INDEX_PREFIX, ordered(runlog_time), "retention_run_log_days"),
    RetentionRule("runlogs", PREFIX, ordered(runlog_time), "retention_run_log_days"),
]
