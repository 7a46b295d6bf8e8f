"""The hourly run-log roll-ups behind the admin dashboard (:mod:`.view` builds it; :mod:`.daily`
folds closed business days).

Why roll-ups: 30 days × 5,000 calls is 150,000 run log records; reading them per request costs
seconds on the file store and minutes on OSS. Each *completed* UTC hour is summarised once into

    rollups/runlogs/hourly/YYYY-MM-DD/HH.json
    {"v": 2, "hour": ISO, "computed_at": ISO, "records": n,
     "groups": [{"site": s, "origin": "user"|"scheduled", "app": a, "stats": Stats.to_json()}, …]}

(counts, error-code and cache-state counts, token sums and a fixed log-bucket latency histogram,
see :mod:`.histogram` for the ≈3.85 % percentile error), so a 30-day dashboard reads 720 small files
plus the live hour. An hour is *complete* ``GRACE`` (5 min) after it ends: run log records are
stamped when written, so the grace only has to cover clock skew between instances and a slow put.
A record stored later than that is not in the roll-up (documented loss; the raw record stays
readable through ``/admin/runlogs``). Hours not yet complete are computed live on every request
and never written. Empty hours are written too, so a later request never lists them again.

Roll-ups are derived: two writers compute the same content, so last-writer-wins is fine (OSS has
no compare-and-swap and none is needed). A roll-up with another ``v`` is recomputed on read (v1
kept one group per app; v2 splits by site, so a site admin's dashboard holds only its site, and by
origin, so the prewarm's scheduled calls never pass for users' traffic).

The dashboard (:mod:`.view`) groups hours into business dates; an hour belongs to the business date of its
start (:class:`~bailian_fc.clock.BusinessCalendar`). Times are real wall time: run logs are
stamped with the real clock, so a runtime-context sandbox does not move the dashboard.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ..store import Store
from .record import PREFIX as RUNLOG_PREFIX
from .stats import Stats, origin

log = logging.getLogger("bailian_fc.admin")

ROLLUP_PREFIX = "rollups/runlogs/hourly/"
ROLLUP_VERSION = 2
GRACE = timedelta(minutes=5)
HOUR = timedelta(hours=1)
DEFAULT_LOOKBACK = timedelta(days=7)
READ_WORKERS = 8  # parallel gets on network stores (see ``reader``)
MAX_DAYS = 90
HOURLY_MAX_DAYS = 2  # up to this period the dashboard also gives per-hour series (a day's shape)

Mapper = Callable[..., Iterable[Any]]  # builtins.map or ThreadPoolExecutor.map
Group = tuple[str, str, str]  # (site, origin, app)


@dataclass
class HourRollup:
    hour: datetime
    groups: dict[Group, Stats]
    records: int
    computed_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "v": ROLLUP_VERSION,
            "hour": self.hour.isoformat(),
            "computed_at": self.computed_at.isoformat(),
            "records": self.records,
            "groups": groups_to_json(self.groups),
        }

    def apps(self, site: str | None = None) -> dict[str, Stats]:
        """Per app, over one site (or every site)."""
        return sum_by(self.groups, site, lambda g: g[2])

    @classmethod
    def from_json(cls, raw: Any) -> HourRollup | None:
        """The roll-up, or None when it is from another version or unreadable (then it is recomputed)."""
        if not isinstance(raw, dict) or raw.get("v") != ROLLUP_VERSION:
            return None
        try:
            return cls(
                datetime.fromisoformat(raw["hour"]),
                {
                    (str(g["site"]), str(g["origin"]), str(g["app"])): Stats.from_json(g["stats"])
                    for g in raw["groups"]
                },
                int(raw["records"]),
                datetime.fromisoformat(raw["computed_at"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


def groups_to_json(groups: dict[Group, Stats]) -> list[dict[str, Any]]:
    return [
        {"site": site, "origin": kind, "app": app, "stats": s.to_json()}
        for (site, kind, app), s in sorted(groups.items())
    ]


def groups_from_json(raw: Any) -> dict[Group, Stats]:
    """Raises KeyError/TypeError/ValueError on a malformed list (the caller recomputes)."""
    return {(str(g["site"]), str(g["origin"]), str(g["app"])): Stats.from_json(g["stats"]) for g in raw}


@dataclass
class PendingReport:
    """What :func:`compute_pending` did; ``rollups`` hands the fresh ones to the dashboard (not JSON)."""

    checked: int = 0
    computed: int = 0
    remaining: int = 0
    seconds: float = 0.0
    existing: set[str] = field(default_factory=set, repr=False)
    rollups: dict[datetime, HourRollup] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "computed": self.computed,
            "remaining": self.remaining,
            "seconds": round(self.seconds, 3),
        }


# -- hours --------------------------------------------------------------------------------------


def floor_hour(instant: datetime) -> datetime:
    return instant.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def ceil_hour(instant: datetime) -> datetime:
    floored = floor_hour(instant)
    return floored if floored == instant else floored + HOUR


def hour_range(first: datetime, last: datetime) -> Iterator[datetime]:
    """Hour starts from ``first`` to ``last`` inclusive (both already on the hour, UTC)."""
    hour = first
    while hour <= last:
        yield hour
        hour += HOUR


def is_complete(hour: datetime, now: datetime) -> bool:
    return hour + HOUR + GRACE <= now


def rollup_key(hour: datetime) -> str:
    return f"{ROLLUP_PREFIX}{hour:%Y-%m-%d}/{hour:%H}.json"


def runlog_bucket(hour: datetime) -> str:
    return f"{RUNLOG_PREFIX}{hour:%Y-%m-%d}/{hour:%H}/"


# -- computing and storing roll-ups ------------------------------------------------------------


@contextmanager
def reader(store: Store) -> Iterator[Mapper]:
    """How to read many keys: in parallel on a network store (each get waits on a round trip); one
    by one on the file store, where JSON parsing under the GIL dominates and threads only add
    contention (measured on 700 roll-ups: 8 threads ≈ 1.5× slower than a plain loop)."""
    if store.local_reads:
        yield map
        return
    with ThreadPoolExecutor(READ_WORKERS) as pool:
        yield pool.map


def compute_hour(store: Store, hour: datetime, now: datetime, mapper: Mapper = map) -> HourRollup:
    """Summarise one hour's run log records."""
    keys = store.list(runlog_bucket(hour))
    records = mapper(_read_record, [store] * len(keys), keys)
    groups: dict[Group, Stats] = {}
    count = 0
    for record in records:
        if record is None:
            continue
        group = (str(record.get("site_id") or "unknown"), origin(record), str(record.get("app") or "unknown"))
        groups.setdefault(group, Stats()).add_record(record)
        count += 1
    return HourRollup(hour, groups, count, now)


def sum_by(groups: dict[Group, Stats], site: str | None, key: Callable[[Group], str]) -> dict[str, Stats]:
    out: dict[str, Stats] = {}
    for group, stats in groups.items():
        if site is None or group[0] == site:
            out.setdefault(key(group), Stats()).merge(stats)
    return out


def _read_record(store: Store, key: str) -> dict[str, Any] | None:
    """A run log record, or None for one that vanished or is corrupt (never fail a whole hour)."""
    try:
        raw = store.get_json(key)
    except ValueError:
        log.warning("skipping unreadable run log record %s", key)
        return None
    return raw if isinstance(raw, dict) else None


def read_rollup(store: Store, hour: datetime) -> HourRollup | None:
    try:
        return HourRollup.from_json(store.get_json(rollup_key(hour)))
    except ValueError:
        return None


def write_rollup(store: Store, rollup: HourRollup) -> None:
    store.put_json(rollup_key(rollup.hour), rollup.to_json())


def existing_rollups(store: Store, since: datetime) -> set[str]:
    """Keys of stored roll-ups from ``since`` on: one listing instead of a get per hour."""
    start_after = f"{ROLLUP_PREFIX}{floor_hour(since):%Y-%m-%d}/"
    return set(store.list(ROLLUP_PREFIX, start_after=start_after))


def rollup_pending(
    store: Store,
    now: datetime | None = None,
    *,
    since: datetime | None = None,
    budget_seconds: float | None = None,
) -> dict[str, Any]:
    """Compute and store every missing roll-up of a completed hour in ``[since, now)``; a JSON summary.

    The entry point for the prewarm timer job (``runlog_rollup``): ``now`` defaults to the real
    clock, ``since`` to ``now - DEFAULT_LOOKBACK``; ``budget_seconds`` stops early so a tick never
    overruns its FC timeout, and ``remaining`` says how many hours the next tick still has to do.
    Returns ``{"checked", "computed", "remaining", "seconds"}``. Safe to run concurrently with the
    dashboard or another tick: both would write the same content (last writer wins).
    """
    now = now or datetime.now(timezone.utc)
    return compute_pending(store, now, since=since, budget_seconds=budget_seconds).to_json()


def compute_pending(
    store: Store, now: datetime, *, since: datetime | None = None, budget_seconds: float | None = None
) -> PendingReport:
    """:func:`rollup_pending` keeping the fresh roll-ups in memory, so the dashboard need not re-read them.

    Existing roll-ups are not read here; one listing finds them.
    """
    started = time.monotonic()
    now = now.astimezone(timezone.utc)
    first = ceil_hour(since if since is not None else now - DEFAULT_LOOKBACK)
    hours = [h for h in hour_range(first, floor_hour(now)) if is_complete(h, now)]
    report = PendingReport(checked=len(hours), existing=existing_rollups(store, first))
    missing = [h for h in hours if rollup_key(h) not in report.existing]
    with reader(store) as mapper:
        for index, hour in enumerate(missing):
            if budget_seconds is not None and time.monotonic() - started > budget_seconds:
                report.remaining = len(missing) - index
                break
            rollup = compute_hour(store, hour, now, mapper)
            write_rollup(store, rollup)
            report.rollups[hour] = rollup
            report.computed += 1
    report.seconds = time.monotonic() - started
    return report


# -- loading a window of hours ------------------------------------------------------------------


def load_hours(
    store: Store, hours: Sequence[datetime], now: datetime
) -> tuple[dict[datetime, HourRollup], dict[str, int]]:
    """Every hour's roll-up: stored ones reused, missing complete ones computed and stored, the rest live."""
    counts = {"hours": len(hours), "reused": 0, "computed": 0, "live": 0}
    if not hours:
        return {}, counts
    report = compute_pending(store, now, since=hours[0])
    loaded: dict[datetime, HourRollup] = dict(report.rollups)
    counts["computed"] = report.computed
    stored = [h for h in hours if h not in loaded and rollup_key(h) in report.existing]
    with reader(store) as mapper:
        for hour, rollup in zip(stored, mapper(read_rollup, [store] * len(stored), stored), strict=True):
            if rollup is None:  # another version or corrupt: recompute, and repair the file
                rollup = compute_hour(store, hour, now, mapper)
                write_rollup(store, rollup)
                counts["computed"] += 1
            else:
                counts["reused"] += 1
            loaded[hour] = rollup
        for hour in hours:
            if hour not in loaded:  # incomplete (the current hour, or one still in its grace)
                loaded[hour] = compute_hour(store, hour, now, mapper)
                counts["live"] += 1
    return loaded, counts
