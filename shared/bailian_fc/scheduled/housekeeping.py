"""Retention: what bailian-fc writes is deleted once its period is over, a bounded amount per tick.

The ``cache_housekeeping`` job (seeded enabled, 04:00 in the venue zone) runs the retention rules
each room declares next to the code that writes its keys (``RETENTION`` lists of
:class:`~bailian_fc.retention.RetentionRule`), in the order of :data:`ROOMS`; a new room adds its
line there. Today's areas::

    runlog-index/{date}/{hour}/…            RETENTION_RUN_LOG_DAYS, swept before the records, so an
                                            index entry never outlives its record (runlog/retention.py)
    runlogs/{date}/{hour}/{id}.json         RETENTION_RUN_LOG_DAYS (hourly roll-ups are kept)
    runlog-traces/{date}/…, runlog-feedback/{date}/…
                                            RUNLOG_PAYLOAD_RETENTION_DAYS (runlog/trace.py, feedback.py)
    budget-spend/{business date}/…          eight days (runlog/budget.py)
    budget-overrides/{site}/{id}.json       RETENTION_AUDIT_DAYS, never the version in force
    alerts/{date}/…                         seven days (scheduled/alerts.py: sent-once claims)
    runtime/audit/{id}.json                 RETENTION_AUDIT_DAYS (clock.py)
    jobs/queue-claims/{queue id}/…          RETENTION_CLAIM_DAYS (jobs/retention.py)
    jobs/runs/{job}/v2/{month}/{day}/{id}.json RETENTION_JOB_RUN_DAYS
    jobs/claims/{job}/{slot}…, jobs/resume/{job}/{slot}.json
                                            RETENTION_CLAIM_DAYS (slots long past: nobody claims them again)
    jobs/rate/{job}/{window}-{n}.json       one day (a ticket matters only in its window)
    cache/…                                 past the app's stale window (apps/retention.py)
    leases/…                                expired an hour ago (cache.py)
    .tmp-* files (file store only)          RETENTION_TMP_HOURS (a writer killed mid-put; store/file.py)
    chat/…                                  the chat room's own sweeper (chat/housekeeping.py)

Bounded and resumable: each tick spends at most ``budget`` store operations (plus the delete of the
key in hand); when it runs out it saves where it stopped as the run's resume point and the next tick
continues (the dispatcher's continuation). Site-aware: cache entries are judged against their own
app's windows, one site's data never against another's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from itertools import groupby
from typing import Any

from .. import cache as cache_room
from .. import clock as clock_room
from ..apps import retention as apps_room
from ..chat import housekeeping as chat_room
from ..jobs import retention as jobs_room
from ..jobs.dispatcher import JobRun
from ..retention import RetentionRule, Sweep
from ..runlog import budget as budget_room
from ..runlog import retention as runlog_room
from ..settings import Settings
from ..store import Store
from ..store import file as store_room
from . import alerts as alerts_room

log = logging.getLogger("bailian_fc.scheduled")

# Each room's retention rules, swept in this order (the run log's index before its records).
ROOMS: tuple[Sequence[RetentionRule], ...] = (
    runlog_room.RETENTION,
    clock_room.RETENTION,
    jobs_room.RETENTION,
    apps_room.RETENTION,
    budget_room.RETENTION,
    cache_room.RETENTION,
    store_room.RETENTION,
    chat_room.RETENTION,
    alerts_room.RETENTION,
)


def expand(rules: Sequence[RetentionRule], store: Store) -> list[RetentionRule]:
    """The rules with per-name ones repeated for each name (a run of rules sharing ``per`` goes
    name by name: every area of one job, then the next job's)."""
    areas: list[RetentionRule] = []
    for per, run in groupby(rules, key=lambda rule: rule.per):
        group = list(run)
        if per is None:
            areas += group
        else:
            areas += [rule.expanded(name) for name in per(store) for rule in group]
    return areas


class Housekeeping:
    """The retention sweep; ``__call__`` is the job handler."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        wall: Callable[[], float] = time.time,
        rooms: Sequence[Sequence[RetentionRule]] = ROOMS,
    ) -> None:
        self.store = store
        self.settings = settings
        self.wall = wall
        self.rooms = rooms

    def areas(self) -> list[RetentionRule]:
        return expand([rule for room in self.rooms for rule in room], self.store)

    def __call__(self, run: JobRun) -> dict[str, Any]:
        budget = int(run.payload.get("budget") or self.settings.housekeeping_budget)
        sweep = Sweep(self.store, self.wall(), budget, self.settings)
        cursor = dict(run.resume or {})
        done = self.sweep(sweep, cursor)
        if not done:
            run.save_resume(cursor)
        return {"deleted": sweep.deleted, "operations": sweep.ops, "complete": done, "cursor": cursor}

    def sweep(self, sweep: Sweep, cursor: dict[str, Any]) -> bool:
        """Delete what is past its period, from ``cursor`` on; True when every area is done."""
        finished = set(cursor.get("finished", []))
        for rule in self.areas():
            if rule.name in finished:
                continue
            if sweep.spent or not rule.sweep(sweep, cursor, rule):
                return False
            finished.add(rule.name)
            cursor["finished"] = sorted(finished)
            cursor.pop("after", None)
        return True
