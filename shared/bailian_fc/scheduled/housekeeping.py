"""Retention: what bailian-fc writes is deleted once its period is over, a bounded amount per tick.

The ``cache_housekeeping`` job (seeded enabled, 04:00 in the venue zone) walks these areas in
order; each has a prefix whose keys list in time order, so a sweep deletes from the oldest key
and stops at the first one inside the period (no scan of what is kept)::

    runlog-index/{date}/{hour}/…            RETENTION_RUN_LOG_DAYS, swept before the records, so an
                                            index entry never outlives its record
    runlogs/{date}/{hour}/{id}.json         RETENTION_RUN_LOG_DAYS (hourly roll-ups are kept)
    jobs/runs/{job}/v2/{month}/{day}/{id}.json RETENTION_JOB_RUN_DAYS
    jobs/claims/{job}/{slot}…, jobs/resume/{job}/{slot}.json
                                            RETENTION_CLAIM_DAYS (slots long past: nobody claims them again)
    jobs/queue-claims/{queue id}/…          RETENTION_CLAIM_DAYS
    jobs/rate/{job}/{window}-{n}.json       one day (a ticket matters only in its window)
    runtime/audit/{id}.json                 RETENTION_AUDIT_DAYS
    cache/… and leases/…                    past the app's stale window / expired an hour ago
    .tmp-* files (file store only)          RETENTION_TMP_HOURS (a writer killed mid-put)

Bounded and resumable: each tick spends at most ``budget`` store operations (plus the delete of the
key in hand); when it runs out it
saves where it stopped as the run's resume point and the next tick continues (the dispatcher's
continuation). Site-aware: cache entries are judged against their own app's windows, one site's
data never against another's. Conversations are swept by the chat room's own sweeper
(:func:`bailian_fc.chat.housekeeping.sweep_conversations`), within the same budget.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from typing import Any

from ..cache import ResultCache
from ..catalogue.registry import CATALOGUE
from ..ids import ID_RE
from ..jobs.dispatcher import JobRun
from ..jobs.store import DEFS_PREFIX
from ..runlog.index import INDEX_PREFIX
from ..settings import Settings
from ..store import FileStore, Store

log = logging.getLogger("bailian_fc.scheduled")

DAY = 86400.0


# What the chat sweeper counts that deleted something (it also adopts and re-indexes).
CHAT_DELETIONS = ("orphans_removed", "tombstones_removed", "expired", "deleted_rest", "index_removed")


@dataclass
class Sweep:
    """One tick's allowance: ``budget`` store operations, then stop and save the cursor."""

    store: Store
    now: float
    budget: int
    deleted: int = 0
    ops: int = 0

    @property
    def spent(self) -> bool:
        return self.ops >= self.budget

    def keys(self, prefix: str, after: str) -> Iterator[str]:
        for key in self.store.iter_keys(prefix, start_after=after):
            self.ops += 1
            yield key

    def delete(self, key: str) -> None:
        self.store.delete(key)
        self.ops += 1
        self.deleted += 1


def id_time(name: str) -> float | None:
    """Epoch seconds of a time-ordered id (``j0190…``, after any bucket folders), or None."""
    stem = name.rsplit("/", 1)[-1].removesuffix(".json")
    return int(stem[1:13], 16) / 1000 if ID_RE.match(stem) else None


def slot_time(stamp: str) -> float | None:
    """Epoch seconds of a ``20240430T233000Z`` slot stamp (a claim tag may follow)."""
    try:
        return datetime.strptime(stamp[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


def runlog_time(rest: str) -> float | None:
    """``2024-04-30/23/{id}.json`` (or an index entry ``2024-04-30/23/status/…``) → the hour's start."""
    try:
        return datetime.strptime(rest[:13], "%Y-%m-%d/%H").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


class Housekeeping:
    """The retention sweep; ``__call__`` is the job handler."""

    def __init__(self, store: Store, settings: Settings, *, wall: Callable[[], float] = time.time) -> None:
        self.store = store
        self.settings = settings
        self.wall = wall

    def areas(self, now: float) -> list[tuple[str, str, Callable[[str], float | None], float]]:
        """(name, prefix, key → time, cutoff): keys under prefix older than cutoff go."""
        s = self.settings
        areas: list[tuple[str, str, Callable[[str], float | None], float]] = [
            ("runlog-index", INDEX_PREFIX, runlog_time, now - s.retention_run_log_days * DAY),
            ("runlogs", "runlogs/", runlog_time, now - s.retention_run_log_days * DAY),
            ("audit", "runtime/audit/", id_time, now - s.retention_audit_days * DAY),
            ("queue-claims", "jobs/queue-claims/", lambda rest: id_time(rest.split("/")[0]),
             now - s.retention_claim_days * DAY),
        ]  # fmt: skip
        for job in self._job_names():
            areas += [
                (f"runs:{job}", f"jobs/runs/{job}/", id_time, now - s.retention_job_run_days * DAY),
                (f"claims:{job}", f"jobs/claims/{job}/", slot_time, now - s.retention_claim_days * DAY),
                (f"resume:{job}", f"jobs/resume/{job}/", slot_time, now - s.retention_claim_days * DAY),
                (f"rate:{job}", f"jobs/rate/{job}/", _window_time, now - DAY),
            ]
        return areas

    def __call__(self, run: JobRun) -> dict[str, Any]:
        budget = int(run.payload.get("budget") or self.settings.housekeeping_budget)
        sweep = Sweep(self.store, self.wall(), budget)
        cursor = dict(run.resume or {})
        done = self.sweep(sweep, cursor)
        if not done:
            run.save_resume(cursor)
        return {"deleted": sweep.deleted, "operations": sweep.ops, "complete": done, "cursor": cursor}

    def sweep(self, sweep: Sweep, cursor: dict[str, Any]) -> bool:
        """Delete what is past its period, from ``cursor`` on; True when every area is done."""
        finished = set(cursor.get("finished", []))
        steps: list[tuple[str, Callable[[Sweep, dict[str, Any]], bool]]] = [
            (name, partial(self._sweep_ordered, prefix=prefix, when=when, cutoff=cutoff, name=name))
            for name, prefix, when, cutoff in self.areas(sweep.now)
        ]
        steps += [
            ("cache", partial(self._sweep_each, prefix="cache/", name="cache", gone=self._cache_gone)),
            ("leases", partial(self._sweep_each, prefix="leases/", name="leases", gone=self._lease_gone)),
            ("tmp", self._sweep_tmp),
            ("chat", self._sweep_chat),
        ]
        for name, step in steps:
            if name in finished:
                continue
            if sweep.spent or not step(sweep, cursor):
                return False
            finished.add(name)
            cursor["finished"] = sorted(finished)
            cursor.pop("after", None)
        return True

    def _sweep_ordered(
        self, sweep: Sweep, cursor: dict[str, Any], *, prefix: str, when: Callable[[str], float | None],
        cutoff: float, name: str,
    ) -> bool:  # fmt: skip
        """Keys in time order: delete from the oldest, stop at the first one inside the period."""
        after = cursor.get("after", "") if cursor.get("area") == name else ""
        cursor["area"] = name
        for key in sweep.keys(prefix, after):
            at = when(key[len(prefix) :])
            if at is not None and at >= cutoff:
                return True  # everything after this key is newer: kept, and never listed
            if at is not None:
                sweep.delete(key)
            cursor["after"] = key
            if sweep.spent:
                return False
        return True

    def _sweep_each(
        self,
        sweep: Sweep,
        cursor: dict[str, Any],
        *,
        prefix: str,
        name: str,
        gone: Callable[[str, float], bool],
    ) -> bool:
        """Keys judged one by one (cache entries: each against its own app's windows)."""
        after = cursor.get("after", "") if cursor.get("area") == name else ""
        cursor["area"] = name
        for key in sweep.keys(prefix, after):
            if gone(key, sweep.now):
                sweep.delete(key)
            cursor["after"] = key
            if sweep.spent:
                return False
        return True

    def _cache_gone(self, key: str, now: float) -> bool:
        spec = CATALOGUE.get(key.split("/")[1])
        entry = ResultCache(self.store).get(key)
        return spec is None or entry is None or entry.age(now) > spec.fresh_seconds + spec.stale_seconds

    def _lease_gone(self, key: str, now: float) -> bool:
        try:
            lease = self.store.get_json(key)
        except ValueError:
            return True
        return not isinstance(lease, dict) or float(lease.get("expires_at") or 0) < now - 3600

    def _sweep_tmp(self, sweep: Sweep, cursor: dict[str, Any]) -> bool:
        """Temporary files a killed writer left behind (only the file store has any)."""
        if not isinstance(self.store, FileStore):
            return True
        cutoff = sweep.now - self.settings.retention_tmp_hours * 3600
        for path in self.store.temp_files():
            sweep.ops += 1
            try:
                if path.stat().st_mtime < cutoff:
                    os.unlink(path)
                    sweep.deleted += 1
            except FileNotFoundError:
                pass
            if sweep.spent:
                return False
        return True

    def _sweep_chat(self, sweep: Sweep, cursor: dict[str, Any]) -> bool:
        """Conversations, by the chat room's own sweeper: orphans, lost index entries, tombstones, retention."""
        from ..chat.housekeeping import sweep_with_settings

        counts, chat_cursor = sweep_with_settings(
            self.store,
            self.settings,
            now=sweep.now,
            budget=max(sweep.budget - sweep.ops, 0),
            cursor=cursor.get("chat"),
        )
        sweep.deleted += sum(counts.get(what, 0) for what in CHAT_DELETIONS)
        if chat_cursor is None:
            cursor.pop("chat", None)
            return True
        cursor["chat"] = chat_cursor
        return False

    def _job_names(self) -> list[str]:
        names = {key[len(DEFS_PREFIX) : -len(".json")] for key in self.store.list(DEFS_PREFIX)}
        return sorted(names)


def _window_time(rest: str) -> float | None:
    """``{window:012d}-{n}.json``: the window index, at least a second each (see jobs.rate)."""
    head = rest.split("-", 1)[0]
    return float(head) if head.isdigit() else None
