"""Daily run-log roll-ups: one file per closed business date, so a 30-day dashboard reads 30 files.

Hourly roll-ups (:mod:`.dashboard`) keep a day's shape; a month of them is 720 reads and merges
per dashboard. Once every hour of a business date is complete, the ``runlog_rollup`` job folds
them into

    rollups/runlogs/daily/YYYY-MM-DD.json
    {"v": 2, "date": ISO, "calendar": "<tz> <day_start>", "computed_at": ISO, "hours": n,
     "groups": [{"site", "origin", "app", "stats"}, …]}

incrementally: each tick computes only the days that closed since (bounded by its time budget),
and the dashboard computes (and stores) any it still finds missing, so the first dashboard on a
cold instance reads what a warm one would. A day's hours are those whose start falls in it (as on
the dashboard), so the calendar is part of the file: a changed ``BUSINESS_TZ``/``day_start``
makes the stored days unusable, and they are recomputed from the hourly roll-ups. Derived data:
two writers write the same content, last writer wins.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from ..clock import BusinessCalendar
from ..store import Store
from .dashboard import (
    HOUR,
    ROLLUP_VERSION,
    Group,
    ceil_hour,
    groups_from_json,
    groups_to_json,
    hour_range,
    is_complete,
    load_hours,
    reader,
)
from .stats import Stats

DAILY_PREFIX = "rollups/runlogs/daily/"


def calendar_id(calendar: BusinessCalendar) -> str:
    return f"{calendar.tz} {calendar.day_start}"


def day_hours(calendar: BusinessCalendar, day: date) -> list[datetime]:
    """The UTC hours whose start falls in business date ``day``."""
    start, end = calendar.day_bounds(day)
    first, after = ceil_hour(start.astimezone(timezone.utc)), ceil_hour(end.astimezone(timezone.utc))
    return list(hour_range(first, after - HOUR))


def day_closed(calendar: BusinessCalendar, day: date, now: datetime) -> bool:
    hours = day_hours(calendar, day)
    return bool(hours) and is_complete(hours[-1], now)


def daily_key(day: date) -> str:
    return f"{DAILY_PREFIX}{day:%Y-%m-%d}.json"


@dataclass
class DayRollup:
    day: date
    calendar: str
    groups: dict[Group, Stats]
    hours: int
    computed_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "v": ROLLUP_VERSION,
            "date": self.day.isoformat(),
            "calendar": self.calendar,
            "computed_at": self.computed_at.isoformat(),
            "hours": self.hours,
            "groups": groups_to_json(self.groups),
        }

    @classmethod
    def from_json(cls, raw: Any, calendar: BusinessCalendar) -> DayRollup | None:
        """None for another version, another calendar, or an unreadable file (then it is recomputed)."""
        if not isinstance(raw, dict) or raw.get("v") != ROLLUP_VERSION:
            return None
        if raw.get("calendar") != calendar_id(calendar):
            return None
        try:
            return cls(
                date.fromisoformat(raw["date"]),
                calendar_id(calendar),
                groups_from_json(raw["groups"]),
                int(raw["hours"]),
                datetime.fromisoformat(raw["computed_at"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


def merge_groups(target: dict[Group, Stats], source: dict[Group, Stats]) -> None:
    for group, stats in source.items():
        target.setdefault(group, Stats()).merge(stats)


def compute_day(store: Store, calendar: BusinessCalendar, day: date, now: datetime) -> DayRollup:
    """Fold a closed day's hourly roll-ups (computing and storing any missing hour first)."""
    hours = day_hours(calendar, day)
    rollups, _ = load_hours(store, hours, now)
    groups: dict[Group, Stats] = {}
    for hour in hours:
        # Each hour as stored (sums rounded as in its file), so a day folded from freshly computed
        # hours equals one folded from hours read back: cold and warm dashboards agree exactly.
        merge_groups(groups, groups_from_json(groups_to_json(rollups[hour].groups)))
    day_rollup = DayRollup(day, calendar_id(calendar), groups, len(hours), now)
    return DayRollup(
        day, day_rollup.calendar, groups_from_json(day_rollup.to_json()["groups"]), len(hours), now
    )


def _read_day(store: Store, calendar: BusinessCalendar, day: date) -> DayRollup | None:
    try:
        return DayRollup.from_json(store.get_json(daily_key(day)), calendar)
    except ValueError:
        return None


def existing_days(store: Store, since: date) -> set[str]:
    """Keys of stored daily roll-ups from ``since`` on: one listing instead of a get per day."""
    return set(
        store.list(DAILY_PREFIX, start_after=f"{DAILY_PREFIX}{since - timedelta(days=1):%Y-%m-%d}.json")
    )


def load_days(
    store: Store, calendar: BusinessCalendar, days: Sequence[date], now: datetime
) -> tuple[dict[date, dict[Group, Stats]], dict[str, int]]:
    """Each day's groups: closed days from their daily roll-up (computed and stored when missing or
    unusable), the open day (today, or one still in its grace) from its hours, live."""
    counts = {"days": len(days), "days_reused": 0, "days_computed": 0, "hours": 0, "live": 0}
    out: dict[date, dict[Group, Stats]] = {}
    if not days:
        return out, counts
    stored = existing_days(store, days[0])
    closed = [d for d in days if day_closed(calendar, d, now)]
    present = [d for d in closed if daily_key(d) in stored]
    with reader(store) as mapper:
        found = dict(
            zip(
                present,
                mapper(_read_day, [store] * len(present), [calendar] * len(present), present),
                strict=True,
            )
        )
    for day in closed:
        rollup = found.get(day)
        if rollup is None:
            rollup = compute_day(store, calendar, day, now)
            store.put_json(daily_key(day), rollup.to_json())
            counts["days_computed"] += 1
        else:
            counts["days_reused"] += 1
        out[day] = rollup.groups
    for day in days:
        if day in out:
            continue
        hours = [h for h in day_hours(calendar, day) if h <= now]
        rollups, hour_counts = load_hours(store, hours, now)
        counts["hours"] += len(hours)
        counts["live"] += hour_counts["live"]
        groups: dict[Group, Stats] = {}
        for hour in hours:
            merge_groups(groups, rollups[hour].groups)
        out[day] = groups
    return out, counts


def daily_pending(
    store: Store, calendar: BusinessCalendar, now: datetime, *, since: datetime, deadline: float | None = None
) -> dict[str, int]:
    """Store the daily roll-up of every closed day from ``since`` on that has none (the job's part);
    stops at ``deadline`` (``time.monotonic()``), leaving the rest for the next tick."""
    first, last = calendar.business_date(since), calendar.business_date(now)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    stored = existing_days(store, first)
    missing = [d for d in days if day_closed(calendar, d, now) and daily_key(d) not in stored]
    done = 0
    for day in missing:
        if deadline is not None and time.monotonic() > deadline:
            break
        store.put_json(daily_key(day), compute_day(store, calendar, day, now).to_json())
        done += 1
    return {"days_computed": done, "days_remaining": len(missing) - done}
