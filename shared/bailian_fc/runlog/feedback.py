"""Ratings of answers: 👍/👎 and an optional comment, one current rating per user and answer.

A rating is stored create-only, never overwritten, under the trace it rates::

    runlog-feedback/{YYYY-MM-DD}/{request_id}~{record id}~{HH}/{user}~{rating id}~{up|down}~{app}~{site}.json

A second rating by the same user adds a newer key (rating ids are time-ordered): the newest is the
current one, the older ones are its audit, and two concurrent ratings both land (neither write can
lose the other; the later id wins). Key names carry the rating, app and site, so the dashboard's
down-rating share and the run-log list's ``rating=down`` filter list key names and read no bodies.
Kept as long as traces (``RUNLOG_PAYLOAD_RETENTION_DAYS``), swept by date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from ..errors import NotFound
from ..ids import new_id
from ..store import Store
from . import trace as trace_room
from .index import decode, encode
from .trace import TraceRef

FEEDBACK_PREFIX = "runlog-feedback/"
COMMENT_CHARS = 500
REQUEST_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"


class Rating(BaseModel):
    """The body of a chat turn's feedback route."""

    model_config = ConfigDict(extra="forbid", strict=True)

    rating: Literal["up", "down"]
    comment: StrictStr | None = Field(default=None, max_length=COMMENT_CHARS)


class AppRating(Rating):
    """``POST /apps/feedback``: the rated answer is named by its ``request_id`` (the answer's own)."""

    request_id: StrictStr = Field(pattern=REQUEST_ID_PATTERN)


class RatingView(BaseModel):
    """One user's current rating of an answer (and how many times they changed it)."""

    user: str
    rating: Literal["up", "down"]
    comment: str | None
    at: float
    revisions: int


class FeedbackReply(BaseModel):
    """What a feedback route answers: the rating as stored."""

    request_id: str
    rating: Literal["up", "down"]
    comment: str | None
    at: float
    replaced: bool  # the user had rated this answer before


@dataclass(frozen=True)
class Entry:
    ref: TraceRef
    user: str
    rating_id: str
    rating: str
    app: str
    site: str
    key: str


def folder(ref: TraceRef) -> str:
    return f"{FEEDBACK_PREFIX}{ref.day}/{encode(ref.request_id)}~{ref.record_id}~{ref.hour}/"


def parse(key: str) -> Entry | None:
    ref = TraceRef.parse(key, FEEDBACK_PREFIX)
    parts = key.rsplit("/", 1)[-1].removesuffix(".json").split("~")
    if ref is None or len(parts) != 5 or parts[2] not in ("up", "down"):
        return None
    return Entry(ref, decode(parts[0]), parts[1], parts[2], decode(parts[3]), decode(parts[4]), key)


def current(entries: list[Entry]) -> dict[tuple[str, str], tuple[Entry, int]]:
    """(record id, user) → (newest entry, how many entries)."""
    latest: dict[tuple[str, str], tuple[Entry, int]] = {}
    for entry in entries:
        slot = (entry.ref.record_id, entry.user)
        seen = latest.get(slot)
        if seen is None:
            latest[slot] = (entry, 1)
        else:
            newest = entry if entry.rating_id > seen[0].rating_id else seen[0]
            latest[slot] = (newest, seen[1] + 1)
    return latest


def rate(
    store: Store, ref: TraceRef, trace: dict[str, Any], user: str, body: Rating, at: float
) -> FeedbackReply:
    """Store ``user``'s rating of the answer ``ref`` names (its trace already checked for the site)."""
    before = [e for e in _entries(store, folder(ref)) if e.user == user]
    rating_id = new_id("f")
    tail = "~".join(
        (
            encode(user),
            rating_id,
            body.rating,
            encode(str(trace.get("app") or "")),
            encode(str(trace.get("site_id") or "")),
        )
    )
    record = {
        "user": user,
        "rating": body.rating,
        "comment": body.comment,
        "at": at,
        "request_id": ref.request_id,
    }
    store.put_json_if_absent(f"{folder(ref)}{tail}.json", record)
    return FeedbackReply(
        request_id=ref.request_id, rating=body.rating, comment=body.comment, at=at, replaced=bool(before)
    )


def ratings(store: Store, ref: TraceRef) -> list[RatingView]:
    """Every user's current rating of one answer, with its comment."""
    views = []
    for entry, revisions in current(_entries(store, folder(ref))).values():
        try:
            body = store.get_json(entry.key)
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        comment = body.get("comment")
        at = body.get("at")
        views.append(
            RatingView(
                user=entry.user,
                rating=entry.rating,  # type: ignore[arg-type]
                comment=comment if isinstance(comment, str) else None,
                at=float(at) if isinstance(at, (int, float)) and not isinstance(at, bool) else 0.0,
                revisions=revisions,
            )
        )
    return sorted(views, key=lambda v: v.at)


def day_entries(store: Store, day: str) -> list[Entry]:
    """Every rating of answers given on ``day`` (UTC), current or not: key names only."""
    return _entries(store, f"{FEEDBACK_PREFIX}{day}/")


def _entries(store: Store, prefix: str) -> list[Entry]:
    return [e for e in (parse(k) for k in store.list(prefix)) if e is not None]


def find_answer(
    store: Store, request_id: str, site_id: str, *, now: datetime, days: float
) -> tuple[TraceRef, dict[str, Any]]:
    """The newest trace of ``request_id`` on ``site_id``: another site's answer is not found (404)."""
    for ref in trace_room.find(store, request_id, now=now, days=days):
        body = trace_room.load(store, ref)
        if body is not None and body.get("site_id") == site_id:
            return ref, body
    raise NotFound("no answer with this request_id on your site", code="AnswerNotFound")


def tally(store: Store, days: list[str], site: str | None) -> dict[str, dict[str, Any]]:
    """Current ratings per app over answers of ``days`` (UTC dates) on ``site`` (None: every site):
    ``{app: {"up", "down", "down_share"}}``, from key names only (one listing per day)."""
    counts: dict[str, dict[str, Any]] = {}
    for day in days:
        entries = [e for e in day_entries(store, day) if site is None or e.site == site]
        for entry, _ in current(entries).values():
            slot = counts.setdefault(entry.app, {"up": 0, "down": 0})
            slot[entry.rating] += 1
    for slot in counts.values():
        rated = slot["up"] + slot["down"]
        slot["down_share"] = round(slot["down"] / rated, 4) if rated else None
    return dict(sorted(counts.items()))


def down_rated(store: Store, days: list[str], site: str | None) -> list[Entry]:
    """Answers of ``days`` that someone currently rates down (newest first), from key names only."""
    found: dict[str, Entry] = {}
    for day in days:
        entries = [e for e in day_entries(store, day) if site is None or e.site == site]
        for entry, _ in current(entries).values():
            if entry.rating == "down":
                found[entry.ref.record_id] = entry
    return sorted(found.values(), key=lambda e: e.ref.record_id, reverse=True)
