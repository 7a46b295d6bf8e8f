"""App2 date ranges over business dates, and the period each is compared with.

Every range is a closed interval of business dates ending no later than ``today`` (the runtime
clock's business date for the site), so a range never reaches past the finance upper bound.

Comparison rule (:func:`previous_period`):

* day-based ranges (today, yesterday, last_7_days, last_30_days, this_week, last_week) compare
  with the period of the same length that ends the day before they start;
* ``last_month`` (a whole calendar month) compares with the whole month before it, whatever its
  length (February against all of January, not against January 1..28);
* ``this_month`` (month to date, N days) compares with the first N days of the previous month,
  clipped to that month's end (March 1..31 against February 1..28/29). Comparing day 1..N with
  day 1..N keeps month-start effects (payday, monthly packages) aligned, which the "last N days"
  rule would smear across two months. This holds on the month's last day too: February 29 is
  compared with January 1..29, not with the whole of January (the rule does not change on the one
  day a month-to-date range happens to cover its whole month).

The month rule is carried by :attr:`Period.unit` and :attr:`Period.to_date` (set by
:func:`resolve_range`), so the rule does not guess a period's meaning from its dates.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

RANGES = (
    "today",
    "yesterday",
    "last_7_days",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "last_30_days",
)

Unit = Literal["day", "month"]


@dataclass(frozen=True)
class Period:
    """Inclusive business dates ``start..end``; ``unit="month"`` marks a calendar-month range."""

    start: date
    end: date
    unit: Unit = "day"
    to_date: bool = False  # a month-to-date range (this_month): compared day 1..N, even on the last day

    def __post_init__(self) -> None:
        if not (_is_date(self.start) and _is_date(self.end)):
            raise TypeError("Period takes dates, not datetimes")
        if self.start > self.end:
            raise ValueError(f"period start {self.start} is after its end {self.end}")
        if self.unit == "month" and self.start.day != 1:
            raise ValueError("a month period starts on the first of a month")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form for prompts and API answers."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days}


def _is_date(value: object) -> bool:
    """A date but not a datetime (a subclass whose arithmetic would leak times of day)."""
    return isinstance(value, date) and not isinstance(value, datetime)


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def _previous_month_start(d: date) -> date:
    return _month_start(_month_start(d) - timedelta(days=1))


def resolve_range(name: str, today: date) -> Period:
    """The inclusive business dates of range ``name`` when the business date is ``today``.

    Weeks start on Monday; this_week and this_month run to date (through ``today``);
    last_7_days and last_30_days end with ``today``.
    """
    if not _is_date(today):
        raise TypeError("today must be a date (the clock's business date), not a datetime")
    day = timedelta(days=1)
    monday = today - timedelta(days=today.weekday())
    if name == "today":
        return Period(today, today)
    if name == "yesterday":
        return Period(today - day, today - day)
    if name == "last_7_days":
        return Period(today - 6 * day, today)
    if name == "last_30_days":
        return Period(today - 29 * day, today)
    if name == "this_week":
        return Period(monday, today)
    if name == "last_week":
        return Period(monday - 7 * day, monday - day)
    if name == "this_month":
        return Period(_month_start(today), today, "month", to_date=True)
    if name == "last_month":
        start = _previous_month_start(today)
        return Period(start, _month_end(start), "month")
    raise ValueError(f"unknown range {name!r}; expected one of {', '.join(RANGES)}")


def previous_period(period: Period) -> Period:
    """The period ``period`` is compared with (rules in the module docstring)."""
    if period.unit == "month":
        start = _previous_month_start(period.start)
        if not period.to_date and period.end == _month_end(period.start):
            return Period(start, _month_end(start), "month")
        end = min(start + timedelta(days=period.days - 1), _month_end(start))
        return Period(start, end, "month")
    length = timedelta(days=period.days)
    return Period(period.start - length, period.end - length)


def resolve_with_previous(name: str, today: date) -> tuple[Period, Period]:
    """``(current, previous)`` for range ``name``: what App2 reads for one filter."""
    current = resolve_range(name, today)
    return current, previous_period(current)
