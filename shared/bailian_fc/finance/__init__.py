"""The finance dataset behind App2: ranges, the stored ``finance_area_daily`` rows, and demo data.

``demo`` is not imported here: only the ``demo-data`` command needs it.
"""

from __future__ import annotations

from .dataset import ALL_AREAS, METRICS, FinanceRow, FinanceStore, compare, summarize
from .ranges import RANGES, Period, previous_period, resolve_range, resolve_with_previous

__all__ = [
    "ALL_AREAS",
    "METRICS",
    "RANGES",
    "FinanceRow",
    "FinanceStore",
    "Period",
    "compare",
    "previous_period",
    "resolve_range",
    "resolve_with_previous",
    "summarize",
]
