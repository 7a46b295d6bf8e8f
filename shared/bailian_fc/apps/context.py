"""Server-side data a prompt needs: the finance view for App2, App2's result for App2a, the
clue detail for App3, the customer profile for App4, App5, App7 and App8 — read through the venue
data port (embedded dataset or the DWS). An id the site lacks is a 404 before any upstream call.

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

from ..catalogue.inputs import ClueRef, CustomerRef, FinanceFilter, TacticsInput
from ..catalogue.registry import CATALOGUE, AppSpec
from ..errors import InvalidInput, NotFound
from ..venue.figures import finance_figures
from ..venue.ranges import resolve_with_previous

if TYPE_CHECKING:
    from ..clock import Reading, SandboxClock
    from ..settings import Settings
    from ..venue import VenueData
    from .service import AppsService


BY_CUSTOMER = ("app4_relationship", "app5_tactics", "app7_customer_insight", "app8_clue_consolidation")


class PromptContext:
    READ_TTL_SECONDS = 60.0

    def __init__(
        self, venue: VenueData, clock: SandboxClock, settings: Settings, service: AppsService
    ) -> None:
        self.venue = venue
        self.clock = clock
        self.settings = settings
        self.service = service
        # Every area of one range reads the same days: a prewarm run would read each day ~6
        # times. Rows are memoised briefly (the ETL writes a day at a time, minutes apart), keyed like
        # the result cache by the business date (the read's upper bound) *and* the clock it was read
        # under, so the memo never serves one business day's or one sandbox's rows to another.
        self._reads: dict[tuple[Any, ...], tuple[float, list[Any]]] = {}
        self._lock = threading.Lock()
        self._monotonic = time.monotonic

    def _read(self, site_id: str, start: date, end: date, reading: Reading) -> list[Any]:
        upper_bound = reading.business_date
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
            self._reads[key] = (now + self.READ_TTL_SECONDS, rows)
        return rows

    def for_app(self, spec: AppSpec, data: Any, site_id: str, reading: Reading) -> Any:
        if spec.key == "app2_finance":
            return self.finance_view(data, site_id, reading)
        if spec.key == "app2a_finance_digest":
            # App2a is derived from App2 for the same filter, day and clock: usually a cache hit.
            app2 = CATALOGUE["app2_finance"]
            return self.service.resolve(app2, data, site_id, reading=reading).entry.value
        if spec.key == "app3_clue_detail":
            return self.clue_view(data, site_id, reading)
        if spec.key in BY_CUSTOMER:
            return self.customer_view(data, site_id, reading)
        return None

    @staticmethod
    def meta(spec: AppSpec, context: Any) -> dict[str, Any] | None:
        """What the answer was computed from, returned with it (and kept with the cache entry)."""
        if spec.key == "app2_finance":
            # figures travel with the cached entry: a cached answer shows the numbers it was built from
            return {
                k: context[k] for k in ("business_date", "period", "previous", "days_with_data", "figures")
            }
        if spec.key == "app3_clue_detail":
            return {
                "business_date": context["business_date"],
                "clue_id": context["clue"]["clue_id"],
                "visits": len(context["visits"]),
                "follow_ups": len(context["follow_ups"]),
            }
        if spec.key in BY_CUSTOMER:
            return {
                "business_date": context["business_date"],
                "customer_id": context["customer"]["customer_id"],
                "visits": len(context["visits"]),
                "purchases": len(context["purchases"]),
                "clues": len(context["clues"]),
            }
        return None

    def customer_view(
        self, data: CustomerRef | TacticsInput, site_id: str, reading: Reading | None = None
    ) -> dict[str, Any]:
        """The customer's profile as of the clock's business date; a customer (or, for App5, a clue of
        theirs) the site lacks is a 404."""
        today = (reading or self.clock.reading(site_id)).business_date
        profile = self.venue.customer_profile(site_id, data.customer_id, upper_bound=today)
        if profile is None:
            raise NotFound(f"site {site_id} has no customer {data.customer_id!r}", code="CustomerNotFound")
        clue_id = getattr(data, "clue_id", None)
        if clue_id is not None and all(r.clue.clue_id != clue_id for r in profile.clues):
            raise NotFound(f"customer {data.customer_id!r} has no clue {clue_id!r}", code="ClueNotFound")
        return {"business_date": today.isoformat(), **profile.model_dump(mode="json", exclude={"site_id"})}

    def clue_view(self, data: ClueRef, site_id: str, reading: Reading | None = None) -> dict[str, Any]:
        """The clue's full detail as of the clock's business date; a clue the site lacks is a 404."""
        reading = reading or self.clock.reading(site_id)
        today = reading.business_date
        detail = self.venue.clue_detail(site_id, data.clue_id, upper_bound=today)
        if detail is None:
            raise NotFound(f"site {site_id} has no clue {data.clue_id!r}", code="ClueNotFound")
        return {"business_date": today.isoformat(), **detail.model_dump(mode="json", exclude={"site_id"})}

    def finance_view(
        self, data: FinanceFilter, site_id: str, reading: Reading | None = None
    ) -> dict[str, Any]:
        reading = reading or self.clock.reading(site_id)
        today = reading.business_date
        if data.area != "all" and data.area not in self.venue.areas(site_id, upper_bound=today):
            raise InvalidInput(f"site {site_id} has no area {data.area!r}", code="UnknownArea")
        period, previous = resolve_with_previous(data.range, today)
        # One read for both periods (the comparison period ends where the current one starts, give or
        # take the tail of a month for this_month): one round trip to the DWS instead of two.
        rows = self._read(site_id, min(previous.start, period.start), max(previous.end, period.end), reading)
        figures = finance_figures(rows, period, previous, data.area)
        return {
            "site_id": site_id,
            "business_date": today.isoformat(),
            "day_start": self.settings.business_day_start,
            "days_with_data": figures.days_with_data,
            "period": period.as_dict(),
            "previous": previous.as_dict(),
            "figures": figures.model_dump(mode="json"),
        }
