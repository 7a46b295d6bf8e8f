"""``finance_area_daily``: one row per (site, business date, area), stored one document per site-day.

Layout: ``finance/{site_id}/{YYYY-MM-DD}.json`` = ``{"site_id", "business_date", "rows": [...]}``.
The ETL writes a whole day at once, so a re-run day simply replaces its document (last writer
wins, no read-modify-write). Keys sort by date, which lets a read list exactly the days it
needs with ``start_after`` instead of scanning a site's history.

Money is :class:`~decimal.Decimal` in yuan, quantized to 0.01 (sums stay exact), and written to
JSON as numbers; :func:`summarize` and :func:`compare` return plain floats and ints so the App2
prompt builder can format them directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
)

from ..clock import SITE_ID_PATTERN, check_site_id
from ..store import Store

CENT = Decimal("0.01")
ALL_AREAS = "all"
MONEY_FIELDS = ("table_revenue", "goods_revenue", "recharge", "consumption", "discount")
COUNT_FIELDS = ("orders", "customers")
METRICS = (*MONEY_FIELDS, "table_hours", *COUNT_FIELDS)
DERIVED = ("revenue", "avg_order_value", "table_revenue_per_hour")
AREA_COMPARED = ("revenue", "table_hours", "orders", "customers")


def _money_in(value: Any) -> Any:
    """Floats go through their shortest repr, so 12.34 is 12.34 and not 12.339999999999999857."""
    return Decimal(repr(value)) if isinstance(value, float) else value


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


Money = Annotated[
    Decimal,
    BeforeValidator(_money_in),
    Field(ge=0, allow_inf_nan=False),
    AfterValidator(_cents),
    PlainSerializer(float, return_type=float, when_used="json"),
]


class FinanceRow(BaseModel):
    """One area's day. Revenues are gross; ``discount`` is what was taken off them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    site_id: str = Field(pattern=SITE_ID_PATTERN)
    business_date: date
    area: str = Field(min_length=1, max_length=64)
    table_revenue: Money
    goods_revenue: Money
    recharge: Money
    consumption: Money
    discount: Money
    table_hours: float = Field(ge=0, allow_inf_nan=False)
    orders: int = Field(ge=0)
    customers: int = Field(ge=0)
    # When the row was loaded (the DWS column `loaded_at`, the embedded day document's): an answer's
    # `data_as_of` is the newest of its rows'. Not a figure: never summed, never in a prompt.
    loaded_at: datetime | None = None

    @field_validator("area")
    @classmethod
    def _not_rollup(cls, value: str) -> str:
        if value == ALL_AREAS:
            raise ValueError(f"area {ALL_AREAS!r} is reserved for the roll-up")
        return value


def day_key(site_id: str, d: date) -> str:
    return f"finance/{check_site_id(site_id)}/{d.isoformat()}.json"


def _key_date(key: str) -> date | None:
    """The date a day key names, or None for anything else under the prefix."""
    name = key.rsplit("/", 1)[-1]
    if not name.endswith(".json"):
        return None
    try:
        return date.fromisoformat(name[: -len(".json")])
    except ValueError:
        return None


class FinanceStore:
    """Reads and writes ``finance_area_daily`` through the storage port."""

    def __init__(self, store: Store, *, max_workers: int = 8) -> None:
        self.store = store
        self.max_workers = max_workers

    def write_day(
        self, site_id: str, d: date, rows: Iterable[FinanceRow], *, loaded_at: datetime | None = None
    ) -> None:
        """Replace the whole day (a re-run ETL day overwrites; there is no partial update).

        The document records when it was loaded (``loaded_at``, now unless given), as the DWS's
        trigger-maintained column does for each row."""
        rows = sorted(rows, key=lambda r: r.area)
        for row in rows:
            if row.site_id != site_id or row.business_date != d:
                raise ValueError(f"row {row.site_id}/{row.business_date}/{row.area} is not of {site_id}/{d}")
        areas = [r.area for r in rows]
        if len(set(areas)) != len(areas):
            raise ValueError(f"duplicate areas for {site_id}/{d}")
        loaded = (loaded_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
        doc = {
            "site_id": site_id,
            "business_date": d.isoformat(),
            "loaded_at": loaded.isoformat(),
            "rows": [
                r.model_dump(mode="json", exclude={"site_id", "business_date", "loaded_at"}) for r in rows
            ],
        }
        self.store.put_json(day_key(site_id, d), doc)

    def sites(self) -> list[str]:
        """Sites with data: one one-key listing per site, skipping past each site's days."""
        found: list[str] = []
        start_after = ""
        while True:
            page = self.store.list_page("finance/", start_after=start_after, limit=1)
            if not page:
                return found
            parts = page[0].split("/")
            if len(parts) < 3:  # a stray object directly under finance/: not a site
                start_after = page[0]
                continue
            found.append(parts[1])
            # "finance/{site}0" sorts after every "finance/{site}/..." key ('0' follows '/').
            start_after = f"finance/{parts[1]}0"

    def days(self, site_id: str) -> list[date]:
        """Every business date stored for the site, ascending."""
        keys = self.store.list(f"finance/{check_site_id(site_id)}/")
        return [d for d in map(_key_date, keys) if d is not None]

    def areas(self, site_id: str, *, upper_bound: date | None = None) -> list[str]:
        """Area names of the most recent stored day (not after ``upper_bound`` when given)."""
        days = [d for d in self.days(site_id) if upper_bound is None or d <= upper_bound]
        for d in reversed(days):
            rows = self._read_day(site_id, d)
            if rows:
                return sorted(r.area for r in rows)
        return []

    def read(self, site_id: str, start: date, end: date, *, upper_bound: date) -> list[FinanceRow]:
        """Rows of ``start..end`` (inclusive), never any after ``upper_bound``.

        ``upper_bound`` is the runtime clock's business date for the site: under a sandbox
        clock set in the past, the "future" that exists in the store stays invisible.
        """
        last = min(end, upper_bound)
        if start > last:
            return []
        days = self._list_days(site_id, start, last)
        if len(days) <= 1 or self.max_workers <= 1:
            per_day = [self._read_day(site_id, d) for d in days]
        else:
            with ThreadPoolExecutor(max_workers=min(self.max_workers, len(days))) as pool:
                per_day = list(pool.map(lambda d: self._read_day(site_id, d), days))
        rows = [r for day_rows in per_day for r in day_rows if start <= r.business_date <= last]
        return sorted(rows, key=lambda r: (r.business_date, r.area))

    def _list_days(self, site_id: str, start: date, last: date) -> list[date]:
        """Stored days in ``start..last``, listing from ``start`` and stopping past ``last``."""
        prefix = f"finance/{check_site_id(site_id)}/"
        # "{prefix}{start}" sorts just before "{prefix}{start}.json": the listing starts at start.
        after = f"{prefix}{start.isoformat()}"
        limit = min((last - start).days + 1, 1000)
        found: list[date] = []
        while True:
            page = self.store.list_page(prefix, start_after=after, limit=limit)
            for key in page:
                d = _key_date(key)
                if d is not None and d > last:
                    return found
                if d is not None and d >= start:
                    found.append(d)
            if len(page) < limit:
                return found
            after = page[-1]

    def _read_day(self, site_id: str, d: date) -> list[FinanceRow]:
        doc = self.store.get_json(day_key(site_id, d))
        if not doc:
            return []
        loaded = doc.get("loaded_at")  # None in a document written before load times were kept
        return [
            FinanceRow(site_id=site_id, business_date=d, loaded_at=loaded, **row)
            for row in doc.get("rows", [])
        ]


# -- summaries ------------------------------------------------------------------------------------


def _totals(rows: Sequence[FinanceRow]) -> dict[str, Any]:
    """Metric totals plus derived ratios; money as floats with 2 decimals, ratios None when undefined."""
    money = {f: sum((getattr(r, f) for r in rows), Decimal(0)) for f in MONEY_FIELDS}
    hours = round(sum(r.table_hours for r in rows), 2)
    counts = {f: sum(getattr(r, f) for r in rows) for f in COUNT_FIELDS}
    revenue = money["table_revenue"] + money["goods_revenue"]
    return {
        **{f: float(_cents(v)) for f, v in money.items()},
        "table_hours": hours,
        **counts,
        "revenue": float(_cents(revenue)),
        "avg_order_value": float(_cents(revenue / counts["orders"])) if counts["orders"] else None,
        "table_revenue_per_hour": (
            float(_cents(money["table_revenue"] / Decimal(repr(hours)))) if hours else None
        ),
    }


def summarize(rows: Iterable[FinanceRow], area: str) -> dict[str, Any]:
    """Totals for ``area`` ("all" = every area rolled up, with a per-area breakdown)."""
    rows = list(rows)
    picked = rows if area == ALL_AREAS else [r for r in rows if r.area == area]
    summary: dict[str, Any] = {
        "area": area,
        "days_with_data": len({r.business_date for r in picked}),
        "totals": _totals(picked),
    }
    if area == ALL_AREAS:
        names = sorted({r.area for r in rows})
        summary["areas"] = [{"area": name, **_totals([r for r in rows if r.area == name])} for name in names]
    return summary


def _change(current: float | int | None, previous: float | int | None) -> dict[str, Any]:
    """Absolute and percentage change; a zero base has no percentage (unless both are zero)."""
    if current is None or previous is None:
        return {"current": current, "previous": previous, "change": None, "change_pct": None}
    change = current - previous
    change = round(change, 2) if isinstance(change, float) else change
    if previous:
        pct: float | None = round(change / previous * 100, 1)
    else:
        pct = 0.0 if not current else None
    return {"current": current, "previous": previous, "change": change, "change_pct": pct}


def compare(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """Metric-by-metric changes between two :func:`summarize` results (same area)."""
    keys = (*METRICS, *DERIVED)
    result: dict[str, Any] = {
        "area": current["area"],
        "metrics": {k: _change(current["totals"][k], previous["totals"][k]) for k in keys},
    }
    if "areas" in current:
        before = {a["area"]: a for a in previous.get("areas", [])}
        empty = _totals([])
        result["areas"] = {
            a["area"]: {k: _change(a[k], before.get(a["area"], empty)[k]) for k in AREA_COMPARED}
            for a in current["areas"]
        }
    return result
