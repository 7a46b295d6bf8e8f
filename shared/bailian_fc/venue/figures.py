"""App2's figures: the totals, the comparison period's, the changes and the derived metrics, per
area, computed here from the finance rows and returned beside the model's insights.

The board shows these numbers, not the model's retelling of them, so they cannot come out wrong;
the prompt is built from the very same object, so the insights talk about the numbers shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .finance import ALL_AREAS, DERIVED, METRICS, FinanceRow, _change, _totals
from .ranges import Period


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Totals(_Model):
    """One period's sums; ``revenue`` = table + goods revenue, ratios null when undefined."""

    table_revenue: float
    goods_revenue: float
    recharge: float
    consumption: float
    discount: float
    table_hours: float
    orders: int
    customers: int
    revenue: float
    avg_order_value: float | None
    table_revenue_per_hour: float | None


class Change(_Model):
    current: float | None
    previous: float | None
    change: float | None
    change_pct: float | None  # null when the comparison period had zero (and this one did not)


class Changes(_Model):
    table_revenue: Change
    goods_revenue: Change
    recharge: Change
    consumption: Change
    discount: Change
    table_hours: Change
    orders: Change
    customers: Change
    revenue: Change
    avg_order_value: Change
    table_revenue_per_hour: Change


class PeriodInfo(_Model):
    start: dt.date
    end: dt.date
    days: int
    unit: Literal["day", "month"]  # month: a calendar-month range (this_month, last_month)


class AreaFigures(_Model):
    area: str
    current: Totals
    previous: Totals
    changes: Changes


class FinanceFigures(_Model):
    area: str  # the filter: an area name or "all"
    period: PeriodInfo
    previous_period: PeriodInfo
    days_with_data: int
    previous_days_with_data: int
    current: Totals
    previous: Totals
    changes: Changes
    areas: list[AreaFigures]  # every area with data in either period, by name


def _period(p: Period) -> PeriodInfo:
    return PeriodInfo(start=p.start, end=p.end, days=p.days, unit=p.unit)


def _changes(current: dict[str, object], previous: dict[str, object]) -> Changes:
    return Changes.model_validate(
        {k: _change(current[k], previous[k]) for k in (*METRICS, *DERIVED)}  # type: ignore[arg-type]
    )


def finance_figures(
    rows: Sequence[FinanceRow], period: Period, previous: Period, area: str = ALL_AREAS
) -> FinanceFigures:
    """The figures of ``area`` for ``period`` against ``previous``, from rows covering both."""
    picked = [r for r in rows if area == ALL_AREAS or r.area == area]
    now = [r for r in picked if period.start <= r.business_date <= period.end]
    before = [r for r in picked if previous.start <= r.business_date <= previous.end]
    current_totals, previous_totals = _totals(now), _totals(before)
    areas = []
    for name in sorted({r.area for r in now} | {r.area for r in before}):
        a_now = _totals([r for r in now if r.area == name])
        a_before = _totals([r for r in before if r.area == name])
        areas.append(
            AreaFigures(
                area=name,
                current=Totals.model_validate(a_now),
                previous=Totals.model_validate(a_before),
                changes=_changes(a_now, a_before),
            )
        )
    return FinanceFigures(
        area=area,
        period=_period(period),
        previous_period=_period(previous),
        days_with_data=len({r.business_date for r in now}),
        previous_days_with_data=len({r.business_date for r in before}),
        current=Totals.model_validate(current_totals),
        previous=Totals.model_validate(previous_totals),
        changes=_changes(current_totals, previous_totals),
        areas=areas,
    )
