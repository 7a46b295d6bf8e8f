"""Cache for single-turn results, with single flight on a store that has no compare-and-swap.

Keys: ``cache/<app>/<prompt version>/<site>/<business date>/<clock>/<sha256 of the input>.json``.
A new prompt version is a new namespace, so old answers are never served for new wording;
the site segment lets an admin purge one site's entries by prefix. An answer belongs to one
business day and one clock (docs/business-day.md): the business date and the runtime context
(``live``, or ``sbx-<digest>`` naming the sandbox and its version) come from one
:class:`~bailian_fc.clock.Reading` of the site's clock, so an entry is never fresh past the
site's day start, a sandbox's answers are never seen by live traffic (nor by the next sandbox)
and live answers are never served under a sandbox.

Entries carry ``generated_at``; within ``fresh_seconds`` they are served as they are, then
for ``stale_seconds`` more only when Bailian fails (``stale: true``).

Single flight: concurrent identical misses make one upstream call. The lock is a lease,
a :mod:`claim <bailian_fc.store.claims>` with a short expiry that its holder renews while it
works, so a holder that crashed blocks the others for at most ``lease_seconds``::

    A: get entry → none        B: get entry → none
    A: claim lease → won        B: claim lease → held by A → wait
    A: get entry again → none   B: poll entry every 100 ms ...
    A: call Bailian ...
    A: put entry, release       B: entry found → served (cached: true)

    A crashes instead:          B: A's lease expires → B claims it, re-reads, calls Bailian

The winner reads the entry again after winning: a holder that finished between our first
read and our claim has already written what we were about to ask for. FC freezes an
instance after it answers, so nothing here runs after the response: a refresh happens on
the request that needs it, or in the prewarm job.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .ids import new_id
from .retention import RetentionRule, each
from .store import Store
from .store.claims import Claim, Claims

if TYPE_CHECKING:  # the cache room reads a Reading's fields; it does not import the clock
    from .clock import Reading


def canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


KEY_PARTS = 7  # cache, app, version, site, business date, clock, digest (5: before date and clock)


def cache_key(app: str, prompt_version: str, site_id: str, payload: Any, reading: Reading) -> str:
    """The entry's key for ``payload`` of ``site_id`` as of ``reading`` (the site's clock, read once)."""
    day, clock = reading.business_date.isoformat(), reading.context
    digest = hashlib.sha256(
        canonical({"site_id": site_id, "business_date": day, "clock": clock, "input": payload}).encode()
    ).hexdigest()
    return f"cache/{app}/{prompt_version}/{quote(site_id, safe='')}/{day}/{clock}/{digest}.json"


def purge(store: Store, *, app: str | None = None, site_id: str | None = None) -> int:
    """Delete cache entries of one app and/or one site (every prompt version); the count deleted."""
    deleted = 0
    for key in store.list(f"cache/{app}/" if app else "cache/"):
        parts = key.split("/")
        if len(parts) in (5, KEY_PARTS) and (site_id is None or parts[3] == quote(site_id, safe="")):
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
        return {
            "value": self.value,
            "generated_at": self.generated_at,
            "prompt_version": self.prompt_version,
            "usage": self.usage,
            "request_id": self.request_id,
            "meta": self.meta,
        }


class LeaseLost(Exception):
    """Another instance holds the lease and did not finish before our wait ended."""


class ResultCache:
    def __init__(
        self,
        store: Store,
        *,
        lease_seconds: float = 10.0,
        poll_seconds: float = 0.1,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.wall = wall
        self.sleep = sleep
        self.claims = Claims(store, wall=wall)

    def get(self, key: str) -> Entry | None:
        raw = self.store.get_json(key)
        if not isinstance(raw, dict) or "value" not in raw:
            return None
        return Entry(
            raw["value"],
            float(raw["generated_at"]),
            raw.get("prompt_version", ""),
            raw.get("usage") or {},
            raw.get("request_id"),
            raw.get("meta"),
        )

    def put(self, key: str, entry: Entry) -> None:
        self.store.put_json(key, entry.as_json())

    # -- the lease -----------------------------------------------------------------------------

    @staticmethod
    def lease_base(key: str) -> str:
        return f"leases/{key.removeprefix('cache/').removesuffix('.json')}"

    def lease_held(self, key: str) -> bool:
        """Whether a live (unexpired) lease exists for ``key``."""
        return self.claims.held(self.lease_base(key))

    def try_lease(self, key: str) -> Claim | None:
        """Take the lease for ``key``: the claim, or None when someone holds it."""
        return self.claims.claim(self.lease_base(key), ttl=self.lease_seconds, holder=new_id("l"))

    def holding(self, lease: Claim) -> contextlib.AbstractContextManager[None]:
        """Keep ``lease`` alive while a long upstream call runs."""
        return self.claims.keep_alive(lease, self.lease_seconds)

    def release(self, lease: Claim) -> None:
        self.claims.release(lease)

    def wait_for(self, key: str, wanted: Callable[[Entry], bool], deadline: float) -> Entry | None:
        """Poll for an entry that ``wanted`` accepts while another holder works.

        Returns the entry, or None once the holder's lease is gone (done without an entry,
        or expired) so the caller can claim it; raises LeaseLost at ``deadline``.
        """
        while True:
            entry = self.get(key)
            if entry is not None and wanted(entry):
                return entry
            if not self.lease_held(key):
                return None  # the caller claims next, and re-reads the entry once it wins
            if self.wall() >= deadline:
                raise LeaseLost(key)
            self.sleep(self.poll_seconds)


def _lease_gone(store: Store, key: str, now: float) -> bool:
    """A lease expired over an hour ago (or unreadable): its holder is long gone."""
    try:
        lease = store.get_json(key)
    except ValueError:
        return True
    return not isinstance(lease, dict) or float(lease.get("expires_at") or 0) < now - 3600


RETENTION = [RetentionRule("leases", "leases/", each(_lease_gone))]
