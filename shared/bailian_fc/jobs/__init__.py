"""Trigger jobs: cron schedules, job records in the store, and the timer-tick dispatcher.

``cron`` parses FC-style schedules with croniter; ``store`` keeps jobs, create-only claims,
run records and resume points; ``dispatcher`` turns a timer tick (or a manual event) into at
most one run per (job, slot). ``seed`` holds the jobs a fresh store starts with.
"""

from __future__ import annotations

from .cron import CronError, Schedule, parse, validate_cron
from .dispatcher import Dispatcher, Handler, JobRun
from .events import EventError, decode_event
from .seed import DEFAULT_JOBS
from .store import Job, JobRunRecord, JobStore, ResumeState, next_fire_times, slot_stamp

__all__ = [
    "DEFAULT_JOBS",
    "CronError",
    "Dispatcher",
    "EventError",
    "Handler",
    "Job",
    "JobRun",
    "JobRunRecord",
    "JobStore",
    "ResumeState",
    "Schedule",
    "decode_event",
    "next_fire_times",
    "parse",
    "slot_stamp",
    "validate_cron",
]
