"""One upstream rate budget per job, shared by every run on every instance, through the store.

Each run used to have its own limiter, so a timer run, a manual run and two run-nows on four
instances made four times ``PREWARM_QPS``. Here every start takes a *ticket*: a create-only
record for one slot of the current window::

    jobs/rate/{job}/{window:012d}-{n:03d}.json     n < tickets per window

A window is ``max(1, 1/qps)`` seconds and holds ``round(qps × window)`` tickets, so at most
``qps`` starts per second leave this job, whichever run or instance makes them. Create-only has
one winner on every adapter, so no two starts share a ticket. A full window means waiting for
the next one. Tickets are deleted by housekeeping (they only matter during their window).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from ..store import Store

RATE_PREFIX = "jobs/rate/"


class SharedRate:
    """``acquire()`` blocks until this job may start one more upstream call."""

    def __init__(
        self,
        store: Store,
        job: str,
        qps: float,
        *,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.job = job
        self.window = max(1.0, 1.0 / qps) if qps > 0 else 0.0
        self.tickets = max(1, round(qps * self.window)) if qps > 0 else 0
        self.wall = wall
        self.sleep = sleep
        self._lock = threading.Lock()
        self._full_until = -1  # the newest window this process saw full: no store calls for it

    def acquire(self) -> str | None:
        """The ticket key taken (None when unlimited)."""
        if self.tickets == 0:
            return None
        while True:
            now = self.wall()
            window = math.floor(now / self.window)
            if window > self._full_until:
                for n in range(self.tickets):
                    key = f"{RATE_PREFIX}{self.job}/{window:012d}-{n:03d}.json"
                    if self.store.put_if_absent(key, b'{"at":%.3f}' % now):
                        return key
                with self._lock:
                    self._full_until = max(self._full_until, window)
            self.sleep(max((window + 1) * self.window - now, 0.001))
