"""Who created, changed or removed which job: create-only records, like the runtime-context audit.

Key layout: ``jobs/audit/{new_id('a')}.json`` (ids sort by creation time, so the newest are the last
keys). Records are never overwritten; a job's removal keeps its audit (and its runs) for the record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..ids import new_id
from ..store import Store, StoreError

AUDIT_PREFIX = "jobs/audit/"


def record(store: Store, action: str, job: str, actor: str, at: datetime, **details: Any) -> dict[str, Any]:
    """Write one audit record (``action``: create, update, delete); the record as written."""
    body = {"action": action, "job": job, "actor": actor, "at": at.isoformat(), **details}
    for _ in range(3):  # an id clash needs the same millisecond and 40 random bits: retry, never overwrite
        if store.put_json_if_absent(f"{AUDIT_PREFIX}{new_id('a')}.json", body):
            return body
    raise StoreError("could not create a unique job audit record")


def newest(store: Store, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` records, newest first; unreadable ones are skipped."""
    out: list[dict[str, Any]] = []
    for key in reversed(store.list(AUDIT_PREFIX)):
        if len(out) >= limit:
            break
        try:
            raw = store.get_json(key)
        except ValueError:
            continue
        if isinstance(raw, dict):
            out.append(raw)
    return out
