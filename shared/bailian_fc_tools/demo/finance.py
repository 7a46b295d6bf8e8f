"""``bailian-fc demo-data``: a realistic, deterministic ``finance_area_daily`` sample.

Why it looks the way it does: App2's insights are only worth testing on data with the shapes a
real venue has — busier weekends, a slow trend, day-to-day noise, areas with different prices —
and with metrics that agree with each other (revenue follows table hours × hourly price, orders
and customers follow hours), so a model cannot "discover" contradictions the generator made up.

Each site draws from its own RNG seeded by ``(seed, site_id)``, so the output for a seed is the
same however many sites are generated or in what order they are written.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from bailian_fc.store import Store
from bailian_fc.venue.finance import FinanceRow

if TYPE_CHECKING:
    from bailian_fc.venue.models import ClueDetail


@dataclass(frozen=True)
class AreaKind:
    name: str
    tables: int
    hourly_price: float  # yuan per table hour
    goods_per_hour: float  # drinks and snacks per table hour
    weekend_boost: float = 1.0  # extra weekend lift on top of the venue's weekly pattern


AREA_KINDS = (
    AreaKind("大厅", 14, 36.0, 9.0),
    AreaKind("中式八球区", 10, 42.0, 10.0),
    AreaKind("斯诺克区", 4, 58.0, 12.0),
    AreaKind("包厢区", 6, 88.0, 22.0, 1.08),
    AreaKind("VIP房", 3, 128.0, 35.0, 1.12),
    AreaKind("夜场区", 6, 45.0, 16.0, 1.15),
)
WEEKDAY_FACTOR = (0.84, 0.82, 0.88, 0.95, 1.15, 1.38, 1.27)  # Monday .. Sunday
OPEN_HOURS = 14.0  # table hours a table can sell per business day
RECHARGE_AMOUNTS = (200, 300, 500, 1000, 2000)
Progress = Callable[[str], None]


@dataclass(frozen=True)
class SiteProfile:
    site_id: str
    areas: tuple[AreaKind, ...]
    base_occupancy: dict[str, float]
    scale: float  # how busy the venue is overall
    annual_growth: float


def _site_profile(site_id: str, rng: random.Random, every_area: bool = False) -> SiteProfile:
    """4–6 areas per site (all six with ``every_area``), always with a main hall, in catalogue order."""
    extra = rng.sample(AREA_KINDS[1:], rng.randint(3, 5))  # drawn either way: the sequence stays the same
    areas = AREA_KINDS if every_area else tuple(k for k in AREA_KINDS if k is AREA_KINDS[0] or k in extra)
    return SiteProfile(
        site_id=site_id,
        areas=areas,
        base_occupancy={k.name: rng.uniform(0.32, 0.5) for k in areas},
        scale=rng.uniform(0.8, 1.2),
        annual_growth=rng.uniform(0.0, 0.3),
    )


def _yuan(value: float) -> Decimal:
    return Decimal(f"{max(value, 0.0):.2f}")


def _area_day(profile: SiteProfile, kind: AreaKind, d: date, age_days: int, rng: random.Random) -> FinanceRow:
    """One area's day: occupancy drives hours, hours drive every other metric."""
    weekday = WEEKDAY_FACTOR[d.weekday()] * (kind.weekend_boost if d.weekday() >= 4 else 1.0)
    trend = 1.0 + profile.annual_growth * age_days / 365.0
    occupancy = profile.base_occupancy[kind.name] * weekday * trend * profile.scale * rng.gauss(1.0, 0.07)
    hours = round(kind.tables * OPEN_HOURS * min(max(occupancy, 0.03), 0.97), 1)
    table_revenue = hours * kind.hourly_price * rng.uniform(0.97, 1.03)
    goods = hours * kind.goods_per_hour * max(rng.gauss(1.0, 0.12), 0.0)
    discount = table_revenue * rng.uniform(0.04, 0.10)
    orders = max(round(hours / max(rng.gauss(1.9, 0.15), 1.0)), 1 if hours else 0)
    customers = round(orders * rng.uniform(1.7, 2.3))
    recharges = max(round(customers * 0.015 * rng.gauss(1.0, 0.3)), 0)
    return FinanceRow(
        site_id=profile.site_id,
        business_date=d,
        area=kind.name,
        table_revenue=_yuan(table_revenue),
        goods_revenue=_yuan(goods),
        recharge=Decimal(sum(rng.choice(RECHARGE_AMOUNTS) for _ in range(recharges))),
        consumption=_yuan((table_revenue + goods - discount) * rng.uniform(0.30, 0.45)),
        discount=_yuan(discount),
        table_hours=hours,
        orders=orders,
        customers=customers,
    )


def site_days(
    site_id: str, *, days: int, end: date, seed: int, every_area: bool = False
) -> list[tuple[date, list[FinanceRow]]]:
    """Every day of one site, oldest first (pure: nothing is written)."""
    rng = random.Random(f"{seed}:{site_id}")
    profile = _site_profile(site_id, rng, every_area)
    first = end - timedelta(days=days - 1)
    out = []
    for age in range(days):
        d = first + timedelta(days=age)
        out.append((d, [_area_day(profile, kind, d, age, rng) for kind in profile.areas]))
    return out


class VenueWriter(Protocol):
    def write_site(
        self, site_id: str, days: list[tuple[date, list[FinanceRow]]], clues: list[ClueDetail]
    ) -> None: ...


def generate(
    target: Store | VenueWriter,
    *,
    sites: int = 3,
    days: int = 120,
    end: date,
    seed: int = 7,
    clues: int = 12,
    every_area: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write ``days`` days ending at ``end`` and ``clues`` clue details for ``site-001``.. and
    return what was written. ``target`` is a store (the embedded dataset) or a DWS writer."""
    from bailian_fc_tools.demo.venue import site_clues

    if sites < 1 or days < 1:
        raise ValueError("sites and days must be at least 1")
    writer = target if hasattr(target, "write_site") else _store_writer(target)
    summary: dict[str, Any] = {"sites": [], "areas": {}, "days": days, "rows": 0, "clues": {}}
    for n in range(1, sites + 1):
        site_id = f"site-{n:03d}"
        plan = site_days(site_id, days=days, end=end, seed=seed, every_area=every_area)
        details = site_clues(site_id, end=end, days=days, seed=seed, count=clues) if clues else []
        writer.write_site(site_id, plan, details)
        rows = sum(len(day_rows) for _, day_rows in plan)
        summary["sites"].append(site_id)
        summary["areas"][site_id] = [r.area for r in plan[-1][1]]
        summary["clues"][site_id] = [d.clue.clue_id for d in details]
        summary["rows"] += rows
        if progress:
            progress(f"{site_id}: {len(plan[-1][1])} areas × {days} days = {rows} rows, {len(details)} clues")
    summary.update(start=(end - timedelta(days=days - 1)).isoformat(), end=end.isoformat())
    return summary


def _store_writer(store: Store) -> VenueWriter:
    from bailian_fc.venue.embedded import StoreWriter

    return StoreWriter(store)


# -- CLI ------------------------------------------------------------------------------------------


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from exc


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``demo-data`` to the ``bailian-fc`` parser (called from cli.py)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo-data", help="write a realistic finance and clue sample to DATA_URL's DWS or the store"
    )
    parser.add_argument("--sites", type=_positive, default=3, help="venues to generate (default %(default)s)")
    parser.add_argument(
        "--days",
        type=_positive,
        default=120,
        help="business days of finance rows per area (default %(default)s)",
    )
    parser.add_argument(
        "--end", type=_iso_date, default=None, help="last business date, YYYY-MM-DD (default: today's)"
    )
    parser.add_argument(
        "--seed", type=int, default=7, help="random seed: same seed, same data (default %(default)s)"
    )
    parser.add_argument("--clues", type=int, default=12, help="clue details per site (App3 by clue_id)")
    parser.set_defaults(func=_run)
    return parser


def _run(args: argparse.Namespace) -> int:
    """Fill the venue data ``DATA_URL`` names: the DWS tables (as ``DATA_ADMIN_URL``, the schema
    owner; run ``bailian-fc db migrate`` first) or, by default, the embedded dataset in the store.
    The default end is the *real* business date (not a sandbox's): the upper bound already hides
    whatever lies after a sandbox date."""
    from bailian_fc.clock import BusinessCalendar, utc_now
    from bailian_fc.settings import get_settings
    from bailian_fc.store import open_store
    from bailian_fc.venue import is_postgres

    settings = get_settings()
    end = args.end or BusinessCalendar.from_settings(settings).business_date(utc_now())
    data_url = settings.data_url.get_secret_value() if settings.data_url else ""
    if is_postgres(data_url):
        import os

        import psycopg

        from bailian_fc_tools.db.pg_writer import PostgresWriter

        admin = os.environ.get("DATA_ADMIN_URL", "")
        if not admin:  # DATA_URL is the functions' read login: it cannot (and must not) write
            print("demo-data: set DATA_ADMIN_URL to the schema owner's URL to write the DWS", file=sys.stderr)
            return 2
        try:
            conn = psycopg.connect(admin, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:  # unreachable, refused, bad password: one line, no traceback
            reason = " ".join(ln.strip() for ln in str(exc).splitlines() if ln.strip()) or type(exc).__name__
            print(f"demo-data: cannot connect to DATA_ADMIN_URL: {reason}", file=sys.stderr)
            return 1
        with conn:
            where = f"PostgreSQL {conn.info.host}:{conn.info.port}/{conn.info.dbname}"
            return _fill(args, end, PostgresWriter(conn), where)
    store = open_store(settings.store_url)
    try:
        return _fill(args, end, store, store.url)
    finally:
        store.close()


def _fill(args: argparse.Namespace, end: date, target: Any, where: str) -> int:
    print(f"demo-data: {args.sites} site(s) × {args.days} days ending {end} → {where}", flush=True)
    began = time.perf_counter()
    summary = generate(
        target,
        sites=args.sites,
        days=args.days,
        end=end,
        seed=args.seed,
        clues=args.clues,
        progress=lambda line: print(line, flush=True),
    )
    print(f"done in {time.perf_counter() - began:.2f}s")
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0
