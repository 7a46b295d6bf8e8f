"""The jobs room's retention: queue-entry claims, and per job its runs, slot claims, resume points
and rate tickets. Slots long past are never claimed again; a ticket matters only in its window.

Runs, claims and resume points live under a job's runs key (``Job.runs_key``), for the jobs that
exist and for deleted ones (``jobs/retired/{key}.json``, written by the delete); a retired key's
marker goes once nothing is left under it. Rate tickets are keyed by the job's name."""

from __future__ import annotations

from datetime import datetime, timezone

from ..retention import DAY, RetentionRule, each, id_time, ordered
from ..store import Store
from .queue import CLAIMS_PREFIX
from .rate import RATE_PREFIX
from .store import DEFS_PREFIX, RETIRED_PREFIX, JobStore


def slot_time(stamp: str) -> float | None:
    """Epoch seconds of a ``20240430T233000Z`` slot stamp (a claim tag may follow)."""
    try:
        return datetime.strptime(stamp[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


def window_time(rest: str) -> float | None:
    """``{window:012d}-{n}.json``: the window index, at least a second each (see jobs.rate)."""
    head = rest.split("-", 1)[0]
    return float(head) if head.isdigit() else None


def job_names(store: Store) -> list[str]:
    return sorted({key[len(DEFS_PREFIX) : -len(".json")] for key in store.list(DEFS_PREFIX)})


def runs_keys(store: Store) -> list[str]:
    """The runs keys of every job (one read per job) and of every deleted job still holding records."""
    live = {job.runs_key for job in JobStore(store).list()}
    retired = {key[len(RETIRED_PREFIX) : -len(".json")] for key in store.list(RETIRED_PREFIX)}
    return sorted(live | retired)


_KEYED = ("jobs/runs/{}/", "jobs/claims/{}/", "jobs/resume/{}/")


def retired_emptied(store: Store, key: str, now: float) -> bool:
    """A retired marker goes once its job's runs, claims and resume points are all swept."""
    runs_key = key[len(RETIRED_PREFIX) : -len(".json")]
    return not any(store.list(prefix.format(runs_key), limit=1) for prefix in _KEYED)


_CLAIMS = "retention_claim_days"

RETENTION = [
    RetentionRule("queue-claims", CLAIMS_PREFIX, ordered(lambda rest: id_time(rest.split("/")[0])), _CLAIMS),
    RetentionRule(
        "runs:{name}", "jobs/runs/{name}/", ordered(id_time), "retention_job_run_days", per=runs_keys
    ),
    RetentionRule("claims:{name}", "jobs/claims/{name}/", ordered(slot_time), _CLAIMS, per=runs_keys),
    RetentionRule("resume:{name}", "jobs/resume/{name}/", ordered(slot_time), _CLAIMS, per=runs_keys),
    RetentionRule("retired", RETIRED_PREFIX, each(retired_emptied)),
    RetentionRule(
        "rate:{name}", RATE_PREFIX + "{name}/", ordered(window_time), fixed_seconds=DAY, per=job_names
    ),  # a ticket matters only in its window
]
