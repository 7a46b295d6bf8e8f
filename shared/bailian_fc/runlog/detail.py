"""``GET /admin/runlogs/{request_id}``: one record with its trace (input, output) and ratings.

Found through the trace's key (:mod:`.trace`): one listing per day looked at, then the trace and
the counts record it names. A record of a site the admin may not see is not found (404), exactly
as a request id that never existed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ..errors import NotFound
from ..store import Store
from . import feedback, trace
from .feedback import REQUEST_ID_PATTERN, RatingView

REQUEST_ID_PARAM = {"request_id": {"type": "string", "pattern": REQUEST_ID_PATTERN}}


class DetailQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime | None = Field(
        default=None, description="the record's `at` (from the list): look at that UTC day only"
    )


class Conversation(BaseModel):
    conversation_id: str
    turn_id: str | None


class RunlogDetail(BaseModel):
    """One record (the counts, as in the list) with what it was about."""

    request_id: str
    record: dict[str, Any] | None  # None: the counts record is gone or unreadable; the trace remains
    input: Any
    output: Any
    truncated: bool
    ratings: list[RatingView]
    conversation: Conversation | None
    other_records: list[str] = Field(description="ids of this request's other records (same site)")


def detail(
    store: Store,
    request_id: str,
    *,
    now: datetime,
    days: float,
    visible: Callable[[Any], bool],
    at: datetime | None = None,
) -> RunlogDetail:
    shown: list[tuple[trace.TraceRef, dict[str, Any]]] = []
    for ref in trace.find(store, request_id, now=now, days=days, at=at):
        body = trace.load(store, ref)
        if body is not None and visible(body.get("site_id")):
            shown.append((ref, body))
    if not shown:
        raise NotFound("no run log record with this request id", code="RunlogNotFound")
    ref, body = shown[0]
    try:
        record = store.get_json(ref.record_key)
    except ValueError:
        record = None
    conversation = None
    if isinstance(body.get("conversation_id"), str):
        conversation = Conversation(conversation_id=body["conversation_id"], turn_id=body.get("turn_id"))
    return RunlogDetail(
        request_id=request_id,
        record=record if isinstance(record, dict) else None,
        input=body.get("input"),
        output=body.get("output"),
        truncated=bool(body.get("truncated")),
        ratings=feedback.ratings(store, ref),
        conversation=conversation,
        other_records=[r.record_id for r, _ in shown[1:]],
    )
