"""One claim primitive: a create-only record with an expiry, checked again after winning.

Used wherever exactly one party may act: cache leases (single flight), job slot claims,
the admin run-now queue drain and conversation tombstones. Like the persistence layer of
an idempotency library, but on a store with no compare-and-swap (OSS): the only atomic
write is *create-only*, so "take it if absent or expired" becomes a chain of generations::

    {base}/00000000.json   first holder (deleted on release)
    {base}/00000001.json   created by whoever found generation 0 expired (its holder crashed)

To claim: list the chain; if its newest record is live, someone holds it. Otherwise create
the next generation create-only (one creator wins each generation on every adapter), then
re-read: the record must be ours, no newer generation may exist and no other record may be
live. Two claimers whose chains diverged (a record deleted between their listings) can then
both lose, never both win; losers delete their record, and callers simply try again.

A claim with ``ttl=None`` never expires (a job slot that ran, a tombstone). A holder that
works longer than its ttl keeps the claim alive with :meth:`Claims.keep_alive`, so the ttl
can stay short and a crashed (SIGKILLed) holder blocks others for at most ttl seconds.
All times come from the injectable ``wall`` clock, so tests expire claims without sleeping.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from ..ids import new_id
from . import Store, StoreError

log = logging.getLogger(__name__)

GENERATION_DIGITS = 8


@dataclass(frozen=True)
class Claim:
    """A claim this process won; pass it to :meth:`Claims.release` / :meth:`Claims.renew`."""

    base: str
    generation: int
    token: str
    holder: str
    taken_at: float
    expires_at: float | None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return generation_key(self.base, self.generation)

    def record(self) -> dict[str, Any]:
        return {
            "holder": self.holder,
            "token": self.token,
            "generation": self.generation,
            "taken_at": self.taken_at,
            "expires_at": self.expires_at,
            "data": self.data,
        }


def generation_key(base: str, generation: int) -> str:
    return f"{base}/{generation:0{GENERATION_DIGITS}d}.json"


def is_live(record: Any, now: float) -> bool:
    """Whether a stored claim record still holds: readable and not past its expiry."""
    if not isinstance(record, dict):
        return False
    expires_at = record.get("expires_at")
    if expires_at is None:
        return True
    try:
        return float(expires_at) > now
    except (TypeError, ValueError):
        return False  # a corrupt record must not block forever


class Claims:
    """Claims under any :class:`Store`; ``wall`` is the clock expiries are read against."""

    def __init__(self, store: Store, *, wall: Callable[[], float] = time.time) -> None:
        self.store = store
        self.wall = wall

    # -- reading ----------------------------------------------------------------------------

    def _chain(self, base: str) -> list[tuple[int, str]]:
        """(generation, key) of every record under ``base``, oldest first; foreign keys ignored."""
        chain = []
        for key in self.store.list(f"{base}/"):
            name = key[len(base) + 1 :]
            stem = name.removesuffix(".json")
            if name.endswith(".json") and len(stem) == GENERATION_DIGITS and stem.isdigit():
                chain.append((int(stem), key))
        return sorted(chain)

    def _read(self, key: str) -> Any:
        try:
            return self.store.get_json(key)
        except ValueError:
            return {"expires_at": 0}  # unreadable: treated as expired, so it can be taken over

    def current(self, base: str) -> dict[str, Any] | None:
        """The newest record under ``base`` if it is live, else None."""
        chain = self._chain(base)
        if not chain:
            return None
        record = self._read(chain[-1][1])
        return record if is_live(record, self.wall()) else None

    def held(self, base: str) -> bool:
        return self.current(base) is not None

    # -- claiming ---------------------------------------------------------------------------

    def claim(
        self, base: str, *, ttl: float | None = None, holder: str = "", data: dict[str, Any] | None = None
    ) -> Claim | None:
        """Take ``base`` for ``ttl`` seconds (None: for good); None when someone else holds it."""
        if base.endswith("/") or not base:
            raise ValueError(f"invalid claim base {base!r}")
        chain = self._chain(base)
        if chain and is_live(self._read(chain[-1][1]), self.wall()):
            return None
        now = self.wall()
        mine = Claim(
            base=base,
            generation=chain[-1][0] + 1 if chain else 0,
            token=new_id("k"),
            holder=holder,
            taken_at=now,
            expires_at=None if ttl is None else now + ttl,
            data=data or {},
        )
        if not self.store.put_json_if_absent(mine.key, mine.record()):
            return None
        if not self._still_mine(mine):
            self._delete_quietly(mine.key)
            return None
        self._sweep(chain, mine)
        return mine

    def _still_mine(self, mine: Claim) -> bool:
        """Re-read after winning: ours, the newest, and the only live record in the chain."""
        stored = self._read(mine.key)
        if not isinstance(stored, dict) or stored.get("token") != mine.token:
            return False
        now = self.wall()
        for generation, key in self._chain(mine.base):
            if generation > mine.generation:
                return False
            if generation < mine.generation and is_live(self._read(key), now):
                return False
        return True

    def _sweep(self, seen: list[tuple[int, str]], mine: Claim) -> None:
        """Delete the expired generations we took over from, so chains stay short."""
        now = self.wall()
        for generation, key in seen:
            if generation < mine.generation and not is_live(self._read(key), now):
                self._delete_quietly(key)

    def release(self, claim: Claim) -> None:
        """Give the claim up (only our own record is ever deleted)."""
        stored = self._read(claim.key)
        if isinstance(stored, dict) and stored.get("token") == claim.token:
            self.store.delete(claim.key)

    def renew(self, claim: Claim, ttl: float) -> Claim | None:
        """Push our expiry to now + ``ttl``; None when the claim was lost meanwhile.

        Only the holder ever writes its own generation's key, so a plain put is safe here.
        """
        if any(generation > claim.generation for generation, _ in self._chain(claim.base)):
            return None
        stored = self._read(claim.key)
        if not isinstance(stored, dict) or stored.get("token") != claim.token:
            return None
        renewed = replace(claim, expires_at=self.wall() + ttl)
        self.store.put_json(renewed.key, renewed.record())
        return renewed

    def settle(self, claim: Claim) -> bool:
        """Make our claim permanent (a slot that ran stays run); False when it was lost meanwhile.

        A holder takes a claim with a short ttl and a heartbeat, so a crash frees it quickly, and
        settles it once the work is recorded, so nobody repeats finished work.
        """
        if any(generation > claim.generation for generation, _ in self._chain(claim.base)):
            return False
        stored = self._read(claim.key)
        if not isinstance(stored, dict) or stored.get("token") != claim.token:
            return False
        self.store.put_json(claim.key, replace(claim, expires_at=None).record())
        return True

    def holds(self, base: str, token: str) -> bool:
        """Whether the live claim on ``base`` is the one with ``token`` (its holder is still at work)."""
        current = self.current(base)
        return current is not None and current.get("token") == token

    def adopt(self, base: str, token: str) -> Claim | None:
        """The live claim on ``base`` with ``token`` as a :class:`Claim`, for a process that was handed it.

        The admin reserves a run-now slot and passes its token in the event; the function that
        runs it adopts the claim to renew and release it.
        """
        chain = self._chain(base)
        if not chain:
            return None
        generation, key = chain[-1]
        record = self._read(key)
        if not is_live(record, self.wall()) or record.get("token") != token:
            return None
        return Claim(
            base=base,
            generation=generation,
            token=token,
            holder=str(record.get("holder") or ""),
            taken_at=float(record.get("taken_at") or 0),
            expires_at=record.get("expires_at"),
            data=dict(record.get("data") or {}),
        )

    @contextlib.contextmanager
    def keep_alive(self, claim: Claim, ttl: float, *, every: float | None = None) -> Iterator[None]:
        """Renew ``claim`` every ``every`` seconds (ttl/3) of real time while the block runs."""
        stop = threading.Event()
        interval = every if every is not None else max(ttl / 3, 0.05)

        def beat() -> None:
            current: Claim | None = claim
            while current is not None and not stop.wait(interval):
                try:
                    current = self.renew(current, ttl)
                except StoreError as exc:  # a missed beat only shortens the claim
                    log.warning("could not renew claim %s: %s", claim.key, exc)

        thread = threading.Thread(target=beat, name=f"claim-{claim.token}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def _delete_quietly(self, key: str) -> None:
        try:
            self.store.delete(key)
        except StoreError as exc:
            log.warning("could not delete claim record %s: %s", key, exc)
