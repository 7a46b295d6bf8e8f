"""``GET /admin/runlogs``: run log records newest first, with an opaque, append-stable cursor.

Records live at ``runlogs/YYYY-MM-DD/HH/<id>.json`` (UTC hour buckets, time-ordered ids), so
"newest first" is a walk of hour buckets from ``to`` downwards, each bucket's keys in reverse.

The cursor is a *position*, never an offset: "keys below K in hour H", plus the resolved range
and filters of the first page. ``to`` is fixed at the first page (default: its now), so a record
appended later (``at`` > ``to``) is never in a later page, and since positions are keys, an
append cannot shift one either. One narrow exception: a record whose id was minted before the
first page but whose put landed after it (a put in flight, milliseconds) shows up in its time
slot if that slot is still ahead of the cursor.

With a ``status`` or ``app`` filter the walk lists that filter's index prefix of each hour
(:mod:`.index`) instead of the raw bucket, and reads only the records it names: the reads of a
filtered page grow with what matches, not with what else was logged. Hours up to the index's
start marker (records written before it existed) are scanned as before. The cursor is the same
either way (a position is a record key), so a walk crosses from indexed hours to scanned ones.
An index entry whose record is gone (retention, a put in flight or failed) is skipped.

Each request does bounded work (``MAX_SCAN`` records read, ``MAX_BUCKETS`` hours listed): a
selective filter may answer fewer than ``limit`` items with a ``next_cursor``; keep paging until
``next_cursor`` is null.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .. import jsonsafe
from ..clock import MAX_EPOCH, SITE_ID_PATTERN, parse_instant
from ..errors import InvalidInput, invalid_field
from ..ids import SAFE_ID_PATTERN
from ..store import Store
from . import feedback, index, trace
from .dashboard import HOUR, floor_hour, reader, runlog_bucket
from .feedback import REQUEST_ID_PATTERN

DEFAULT_RANGE = timedelta(hours=24)
MAX_RANGE = timedelta(days=92)
MAX_SCAN = 2000
MAX_BUCKETS = 168
READ_CHUNK = 32  # keys read together (in parallel on network stores)
CURSOR_VERSION = 1


def _catalogue_keys() -> set[str]:
    """Imported late: the catalogue builds every app's models, which the other routes don't need."""
    from ..catalogue.registry import CATALOGUE

    return set(CATALOGUE)


class RunlogQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    app: str | None = None
    status: Literal["ok", "error", "rejected"] | None = None
    site: str | None = Field(default=None, pattern=SITE_ID_PATTERN)
    from_: datetime | None = Field(default=None, alias="from")
    to: datetime | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)
    # Searches (issue 28): one request's records, one user's (``sub``), answers rated 👎.
    request_id: str | None = Field(default=None, pattern=REQUEST_ID_PATTERN)
    user: str | None = Field(default=None, pattern=SAFE_ID_PATTERN)
    rating: Literal["down"] | None = None

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _instant(cls, value: Any) -> datetime:
        return parse_instant(value)

    @field_validator("app")
    @classmethod
    def _known_app(cls, value: str | None) -> str | None:
        if value is not None and value not in _catalogue_keys():
            raise ValueError(f"unknown app {value!r}: use a catalogue key (GET /apps)")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> RunlogQuery:
        if self.from_ is not None and self.to is not None:
            if self.from_ >= self.to:
                raise ValueError("'from' must be before 'to'")
            if self.to - self.from_ > MAX_RANGE:
                raise ValueError(f"a query spans at most {MAX_RANGE.days} days; page older ranges separately")
        return self


@dataclass(frozen=True)
class Position:
    """Where a walk continues: keys of ``hour``'s bucket strictly below ``below`` (None: all of them)."""

    hour: datetime
    below: str | None = None


@dataclass
class Cursor:
    lo: float
    hi: float
    app: str | None
    status: str | None
    site: str | None
    position: Position
    user: str | None = None

    def encode(self) -> str:
        data = {
            "v": CURSOR_VERSION,
            "lo": self.lo,
            "hi": self.hi,
            "app": self.app,
            "status": self.status,
            "site": self.site,
            "h": int(self.position.hour.timestamp()),
            "k": self.position.below,
            "u": self.user,
        }
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """A cursor this API returned; anything else (forged, truncated, 1e300 or nan bounds) is a 400."""
        try:
            data = jsonsafe.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), max_depth=2)
            if not isinstance(data, dict) or data.get("v") != CURSOR_VERSION:
                raise ValueError("cursor version")
            lo, hi, h = _epoch(data["lo"]), _epoch(data["hi"]), _epoch(data["h"])
            if lo >= hi:
                raise ValueError("cursor range")
            hour = datetime.fromtimestamp(int(h), timezone.utc)
            below = data["k"]
            if below is not None and not (isinstance(below, str) and below.startswith(runlog_bucket(hour))):
                raise ValueError("cursor key")
            filters = (data["app"], data["status"], data["site"])
            if not all(f is None or (isinstance(f, str) and len(f) <= 64) for f in filters):
                raise ValueError("cursor filters")
            user = data.get("u")
            if not (user is None or (isinstance(user, str) and len(user) <= 64)):
                raise ValueError("cursor user")
            return cls(lo, hi, *filters, Position(hour, below), user)
        except (ValueError, KeyError, TypeError, binascii.Error, OverflowError, OSError):
            raise InvalidInput("the cursor is not one this API returned", code="InvalidCursor") from None


def _epoch(value: Any) -> float:
    """Epoch seconds from a cursor: a finite number within the range every query is bounded to."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_EPOCH:
        raise ValueError("cursor time")
    return float(value)


def start_cursor(query: RunlogQuery, now: datetime) -> Cursor:
    """The walk a query asks for: its own cursor, or a fresh one from its range and filters."""
    if query.cursor is None:
        hi = query.to or now
        lo = query.from_ or hi - DEFAULT_RANGE
        if lo >= hi:
            raise invalid_field("from", "'from' must be before 'to'", summary="the query is invalid")
        return Cursor(
            lo.timestamp(),
            hi.timestamp(),
            query.app,
            query.status,
            query.site,
            Position(floor_hour(hi)),
            query.user,
        )
    cursor = Cursor.decode(query.cursor)
    _check_matches(query, cursor)
    return cursor


def _check_matches(query: RunlogQuery, cursor: Cursor) -> None:
    """A cursor carries its filters; a query that contradicts them is a client bug, not a new search."""
    given = {
        "app": (query.app, cursor.app),
        "status": (query.status, cursor.status),
        "site": (query.site, cursor.site),
        "user": (query.user, cursor.user),
        "from": (query.from_ and query.from_.timestamp(), cursor.lo),
        "to": (query.to and query.to.timestamp(), cursor.hi),
    }
    wrong = [name for name, (mine, theirs) in given.items() if mine is not None and mine != theirs]
    if wrong:
        details = [
            {"field": name, "message": "differs from the cursor's", "type": "cursor_mismatch"}
            for name in wrong
        ]
        raise InvalidInput(
            "the query contradicts the cursor's filters; drop them or the cursor",
            code="CursorMismatch",
            details=details,
        )


@dataclass
class Page:
    items: list[dict[str, Any]] = field(default_factory=list)
    next: Position | None = None
    scanned: int = 0
    buckets: int = 0


def _selector(cursor: Cursor) -> Callable[[dict[str, Any]], bool]:
    def wanted(record: dict[str, Any]) -> bool:
        at = record.get("at")
        if not isinstance(at, (int, float)) or not cursor.lo <= at <= cursor.hi:
            return False
        return (
            (cursor.app is None or record.get("app") == cursor.app)
            and (cursor.status is None or record.get("status") == cursor.status)
            and (cursor.site is None or record.get("site_id") == cursor.site)
            and (cursor.user is None or record.get("user") == cursor.user)
        )

    return wanted


def _bucket_keys(store: Store, position: Position) -> list[str]:
    keys = store.list(runlog_bucket(position.hour))
    if position.below is not None:
        keys = keys[: bisect.bisect_left(keys, position.below)]
    return keys[::-1]


def _index_choice(cursor: Cursor) -> tuple[str, str] | None:
    """Which index a filtered walk lists: the status one unless only ``ok`` narrows less than an app."""
    if cursor.status is not None and (cursor.status != "ok" or cursor.app is None):
        return ("status", cursor.status)
    if cursor.app is not None:
        return ("app", cursor.app)
    return None


def _index_keys(store: Store, cursor: Cursor, choice: tuple[str, str]) -> list[str]:
    """The record keys of ``cursor.position``'s hour that its index names as matching, newest first."""
    hour = cursor.position.hour
    bucket = runlog_bucket(hour)
    keys = []
    for name in store.list(index.prefix(hour, *choice)):
        entry = index.parse(name)
        if entry is None or not (
            (cursor.app is None or entry.app == cursor.app)
            and (cursor.status is None or entry.status == cursor.status)
            and (cursor.site is None or entry.site == cursor.site)
        ):
            continue
        key = f"{bucket}{entry.id}.json"
        if cursor.position.below is None or key < cursor.position.below:
            keys.append(key)
    return sorted(keys, reverse=True)


def _read(store: Store, key: str) -> dict[str, Any] | None:
    try:
        raw = store.get_json(key)
    except ValueError:
        return None
    return raw if isinstance(raw, dict) else None


def walk(store: Store, cursor: Cursor, limit: int) -> Page:
    """One page from ``cursor.position`` downwards, within the request's work bounds."""
    page = Page()
    wanted = _selector(cursor)
    last_hour = floor_hour(datetime.fromtimestamp(cursor.lo, timezone.utc))
    position = cursor.position
    choice = _index_choice(cursor)
    since = index.indexed_since(store) if choice is not None else None
    # Hours after the marker's hour hold only indexed records; that hour and older ones are scanned.
    first_indexed = None if since is None else floor_hour(datetime.fromtimestamp(since, timezone.utc)) + HOUR
    with reader(store) as mapper:
        while position.hour >= last_hour:
            if page.buckets >= MAX_BUCKETS:
                page.next = position
                return page
            indexed = choice is not None and first_indexed is not None and position.hour >= first_indexed
            if indexed and choice is not None:
                keys = _index_keys(store, replace(cursor, position=position), choice)
            else:
                keys = _bucket_keys(store, position)
            page.buckets += 1
            start = 0
            while start < len(keys):
                # An indexed key is a match (unless its record is gone): read no more than the page needs.
                size = min(READ_CHUNK, limit - len(page.items)) if indexed else READ_CHUNK
                chunk, start = keys[start : start + size], start + size
                for key, record in zip(chunk, mapper(_read, [store] * len(chunk), chunk), strict=True):
                    page.scanned += 1
                    if record is not None and wanted(record):
                        page.items.append(record)
                    if len(page.items) >= limit or page.scanned >= MAX_SCAN:
                        page.next = Position(position.hour, key)
                        return page
            position = Position(position.hour - HOUR)
    return page


def _utc_days(cursor: Cursor) -> list[str]:
    """The UTC dates of the cursor's range, newest first (traces and ratings are keyed by them)."""
    first = datetime.fromtimestamp(cursor.lo, timezone.utc).date()
    last = datetime.fromtimestamp(cursor.hi, timezone.utc).date()
    return [(last - timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def search(store: Store, query: RunlogQuery, cursor: Cursor) -> Page:
    """``request_id`` or ``rating=down``: the records their keys name, newest first, one page (at most
    ``limit``; no cursor): one key listing per day of the range, then one read per record."""
    wanted = _selector(cursor)
    if query.request_id is not None:
        refs = []
        for day in _utc_days(cursor):
            prefix = f"{trace.TRACE_PREFIX}{day}/{index.encode(query.request_id)}~"
            refs += [r for r in (trace.TraceRef.parse(k) for k in store.list(prefix)) if r is not None]
    else:
        refs = [e.ref for e in feedback.down_rated(store, _utc_days(cursor), cursor.site)]
    page = Page()
    for ref in sorted(refs, key=lambda r: r.record_id, reverse=True)[:MAX_SCAN]:
        record = _read(store, ref.record_key)
        page.scanned += 1
        if record is not None and wanted(record):
            page.items.append(record)
            if len(page.items) >= query.limit:
                break
    return page


def list_runlogs(store: Store, query: RunlogQuery, now: datetime) -> dict[str, Any]:
    """The response body of ``GET /admin/runlogs``."""
    cursor = start_cursor(query, now)
    searching = query.request_id is not None or query.rating is not None
    page = search(store, query, cursor) if searching else walk(store, cursor, query.limit)
    following = None
    if page.next is not None:
        following = replace(cursor, position=page.next).encode()
    return {
        "items": page.items,
        "next_cursor": following,
        "limit": query.limit,
        "from": datetime.fromtimestamp(cursor.lo, timezone.utc).isoformat(),
        "to": datetime.fromtimestamp(cursor.hi, timezone.utc).isoformat(),
        "filters": {
            "app": cursor.app,
            "status": cursor.status,
            "site": cursor.site,
            "user": cursor.user,
            "request_id": query.request_id,
            "rating": query.rating,
        },
        "scanned": page.scanned,
    }
