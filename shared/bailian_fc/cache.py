"""Cache for single-turn results, with single flight on a store that has no compare-and-swap.

Keys: ``cache/<app>/<prompt version>/<site>/<sha256 of the canonical input, site included>.json``.
A new prompt version is a new namespace, so old answers are never served for new wording;
the site segment lets an admin purge one site's entries by prefix.

Entries carry ``generated_at``; within ``fresh_seconds`` they are served as they are, then
for ``stale_seconds`` more only when Bailian fails (``stale: true``).

Single flight: concurrent identical misses make one upstream call. The lock is a
*lease*, a create-only record in a time bucket (``floor(now / lease_seconds)``), so a
holder that crashed cannot block anyone for long: its lease expires, and the next
bucket's key is free to create. Timeline of two instances A and B missing together::

    A: get entry → none      B: get entry → none
    A: lease k → created      B: lease k → exists (A's, not expired) → wait
    A: call Bailian ...       B: poll entry every 100 ms ...
    A: put entry, drop lease  B: entry found → served (cached: true)

    A crashes instead:        B: lease k expires → B takes bucket k+1's lease → calls Bailian

A contender also checks the previous bucket, so a lease taken late in bucket k still
blocks contenders in bucket k+1 until it expires. FC freezes an instance after it
answers, so nothing here runs after the response: a refresh happens on the request that
needs it, or in the prewarm job.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .ids import new_id
from .store import Store


def canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def cache_key(app: str, prompt_version: str, site_id: str, payload: Any) -> str:
    digest = hashlib.sha256(canonical({"site_id": site_id, "input": payload}).encode()).hexdigest()
    return f"cache/{app}/{prompt_version}/{quote(site_id, safe='')}/{digest}.json"


def purge(store: Store, *, app: str | None = None, site_id: str | None = None) -> int:
    """Delete cache entries of one app and/or one site (every prompt version); the count deleted."""
    deleted = 0
    for key in store.list(f"cache/{app}/" if app else "cache/"):
        parts = key.split("/")  # cache, app, version, site, digest
        if len(parts) == 5 and (site_id is None or parts[3] == quote(site_id, safe="")):
            store.delete(key)
            deleted += 1
    return deleted


@dataclass
class Entry:
    value: Any
    generated_at: float
    prompt_version: str
    usage: dict[str, Any]
    request_id: str | None = None
    meta: dict[str, Any] | None = None  # what the answer was computed from (e.g. App2's data bound)

    def age(self, now: float) -> float:
        return now - self.generated_at

    def as_json(self) -> dict[str, Any]:
        return {"value": self.value, "generated_at": self.generated_at, "prompt_version": self.prompt_version,
                "usage": self.usage, "request_id": self.request_id, "meta": self.meta}


class LeaseLost(Exception):
    """Another instance holds the lease and did not finish before our wait ended."""


class ResultCache:
    def __init__(self, store: Store, *, lease_seconds: float = 60.0, poll_seconds: float = 0.1,
                 wall: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> None:
        self.store = store
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.wall = wall
        self.sleep = sleep

    def get(self, key: str) -> Entry | None:
        raw = self.store.get_json(key)
        if not isinstance(raw, dict) or "value" not in raw:
            return None
        return Entry(raw["value"], float(raw["generated_at"]), raw.get("prompt_version", ""), raw.get("usage") or {},
                     raw.get("request_id"), raw.get("meta"))

    def put(self, key: str, entry: Entry) -> None:
        self.store.put_json(key, entry.as_json())

    # -- the lease -----------------------------------------------------------------------------

    def _lease_key(self, key: str, bucket: int) -> str:
        return f"leases/{key.removeprefix('cache/').removesuffix('.json')}/{bucket:012d}.json"

    def _bucket(self, now: float) -> int:
        return int(now // self.lease_seconds)

    def lease_held(self, key: str) -> bool:
        """Whether a live (unexpired) lease exists for ``key``, in this bucket or the previous."""
        now = self.wall()
        bucket = self._bucket(now)
        for b in (bucket, bucket - 1):
            lease = self.store.get_json(self._lease_key(key, b))
            if isinstance(lease, dict) and float(lease.get("expires_at", 0)) > now:
                return True
        return False

    def try_lease(self, key: str) -> str | None:
        """Take the lease for ``key``: the lease's store key, or None when someone holds it."""
        if self.lease_held(key):
            return None
        now = self.wall()
        lease_key = self._lease_key(key, self._bucket(now))
        record = {"holder": new_id("l"), "taken_at": now, "expires_at": now + self.lease_seconds}
        return lease_key if self.store.put_json_if_absent(lease_key, record) else None

    def release(self, lease_key: str) -> None:
        self.store.delete(lease_key)

    def wait_for(self, key: str, newer_than: float, deadline: float) -> Entry | None:
        """Poll for an entry generated after ``newer_than`` while another holder works.

        Returns the entry, or None once the holder's lease is gone (done without an entry,
        or expired) so the caller can take over; raises LeaseLost at ``deadline``.
        """
        while True:
            entry = self.get(key)
            if entry is not None and entry.generated_at >= newer_than:
                return entry
            if not self.lease_held(key):
                # The holder may have written and released between our two reads: look once more.
                entry = self.get(key)
                return entry if entry is not None and entry.generated_at >= newer_than else None
            if self.wall() >= deadline:
                raise LeaseLost(key)
            self.sleep(self.poll_seconds)
