"""What a chat turn knows of where it is asked: the site's clock reading and the page it is asked
from, checked against the caller's site before anything is stored or asked upstream.

The clock is the same :class:`~bailian_fc.clock.SandboxClock` the apps read (a sandbox's business
date and now under a sandbox), over the chat function's own wall clock. A clue or customer id in the
page context must be one of the caller's site as of that business date: another site's (or an
unknown one) is a 404 (``ClueNotFound`` / ``CustomerNotFound``) and an area it lacks a 400
(``UnknownArea``), exactly as the apps answer them. The
venue data is opened on the first turn that names an id, so a plain chat never loads it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..clock import Reading, SandboxClock
from ..errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from ..catalogue.chat import ChatContext
    from ..settings import Settings
    from ..store import Store
    from ..venue import VenueData


class PageScope:
    def __init__(self, settings: Settings, store: Store, wall: Callable[[], float]) -> None:
        self.settings = settings
        self.store = store
        self.clock = SandboxClock.from_settings(
            store, settings, wall=lambda: datetime.fromtimestamp(wall(), timezone.utc)
        )
        self._venue: VenueData | None = None
        self._lock = threading.Lock()

    def venue(self) -> VenueData:
        with self._lock:
            if self._venue is None:
                from ..venue import open_venue_data

                self._venue = open_venue_data(self.settings, self.store)
            return self._venue

    def read(self, site_id: str, context: ChatContext | None) -> Reading:
        """The site's clock, read once for the turn; raises NotFound for an id the site lacks."""
        reading = self.clock.reading(site_id)
        if context is not None:
            self._check(site_id, context, reading)
        return reading

    def _check(self, site_id: str, context: ChatContext, reading: Reading) -> None:
        day = reading.business_date
        found: Any
        if context.clue_id is not None:
            found = self.venue().clue_detail(site_id, context.clue_id, upper_bound=day)
            if found is None:
                raise NotFound(f"site {site_id} has no clue {context.clue_id!r}", code="ClueNotFound")
        if context.customer_id is not None:
            found = self.venue().customer_profile(site_id, context.customer_id, upper_bound=day)
            if found is None:
                raise NotFound(
                    f"site {site_id} has no customer {context.customer_id!r}", code="CustomerNotFound"
                )
        if context.area is not None:
            areas = self.venue().areas(site_id, upper_bound=day)
            if context.area != "all" and context.area not in areas:
                raise InvalidInput(f"site {site_id} has no area {context.area!r}", code="UnknownArea")
