"""Manual job runs queued by the admin API and drained by the prewarm function's next tick.

Why a queue and not a direct call: the admin function has no Bailian key and a short timeout,
and a prewarm run can take minutes; the prewarm function owns running jobs. Each request is a
create-only record, so nothing is read-modify-written (OSS has no compare-and-swap)::

    jobs/queue/{new_id('q')}.json = {"job", "site_id"?, "force", "queued_by", "queued_at"}

Ids are time-ordered, so key order is FIFO order. A drainer takes an entry with
:func:`claim_entry` (a :mod:`claim <bailian_fc.store.claims>` that expires after the drainer's
timeout, so an entry whose drainer crashed is run by a later tick) and ends it with
:func:`finish_entry` (the record first, then the claim, so a finished entry is never re-run)::

    jobs/queue-claims/{queue_id}/…  the claim chain of one entry
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from typing import Any

from ..clock import SITE_ID_PATTERN
from ..ids import new_id
from ..store import Store, StoreError
from ..store.claims import Claim, Claims
from .store import NAME_PATTERN

log = logging.getLogger("bailian_fc.admin")

QUEUE_PREFIX = "jobs/queue/"
CLAIMS_PREFIX = "jobs/queue-claims/"


def queue_key(queue_id: str) -> str:
    return f"{QUEUE_PREFIX}{queue_id}.json"


def queue_run(
    store: Store,
    job: str,
    site_id: str | None,
    force: bool,
    by: str,
    now: datetime | None = None,
    handover: dict[str, str] | None = None,
) -> str:
    """Queue one manual run of ``job``; its queue id. Validates what the drainer will trust."""
    if not re.match(NAME_PATTERN, job):
        raise ValueError(f"invalid job name {job!r}")
    if site_id is not None and not re.match(SITE_ID_PATTERN, site_id):
        raise ValueError(f"invalid site id {site_id!r}")
    at = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    record: dict[str, Any] = {"job": job, "force": bool(force), "queued_by": by, "queued_at": at.isoformat()}
    if site_id is not None:
        record["site_id"] = site_id
    record.update(handover or {})  # the run id and reservation token the run adopts
    for _ in range(3):  # an id clash needs the same millisecond and 40 random bits: retry, never overwrite
        queue_id = new_id("q")
        if store.put_json_if_absent(queue_key(queue_id), record):
            log.info("queued %s for job %s by %s", queue_id, job, by)
            return queue_id
    raise StoreError("could not create a unique queue record")


def list_queue(store: Store) -> list[dict[str, Any]]:
    """Every queued entry, oldest first, each with its ``id``; unreadable entries are skipped."""
    entries = []
    for key in store.list(QUEUE_PREFIX):
        name = key[len(QUEUE_PREFIX) :]
        if "/" in name or not name.endswith(".json"):
            continue  # room for the drainer's own sub-prefixes (e.g. jobs/queue/done/...)
        try:
            raw = store.get_json(key)
        except ValueError:
            log.warning("skipping unreadable queue entry %s", key)
            continue
        if isinstance(raw, dict):
            entries.append({"id": name.removesuffix(".json"), **raw})
    return entries


def claim_entry(store: Store, queue_id: str, holder: str, ttl: float) -> tuple[Claim, dict[str, Any]] | None:
    """Take queue entry ``queue_id`` for ``ttl`` seconds: (claim, record), or None when taken or gone."""
    claims = Claims(store)
    claim = claims.claim(f"{CLAIMS_PREFIX}{queue_id}", ttl=ttl, holder=holder)
    if claim is None:
        return None
    try:
        record = store.get_json(queue_key(queue_id))  # re-read after winning: a finished entry is gone
    except ValueError:
        record = None
    if not isinstance(record, dict):
        claims.release(claim)
        return None
    return claim, record


def finish_entry(store: Store, claim: Claim, queue_id: str) -> None:
    """Remove a run entry, then its claim (a crash in between leaves a claim that just expires)."""
    store.delete(queue_key(queue_id))
    Claims(store).release(claim)
