"""The business day and the one sandbox clock every "now" comes from.

* :class:`BusinessCalendar` — a billiard venue's day runs past midnight, so an instant belongs to
  business date D when ``D@day_start <= t < (D+1)@day_start`` in the venue's time zone.
* :class:`Reading` — one reading of the clock for one site (instant, business date, context tag):
  what an answer is computed under and cached by (docs/business-day.md).
* :class:`SandboxClock` — the real time, unless an admin set a sandbox (a :class:`SandboxContext`,
  served as ``/admin/runtime-context`` and stored under that name: a public and stored contract): a
  fixed instant or an offset, for every site or one, always with an expiry. Reports, caches and the
  finance upper bound all read this clock, so a sandbox moves all of them together.

Nothing here is a module global: functions build one clock per instance and pass it around, and
tests inject the wall clock and the monotonic timer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from .ids import SAFE_ID_PATTERN, is_safe_id, new_id
from .retention import RetentionRule, id_time, ordered
from .settings import parse_day_start  # the day-start format is a setting's: declared there
from .store import Store, StoreError

if TYPE_CHECKING:
    from .settings import Settings

log = logging.getLogger(__name__)

SITE_ID_PATTERN = SAFE_ID_PATTERN
GLOBAL_KEY = "runtime/context/global.json"
SITE_KEY = "runtime/context/sites/{site_id}.json"
SITES_PREFIX = "runtime/context/sites/"
AUDIT_KEY = "runtime/audit/{id}.json"
_MIN_INSTANT = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MAX_INSTANT = datetime(9999, 1, 1, tzinfo=timezone.utc)
MAX_OFFSET_SECONDS = 10 * 366 * 86400.0  # a decade either way: beyond that it is a typo, not a test

Scope = Literal["global", "site"]


def utc_now() -> datetime:
    """The real wall clock (aware, UTC): the default ``wall`` of :class:`SandboxClock`."""
    return datetime.now(timezone.utc)


def bounded_utc(value: datetime) -> datetime:
    """An aware instant in UTC, bounded to 1970..9998 so every later step (business day ± 1, epoch
    seconds, comparisons) stays in range: ``0001-01-01T00:00:00+14:00`` has no UTC value at all."""
    try:
        utc = value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("the instant is out of range") from None
    if not _MIN_INSTANT <= utc < _MAX_INSTANT:
        raise ValueError("the instant must be between 1970 and 9998")
    return utc


def check_site_id(site_id: str) -> str:
    """Site ids become store key segments, so only a safe, short alphabet is accepted."""
    if not is_safe_id(site_id):
        raise ValueError(f"invalid site id {site_id!r}")
    return site_id


class BusinessCalendar:
    """Maps instants to business dates in one time zone with a day that starts at ``day_start``."""

    def __init__(self, tz: str, day_start: str = "08:00") -> None:
        try:
            self.zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {tz!r}") from exc
        self.tz = tz
        self.day_start = day_start
        self.start_time = parse_day_start(day_start)

    @classmethod
    def from_settings(cls, settings: Settings) -> BusinessCalendar:
        return cls(settings.business_tz, settings.business_day_start)

    def day_bounds(self, d: date) -> tuple[datetime, datetime]:
        """``[D@day_start, (D+1)@day_start)`` as aware datetimes in the calendar's zone."""
        if isinstance(d, datetime):
            raise TypeError("day_bounds takes a date, not a datetime")
        start = datetime.combine(d, self.start_time, tzinfo=self.zone)
        return start, datetime.combine(d + timedelta(days=1), self.start_time, tzinfo=self.zone)

    def business_date(self, instant: datetime) -> date:
        """The business date ``instant`` falls in.

        Decided against :meth:`day_bounds` (compared in UTC: aware datetimes sharing a tzinfo
        compare by wall time, which would be wrong across a DST change), so the two methods agree
        by construction, even where ``day_start`` falls in a DST gap or fold.
        """
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("business_date needs an aware datetime (naive times are ambiguous)")
        utc = instant.astimezone(timezone.utc)
        candidate = instant.astimezone(self.zone).date()
        start, end = (b.astimezone(timezone.utc) for b in self.day_bounds(candidate))
        if utc < start:
            return candidate - timedelta(days=1)
        if utc >= end:
            return candidate + timedelta(days=1)
        return candidate


class SandboxContext(BaseModel):
    """A sandbox clock set by an admin: a fixed instant or an offset, global or for one site."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["fixed", "offset"]
    fixed_at: AwareDatetime | None = None
    offset_seconds: float | None = None
    scope: Scope = "global"
    site_id: str | None = None
    expires_at: AwareDatetime
    reason: str = Field(min_length=1, max_length=200)
    set_by: str = Field(min_length=1, max_length=200)
    set_at: AwareDatetime

    @field_validator("fixed_at", "expires_at", "set_at")
    @classmethod
    def _to_utc(cls, value: datetime | None) -> datetime | None:
        """Stored and compared in UTC, so documents written anywhere read back identically."""
        return None if value is None else bounded_utc(value)

    @field_serializer("fixed_at", "expires_at", "set_at")
    def _iso(self, value: datetime | None) -> str | None:
        """``+00:00`` rather than pydantic's ``Z``: the same spelling as ``GET /clock`` and audit stamps."""
        return None if value is None else value.isoformat()

    @field_validator("offset_seconds")
    @classmethod
    def _finite_offset(cls, value: float | None) -> float | None:
        if value is not None and (not math.isfinite(value) or abs(value) > MAX_OFFSET_SECONDS):
            raise ValueError(f"offset_seconds must be finite and within ±{MAX_OFFSET_SECONDS:.0f}")
        return value

    @field_validator("site_id")
    @classmethod
    def _safe_site(cls, value: str | None) -> str | None:
        return None if value is None else check_site_id(value)

    @model_validator(mode="after")
    def _consistent(self) -> SandboxContext:
        if self.mode == "fixed" and (self.fixed_at is None or self.offset_seconds is not None):
            raise ValueError("mode 'fixed' needs fixed_at and no offset_seconds")
        if self.mode == "offset" and (self.offset_seconds is None or self.fixed_at is not None):
            raise ValueError("mode 'offset' needs offset_seconds and no fixed_at")
        if (self.scope == "site") != (self.site_id is not None):
            raise ValueError("site_id is required for scope 'site' and forbidden for scope 'global'")
        if self.expires_at <= self.set_at:
            raise ValueError("expires_at must be after set_at")
        return self

    @property
    def key(self) -> str:
        return context_key(self.scope, self.site_id)

    def active(self, wall: datetime) -> bool:
        """Expiry is judged on the *real* time: a sandbox cannot keep itself alive by moving now."""
        return wall < self.expires_at

    def apply(self, wall: datetime) -> datetime:
        if self.mode == "fixed":
            assert self.fixed_at is not None
            return self.fixed_at
        assert self.offset_seconds is not None
        return wall + timedelta(seconds=self.offset_seconds)


LIVE = "live"


def context_tag(ctx: SandboxContext | None) -> str:
    """The runtime context an answer is computed under, as a short key segment.

    ``live`` for the real clock; for a sandbox, a digest of its whole stored document, so both its
    identity (scope, site) and its version (mode, instant or offset, ``set_at``) are in it: setting
    the sandbox again, even to the same instant, is a new tag, and clearing it goes back to ``live``.
    """
    if ctx is None:
        return LIVE
    body = json.dumps(ctx.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return "sbx-" + hashlib.sha256(body.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Reading:
    """One reading of the clock for one site: the instant, its business date and the context tag.

    Taken once per request, so the data bound, the cache key and the answer's ``meta`` agree even
    when the request straddles the day start or a sandbox change.
    """

    site_id: str | None
    now: datetime
    business_date: date
    context: str

    @property
    def live(self) -> bool:
        return self.context == LIVE


def context_key(scope: Scope, site_id: str | None) -> str:
    """Store key of the context for ``scope`` (and ``site_id`` for scope 'site')."""
    if scope == "global":
        if site_id is not None:
            raise ValueError("scope 'global' takes no site_id")
        return GLOBAL_KEY
    if scope == "site":
        if site_id is None:
            raise ValueError("scope 'site' needs a site_id")
        return SITE_KEY.format(site_id=check_site_id(site_id))
    raise ValueError(f"scope must be 'global' or 'site', not {scope!r}")


class SandboxClock:
    """The effective now: real wall time, moved by an unexpired runtime context when one is set.

    Contexts are read from the store and cached per key for ``cache_seconds`` of *monotonic* time,
    so a busy function reads the store at most once per key per window. Expiry is checked on
    every call against the wall clock, so a context stops applying the moment it expires even
    while cached. Another instance's ``set_context`` is seen within ``cache_seconds``.
    """

    def __init__(
        self,
        store: Store,
        calendar: BusinessCalendar,
        wall: Callable[[], datetime] = utc_now,
        cache_seconds: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.calendar = calendar
        self._wall = wall
        self._monotonic = monotonic
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, SandboxContext | None]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, store: Store, settings: Settings, **kwargs: Any) -> SandboxClock:
        return cls(store, BusinessCalendar.from_settings(settings), **kwargs)

    # -- reading ------------------------------------------------------------------------------

    def wall_now(self) -> datetime:
        """The real time (aware UTC), for audit stamps and expiry: never the sandbox time."""
        wall = self._wall()
        if wall.tzinfo is None or wall.utcoffset() is None:
            raise ValueError("the wall clock must return aware datetimes")
        return wall.astimezone(timezone.utc)

    def context(self, site_id: str | None = None) -> SandboxContext | None:
        """The context in force for ``site_id``: the site's beats the global one; expired ones don't count."""
        return self._effective(site_id, self.wall_now())

    def now(self, site_id: str | None = None) -> datetime:
        """The effective now (aware UTC) for ``site_id`` (None: the global view)."""
        wall = self.wall_now()
        ctx = self._effective(site_id, wall)
        return wall if ctx is None else ctx.apply(wall).astimezone(timezone.utc)

    def business_date(self, site_id: str | None = None) -> date:
        """The business date of :meth:`now`: the upper bound of every data read for the site."""
        return self.calendar.business_date(self.now(site_id))

    def reading(self, site_id: str | None = None) -> Reading:
        """Now, its business date and the context tag for ``site_id``, from one wall reading."""
        wall = self.wall_now()
        ctx = self._effective(site_id, wall)
        now = wall if ctx is None else ctx.apply(wall).astimezone(timezone.utc)
        return Reading(site_id, now, self.calendar.business_date(now), context_tag(ctx))

    def describe(self, site_id: str | None = None) -> dict[str, Any]:
        """The body of ``GET /clock``; now and business date come from one reading, so they agree."""
        wall = self.wall_now()
        ctx = self._effective(site_id, wall)
        now = wall if ctx is None else ctx.apply(wall).astimezone(timezone.utc)
        return {
            "now": now.isoformat(),
            "business_date": self.calendar.business_date(now).isoformat(),
            "tz": self.calendar.tz,
            "day_start": self.calendar.day_start,
            "sandbox": ctx is not None,
            "scope": None if ctx is None else ctx.scope,
            "expires_at": None if ctx is None else ctx.expires_at.isoformat(),
            "mode": None if ctx is None else ctx.mode,
        }

    def list_contexts(self, include_expired: bool = False) -> list[SandboxContext]:
        """Every stored context (global first, then sites in key order), uncached, for the admin view."""
        keys = [GLOBAL_KEY, *self.store.list(SITES_PREFIX)]
        wall = self.wall_now()
        found = (self._load(key) for key in keys)
        return [c for c in found if c is not None and (include_expired or c.active(wall))]

    # -- admin operations ---------------------------------------------------------------------

    def set_context(self, ctx: SandboxContext, actor: str) -> None:
        """Store ``ctx`` (last writer wins: one document per scope), then a create-only audit record.

        ``set_by``/``set_at`` are stamped from ``actor`` and the real wall clock, not taken from
        the payload, so the record says who set it and when, truthfully. An already expired
        context is refused: storing it would be a silent no-op.
        """
        wall = self.wall_now()
        if not ctx.active(wall):
            raise ValueError("expires_at is in the past")
        stamped = SandboxContext.model_validate({**ctx.model_dump(), "set_by": actor, "set_at": wall})
        self.store.put_json(stamped.key, stamped.model_dump(mode="json"))
        self.invalidate()
        self._audit({"action": "set", "context": stamped.model_dump(mode="json"), "actor": actor}, wall)

    def clear_context(self, scope: Scope, site_id: str | None, actor: str) -> bool:
        """Remove the context of ``scope``; True when one was stored. Audited either way."""
        key = context_key(scope, site_id)
        previous = self.store.get_json(key)
        self.store.delete(key)
        self.invalidate()
        record = {"action": "clear", "scope": scope, "site_id": site_id, "actor": actor, "context": previous}
        self._audit(record, self.wall_now())
        return previous is not None

    def invalidate(self) -> None:
        """Forget cached contexts (after a local set/clear, or when a test moves the timers)."""
        with self._lock:
            self._cache.clear()

    # -- internals ----------------------------------------------------------------------------

    def _effective(self, site_id: str | None, wall: datetime) -> SandboxContext | None:
        if site_id is not None:
            site_ctx = self._cached(context_key("site", site_id))
            if site_ctx is not None and site_ctx.active(wall):
                return site_ctx
        global_ctx = self._cached(GLOBAL_KEY)
        return global_ctx if global_ctx is not None and global_ctx.active(wall) else None

    def _cached(self, key: str) -> SandboxContext | None:
        """The context at ``key``, from the cache while fresh.

        When the store fails and a previous reading exists, that reading is kept for another
        window (a store blip must not turn every request into a 503, nor silently drop an
        active sandbox); with nothing cached the error propagates.
        """
        tick = self._monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and tick - hit[0] < self.cache_seconds:
            return hit[1]
        try:
            value = self._load(key)
        except StoreError:
            if hit is None:
                raise
            log.warning("runtime context read failed for %s; keeping the cached value", key)
            value = hit[1]
        with self._lock:
            self._cache[key] = (tick, value)
        return value

    def _load(self, key: str) -> SandboxContext | None:
        raw = self.store.get_json(key)
        if raw is None:
            return None
        try:
            return SandboxContext.model_validate(raw)
        except ValidationError:
            log.warning("ignoring an invalid runtime context at %s", key)
            return None

    def _audit(self, record: dict[str, Any], at: datetime) -> None:
        """Create-only, so no audit record is ever overwritten; a (vanishing) id clash just retries."""
        body = {**record, "at": at.isoformat()}
        for _ in range(3):
            if self.store.put_json_if_absent(AUDIT_KEY.format(id=new_id("a")), body):
                return
        raise StoreError("could not create a unique runtime audit record")


# -- instants a client sends (query strings, cursors) -------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
MAX_EPOCH = 253370764799  # 9999-01-01T00:00:00Z, the end of bounded_utc's range


def parse_instant(value: Any) -> datetime:
    """An aware UTC datetime from ISO-8601 (``Z``/offset; naive = UTC) or epoch seconds.

    Epoch values are always seconds: guessing milliseconds from the magnitude (as some parsers do)
    would silently move a typo'd query by a factor of 1000.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        parsed = _from_epoch(float(value))
    elif isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        parsed = _from_epoch(float(value))
    elif isinstance(value, str):
        text = value.strip()
        if text[-1:] in ("Z", "z"):
            text = text[:-1] + "+00:00"  # Python 3.10's fromisoformat does not take "Z"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("expected ISO-8601 (2026-03-01T08:00:00+08:00) or epoch seconds") from None
    else:
        raise ValueError("expected ISO-8601 or epoch seconds")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return bounded_utc(parsed)


def _from_epoch(seconds: float) -> datetime:
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_EPOCH:
        raise ValueError("epoch seconds out of range")
    return datetime.fromtimestamp(seconds, timezone.utc)


# Clock changes are audited for RETENTION_AUDIT_DAYS (their keys are time-ordered ids).
RETENTION = [RetentionRule("audit", AUDIT_KEY.split("{", 1)[0], ordered(id_time), "retention_audit_days")]
