"""The sources a prompt's context is read from (:class:`~bailian_fc.catalogue.spec.Sources`): the venue
data port (embedded dataset or the DWS), the settings and a short memo of range reads. What each app
reads is its own module's ``context`` loader; this room only runs it.

The site always comes from the token and the business date from the runtime clock, so
a sandbox clock set in the past never lets a prompt see data after that date. The clock is read
once per request (:class:`~bailian_fc.clock.Reading`) by the caller, so the data bound and the
cache key agree even when the request straddles the day start.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..catalogue.spec import AppSpec
    from ..clock import Reading, SandboxClock
    from ..settings import Settings
    from ..venue import VenueData


class PromptContext:
    PREWARM_MEMO_SECONDS = 60.0

    def __init__(
        self, venue: VenueData, clock: SandboxClock, settings: Settings, *, memo_seconds: float = 0.0
    ) -> None:
        self.venue = venue
        self.clock = clock
        self.settings = settings
        # A request reads live (memo_seconds 0): an answer's figures are the data as it is now. The
        # prewarm's own service memoises briefly (PREWARM_MEMO_SECONDS): every area of one range reads
        # the same days, ~6 reads per day in one run. The memo is keyed like the result cache by the
        # business date (the read's upper bound) *and* the clock it was read under, so it never serves
        # one business day's or one sandbox's rows to another.
        self.memo_seconds = memo_seconds
        self._reads: dict[tuple[Any, ...], tuple[float, list[Any]]] = {}
        self._lock = threading.Lock()
        self._monotonic = time.monotonic

    def read(self, site_id: str, start: date, end: date, reading: Reading) -> list[Any]:
        upper_bound = reading.business_date
        if self.memo_seconds <= 0:
            return self.venue.read(site_id, start, end, upper_bound=upper_bound)
        key = (site_id, start, end, upper_bound, reading.context)
        now = self._monotonic()
        with self._lock:
            hit = self._reads.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        rows = self.venue.read(site_id, start, end, upper_bound=upper_bound)
        with self._lock:
            if len(self._reads) > 256:
                self._reads.clear()
            self._reads[key] = (now + self.memo_seconds, rows)
        return rows

    def load(self, spec: AppSpec, data: Any, site_id: str, reading: Reading | None = None) -> Any:
        """``spec``'s server-side context for ``data`` at ``site_id`` (None for an app that reads none).

        A ``derives_from`` app's context is its parent's answer: the service resolves that, not this.
        """
        if spec.context is None:
            return None
        return spec.context(self, data, site_id, reading or self.clock.reading(site_id))
