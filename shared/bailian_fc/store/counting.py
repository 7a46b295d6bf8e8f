"""A store wrapper that counts what a request costs: operations by kind and serial round trips.

``round_trips`` is the length of the critical path in store requests: an operation made on its
own adds one; a :meth:`Store.gather` adds the longest of its calls (each call's own operations
are serial), because its calls are in flight together on a network store. Counts are per
operation of the five-operation port, so ``newest`` counts as the default's listing plus reads
(what an object store does), whatever the inner store would do instead.

The calls of a ``gather`` run one after another here, so the counts are the same on every run
(no thread timing in them). Tests and ``bench/`` use it; it never ships on a request path.

Written against the port only (``bailian_fc.store.Store``), so ``bench/`` can load this file
into an older tree's interpreter and count that tree's requests the same way.
"""

from __future__ import annotations

import builtins
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from bailian_fc.store import Store

T = TypeVar("T")
KINDS = ("get", "put", "create", "list", "delete")
WRITES = ("put", "create", "delete")


class CountingStore(Store):
    """``serial=False`` (timing runs): a ``gather`` really runs together, round trips are then not
    counted inside it; flip ``serial`` back on to count a request."""

    def __init__(self, inner: Store, *, serial: bool = True) -> None:
        self.inner = inner
        self.serial = serial
        self.url = inner.url
        self.max_value_bytes = inner.max_value_bytes
        self.local_reads = getattr(inner, "local_reads", False)  # older releases have no such flag
        self.counts: Counter[str] = Counter()
        self.round_trips = 0
        self._lock = threading.Lock()
        self._lanes = threading.local()

    # -- figures ----------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()
            self.round_trips = 0

    def figures(self) -> dict[str, Any]:
        with self._lock:
            ops = sum(self.counts[k] for k in KINDS)
            return {
                "ops": ops,
                "writes": sum(self.counts[k] for k in WRITES),
                **{k: self.counts[k] for k in KINDS},
                "round_trips": self.round_trips,
            }

    # -- the five operations ------------------------------------------------------------------

    def get(self, key: str) -> bytes | None:
        self._count("get")
        return self.inner.get(key)

    def put(self, key: str, data: bytes) -> None:
        self._count("put")
        self.inner.put(key, data)

    def put_if_absent(self, key: str, data: bytes) -> bool:
        self._count("create")
        return self.inner.put_if_absent(key, data)

    def list_page(self, prefix: str, start_after: str = "", limit: int = 1000) -> list[str]:
        self._count("list")
        return self.inner.list_page(prefix, start_after, limit)

    def delete(self, key: str) -> None:
        self._count("delete")
        self.inner.delete(key)

    def gather(self, *calls: Callable[[], T]) -> builtins.list[T]:
        if not self.serial:
            return super().gather(*calls)
        lane = self._lane()
        saved = lane.trips
        lane.depth += 1
        longest, error = 0, None
        results: builtins.list[T] = []
        try:
            for call in calls:
                lane.trips = 0
                try:
                    results.append(call())
                except Exception as exc:  # every call still runs, as in the real gather
                    error = error or exc
                longest = max(longest, lane.trips)
        finally:
            lane.depth -= 1
            lane.trips = saved
        self._trip(longest)
        if error is not None:
            raise error
        return results

    def close(self) -> None:
        self.inner.close()

    # -- bookkeeping ----------------------------------------------------------------------------

    def _lane(self) -> Any:
        lane = self._lanes
        if not hasattr(lane, "depth"):
            lane.depth, lane.trips = 0, 0
        return lane

    def _count(self, kind: str) -> None:
        with self._lock:
            self.counts[kind] += 1
        self._trip(1)

    def _trip(self, n: int) -> None:
        lane = self._lane()
        if lane.depth:
            lane.trips += n
        else:
            with self._lock:
                self.round_trips += n
