"""The App2 prewarm against the business day: when it should fire, and when an edit fires too early.

Between local midnight and the day start (00:00–07:59 with the default ``08:00``) the calendar has
turned but the business day has not: an App2 answer computed then is filed under the closing
business day (docs/business-day.md) and is not served after the day start. A prewarm that fires
in that window warms nothing the morning will read, so:

* the seeded schedule fires ``AFTER_DAY_START_MINUTES`` (jobs/seed.py) after the day start, in the business
  time zone (:func:`prewarm_cron`), so it fills today and refreshes yesterday's ranges once that
  day has closed;
* an operator's cron edit of a prewarm job is checked (:func:`early_fire_warnings`); the admin API
  answers with the warnings and the console shows them;
* a timer run that still fires early skips the sites whose day has not started (:func:`waiting`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .seed import prewarm_cron
from .store import Job, next_fire_times

if TYPE_CHECKING:
    from ..clock import BusinessCalendar

PREWARM_KINDS = frozenset({"app2_prewarm"})  # what runs decides the warning, not the job's name
CHECKED_FIRES = 8  # enough fire times to catch a cron that is early only on some days


def before_day_start(instant: datetime, calendar: BusinessCalendar) -> bool:
    """Whether ``instant`` falls between local midnight and the day start (the closing day's tail)."""
    local = instant.astimezone(calendar.zone)
    return local.time().replace(tzinfo=None) < calendar.start_time


def next_day_start(instant: datetime, calendar: BusinessCalendar) -> datetime:
    """The start of the business day after the one ``instant`` falls in."""
    return calendar.day_bounds(calendar.business_date(instant))[1]


def early_fire_warnings(job: Job, calendar: BusinessCalendar, *, after: datetime) -> list[str]:
    """Why ``job``'s schedule is wrong for the business day (empty when it is fine or not a prewarm)."""
    if job.handler_kind not in PREWARM_KINDS:
        return []
    early = [t for t in next_fire_times(job, CHECKED_FIRES, after=after) if before_day_start(t, calendar)]
    if not early:
        return []
    first = early[0].astimezone(calendar.zone)
    return [
        f"{job.name} fires at {first:%H:%M} {calendar.tz} ({first.date().isoformat()}), before the "
        f"{calendar.day_start} business-day start: what it computes belongs to the closing business day "
        f"and is not served after {calendar.day_start}. Fire at or after the day start, e.g. "
        f"'{prewarm_cron(calendar.day_start)}' (tz {calendar.tz})."
    ]
