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
import builtins
import functools
import json
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

MAX_KEY_BYTES = 1000
LIST_PAGE = 1000
Records = list[tuple[str, bytes]]  # (key, value) pairs
T = TypeVar("T")
GATHER_WORKERS = 32  # store calls in flight together per process (threads waiting on a socket)


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
        chosen = list(reversed(keys[-limit:]))
        values = self.gather(*(functools.partial(self.get, key) for key in chosen))
        return [(key, value) for key, value in zip(chosen, values, strict=True) if value is not None]

    def gather(self, *calls: Callable[[], T]) -> builtins.list[T]:
        """Run independent store calls as one round trip: together on a network store, in order
        on a local one (where threads only add cost). Results in call order; the first failure
        is raised once every call has ended, so no call outlives its caller.

        Calls must not depend on each other's effects: a kill can land after any subset of them.
        A call made from inside another ``gather`` runs inline (no pool worker waits on the pool).
        """
        if len(calls) <= 1 or self.local_reads or getattr(_inside, "gather", False):
            return [call() for call in calls]
        futures = [_pool().submit(_inside_gather, call) for call in calls[1:]]
        try:  # the first call runs on this thread: one hand-off fewer per round trip
            first: Any = _inside_gather(calls[0])
        except Exception as exc:
            first = exc
        errors = [first if isinstance(first, Exception) else None, *(f.exception() for f in futures)]
        for error in errors:
            if error is not None:
                raise error
        return [first, *(f.result() for f in futures)]

    def get_json(self, key: str) -> Any | None:
        raw = self.get(key)
        return None if raw is None else json.loads(raw)

    def put_json(self, key: str, value: Any) -> None:
        self.put(key, dump_json(value))

    def put_json_if_absent(self, key: str, value: Any) -> bool:
        return self.put_if_absent(key, dump_json(value))

    def close(self) -> None:  # noqa: B027 - an optional hook, not an abstract operation
        """Release connections; the file store has none."""


_inside = threading.local()
_pool_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _pool_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(GATHER_WORKERS, thread_name_prefix="store-gather")
        return _executor


def _forget_pool() -> None:
    """In a forked child: the parent's workers do not exist here, so the next gather starts anew."""
    global _executor, _pool_lock
    _executor, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


def _inside_gather(call: Callable[[], T]) -> T:
    outer = getattr(_inside, "gather", False)
    _inside.gather = True
    try:
        return call()
    finally:
        _inside.gather = outer


def dump_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
