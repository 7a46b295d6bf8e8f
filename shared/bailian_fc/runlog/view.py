"""``GET /admin/dashboard``: a window of business dates, summed from the run-log roll-ups.

Up to ``HOURLY_MAX_DAYS`` days the answer has a per-hour series, so it reads hourly roll-ups
(:mod:`.dashboard`); a longer window reads one daily roll-up per closed day (:mod:`.daily`) and
the open day's hours, so a 30-day dashboard costs about 30 reads + today's hours, the same on a
cold instance as on a warm one, and does not grow with the traffic of those days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from ..clock import BusinessCalendar
from ..store import Store
from . import feedback, histogram
from .daily import load_days, merge_groups
from .dashboard import HOURLY_MAX_DAYS, MAX_DAYS, Group, ceil_hour, floor_hour, hour_range, load_hours, sum_by
from .stats import ORIGINS, Stats, by_user


@dataclass
class Window:
    """The business dates a dashboard covers and the UTC hours that make them up."""

    first: date
    last: date
    hours: list[datetime]

    @classmethod
    def of(cls, calendar: BusinessCalendar, now: datetime, days: int) -> Window:
        if not 1 <= days <= MAX_DAYS:
            raise ValueError(f"days must be within 1..{MAX_DAYS}")
        last = calendar.business_date(now)
        first = last - timedelta(days=days - 1)
        start = ceil_hour(calendar.day_bounds(first)[0])  # an hour belongs to the date of its start
        return cls(first, last, list(hour_range(start, floor_hour(now))))


def build_dashboard(
    store: Store, calendar: BusinessCalendar, now: datetime, days: int, site: str | None = None
) -> dict[str, Any]:
    """Per app per business date, per app, per date and overall, for one site or (``site`` None:
    the platform's view) every site, with ``by_site`` and the ``sites`` seen. Users' calls and the
    prewarm's scheduled ones are counted apart (``by_origin``, per day too)."""
    now = now.astimezone(timezone.utc)
    window = Window.of(calendar, now, days)
    by_hour = None
    if days <= HOURLY_MAX_DAYS:
        rollups, counts = load_hours(store, window.hours, now)
        groups_by_day: dict[date, dict[Group, Stats]] = {}
        for hour in window.hours:
            merge_groups(groups_by_day.setdefault(calendar.business_date(hour), {}), rollups[hour].groups)
        by_hour = [
            {"hour": hour.isoformat(), "apps": _summaries(sum_by(rollups[hour].groups, site, _app))}
            for hour in window.hours
        ]
    else:
        dates = [window.first + timedelta(days=n) for n in range((window.last - window.first).days + 1)]
        groups_by_day, counts = load_days(store, calendar, dates, now)
    by_app: dict[str, Stats] = {}
    by_origin: dict[str, Stats] = {kind: Stats() for kind in ORIGINS}
    by_site: dict[str, Stats] = {}
    total = Stats()
    by_day = []
    for offset in range((window.last - window.first).days + 1):
        day = window.first + timedelta(days=offset)
        groups = groups_by_day.get(day, {})
        apps = sum_by(groups, site, _app)
        origins = sum_by(groups, site, _origin)
        day_origins = {kind: origins.get(kind, Stats()) for kind in ORIGINS}
        day_total = Stats()
        for app, stats in apps.items():
            day_total.merge(stats)
            by_app.setdefault(app, Stats()).merge(stats)
        for kind, stats in day_origins.items():
            by_origin[kind].merge(stats)
        if site is None:
            for name, stats in sum_by(groups, None, _site).items():
                by_site.setdefault(name, Stats()).merge(stats)
        total.merge(day_total)
        by_day.append(
            {
                "date": day.isoformat(),
                "apps": _summaries(apps),
                "by_origin": {kind: s.summary() for kind, s in day_origins.items()},
                "total": day_total.summary(),
            }
        )
    return {
        "days": days,
        "site": site,
        "sites": sorted(by_site) if site is None else [site],
        "from": window.first.isoformat(),
        "to": window.last.isoformat(),
        "tz": calendar.tz,
        "day_start": calendar.day_start,
        "generated_at": now.isoformat(),
        "percentile_relative_error": round(histogram.RELATIVE_ERROR, 4),
        "rollups": counts,
        "by_day": by_day,
        "by_hour": by_hour,
        "by_app": _summaries(by_app),
        "by_origin": {kind: s.summary() for kind, s in by_origin.items()},
        "by_site": _summaries(by_site) if site is None else None,
        "by_user": by_user(total),
        "feedback": feedback.tally(store, _utc_days(window, now), site),
        "total": total.summary(),
    }


def _app(group: Group) -> str:
    return group[2]


def _origin(group: Group) -> str:
    return group[1]


def _site(group: Group) -> str:
    return group[0]


def _summaries(stats: dict[str, Stats]) -> dict[str, Any]:
    return {name: s.summary() for name, s in sorted(stats.items())}


def _utc_days(window: Window, now: datetime) -> list[str]:
    """The UTC dates an answer of the window can carry in its trace key (traces are keyed by UTC date)."""
    start = (window.hours[0] if window.hours else now).date()
    return [(start + timedelta(days=n)).isoformat() for n in range((now.date() - start).days + 1)]
