"""The storage port: five operations every adapter implements the same way.

Nothing in bailian-fc read-modify-writes under concurrency, because OSS has no
compare-and-swap on PutObject. Records that must not be lost (chat turns, job
claims, cache leases) are written *create-only* with :meth:`Store.put_if_absent`;
everything else (conversation meta, roll-ups) is last-writer-wins with :meth:`Store.put`.

Error tree::

    StoreError                 the store could not do what was asked (HTTP 503 in functions)
     ├── StoreUnavailable      transient: timeout, 5xx, connection; retried a bounded number of times
     ├── InvalidKey            a key the port refuses (empty, absolute, "..", NUL, too long)
     └── ValueTooLarge         a value above the adapter's ``max_value_bytes``; nothing is written
"""

from __future__ import annotations

import bisect
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

from ..jsonsafe import loads as json_loads

MAX_KEY_BYTES = 1000
LIST_PAGE = 1000
Records = list[tuple[str, bytes]]  # (key, value) pairs


class StoreError(Exception):
    """The store failed; callers answer 503 and write nothing half-way."""

    retryable = False


class StoreUnavailable(StoreError):
    """A transient failure (timeout, 5xx, dropped connection) that outlived the retries."""

    retryable = True


class InvalidKey(StoreError, ValueError):
    """A key that no adapter would store the same way."""


class ValueTooLarge(StoreError, ValueError):
    """A value larger than the adapter can write in one atomic operation; refused, never truncated."""


def check_key(key: str) -> str:
    """Refuse keys that would mean different things on a file system and an object store."""
    if not key or key.startswith("/") or key.endswith("/"):
        raise InvalidKey(f"invalid store key {key!r}")
    if "\x00" in key or "\\" in key or len(key.encode()) > MAX_KEY_BYTES:
        raise InvalidKey(f"invalid store key {key!r}")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise InvalidKey(f"invalid store key {key!r}")
    return key


class Store(ABC):
    """get / put / put_if_absent / list / delete over bytes, plus JSON conveniences."""

    url: str = ""
    max_value_bytes: int | None = None  # None: no limit a bailian-fc value could reach
    # True where a read costs no network round trip (the file store): parallel reads then only add
    # contention, so bulk readers read one by one.
    local_reads: bool = False

    @abstractmethod
    def get(self, key: str) -> bytes | None:
        """The value at ``key``, or None when there is none."""

    @abstractmethod
    def put(self, key: str, data: bytes) -> None:
        """Write ``data`` at ``key`` atomically; readers see the old or the new value, never a mix."""

    @abstractmethod
    def put_if_absent(self, key: str, data: bytes) -> bool:
        """Create ``key`` with ``data``; False (and nothing written) when it already exists."""

    @abstractmethod
    def list_page(self, prefix: str, start_after: str = "", limit: int = LIST_PAGE) -> list[str]:
        """Up to ``limit`` keys starting with ``prefix``, after ``start_after``, in byte order."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key``; deleting a missing key is not an error."""

    # -- conveniences built on the five operations -------------------------------------------

    def list(self, prefix: str, start_after: str = "", limit: int | None = None) -> list[str]:
        """Every key under ``prefix`` (paginating as needed), in byte order."""
        return list(self.iter_keys(prefix, start_after=start_after, limit=limit))

    def iter_keys(self, prefix: str, start_after: str = "", limit: int | None = None) -> Iterator[str]:
        remaining = limit
        while remaining is None or remaining > 0:
            page_size = LIST_PAGE if remaining is None else min(LIST_PAGE, remaining)
            page = self.list_page(prefix, start_after=start_after, limit=page_size)
            yield from page
            if remaining is not None:
                remaining -= len(page)
            if len(page) < page_size:
                return
            start_after = page[-1]

    def newest(self, prefix: str, limit: int, before: str = "") -> Records:
        """Up to ``limit`` (key, value) pairs under ``prefix``, last in byte order first.

        With time-ordered keys that is "the newest N records". ``before`` (exclusive) continues
        where an earlier call stopped. Stores with ordered range reads serve this with one
        request (Tablestore); this default lists the keys, then reads the chosen ones.
        """
        if limit <= 0:
            return []
        keys = self.list(prefix)
        if before:
            keys = keys[: bisect.bisect_left(keys, before)]  # str order is UTF-8 byte order
        found = ((key, self.get(key)) for key in reversed(keys[-limit:]))
        return [(key, value) for key, value in found if value is not None]  # deleted since listed

    def get_json(self, key: str) -> Any | None:
        """The record at ``key`` through the bounded parser; a ``JsonRejected`` (a ValueError) when
        it is unreadable (truncated, edited by hand, nested past ``STORED_MAX_DEPTH``)."""
        raw = self.get(key)
        return None if raw is None else parse_stored(raw)

    def put_json(self, key: str, value: Any) -> None:
        self.put(key, dump_json(value))

    def put_json_if_absent(self, key: str, value: Any) -> bool:
        return self.put_if_absent(key, dump_json(value))

    def close(self) -> None:  # noqa: B027 - an optional hook, not an abstract operation
        """Release connections; the file store has none."""


def create_only(store: Store, key: str, value: Any) -> tuple[bool, Any]:
    """Create ``key`` with ``value`` unless it exists: ``(True, value)`` for the one winner, however many
    race, ``(False, the winner's record)`` for every other writer (None if it was removed since).

    The helper for every new record two writers can meet on (a job, feedback, a budget override):
    callers answer 201 on a win and 409 naming the winner's id otherwise. Unreadable winner: ``{}``.
    """
    if store.put_json_if_absent(key, value):
        return True, value
    try:
        return False, store.get_json(key)
    except ValueError:
        return False, {}


STORED_MAX_DEPTH = 64  # records we wrote nest a few levels; anything deeper was not written by us


def parse_stored(raw: bytes | str) -> Any:
    """A stored record through :func:`bailian_fc.jsonsafe.loads` (never a bare ``json.loads``)."""
    return json_loads(raw, max_depth=STORED_MAX_DEPTH)


def dump_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
