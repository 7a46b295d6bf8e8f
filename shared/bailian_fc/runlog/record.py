"""Run log: one record per apps request and per upstream chat call, shaped like a spend log.

Each record is one create-only put under a time-ordered key, bucketed by UTC hour so
the dashboard (and its hourly roll-ups) can list one hour at a time:

    runlogs/YYYY-MM-DD/HH/<record id>.json

Beside it, two empty create-only index entries (by status, by app; see :mod:`.index`) let
``GET /admin/runlogs?status=…``/``?app=…`` read only matching records. The three puts go
together, one round trip (a chat turn writes them after its end frame); a failed put is logged,
never raised, because losing one log line must not fail a user's request.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict

from .. import logs
from ..errors import DomainError, Forbidden, InvalidInput, LimitReached, NotFound, Unauthenticated
from ..ids import new_id
from ..store import Store, StoreError
from . import index

log = logging.getLogger("bailian_fc.runlog.record")

PREFIX = "runlogs/"
MESSAGE_CHARS = 300  # an error message is a sentence; anything longer is cut
EXCERPT_CHARS = 600  # enough of a bad reply to see why it failed its schema, not a whole answer
# Bearer tokens, JWTs and API keys that an upstream message might echo: never kept in a run log.
_SECRETS = re.compile(r"(?i)bearer\s+[\w.~+/=-]+|eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*|\bsk-[\w-]{8,}")


def empty_tokens() -> dict[str, Any]:
    return {"input_tokens": 0, "output_tokens": 0, "tokens_used": 0, "models": {}}


@dataclass
class RunRecord:
    app: str
    site_id: str
    user: str
    request_id: str
    cache: str  # hit | miss | stale | refresh | none
    status: str  # ok | error | rejected (the caller's input or rights: a 4xx; see ``refusal``)
    error_code: str | None = None
    attempts: int = 0
    tokens: dict[str, Any] = field(default_factory=empty_tokens)
    latency_ms: dict[str, float | None] = field(
        default_factory=dict
    )  # queue, upstream_ttfb, upstream, total, overhead
    prompt_version: str | None = None
    upstream_request_id: str | None = None
    error_message: str | None = None  # bounded and redacted, see ``failure_fields``
    reply_excerpt: str | None = None  # the start of a reply that failed its schema
    # Cost (runlog/cost.py): ¥ from the price table; tokens of unpriced models cost 0 and count here.
    model: str | None = None
    cost_cny: float = 0.0
    unpriced_tokens: int = 0
    # A chat turn's record links to its conversation (None for single-turn apps).
    conversation_id: str | None = None
    turn_id: str | None = None
    at: float = field(default_factory=time.time)
    id: str = field(default_factory=lambda: new_id("r"))


def record_key(record: RunRecord) -> str:
    stamp = dt.datetime.fromtimestamp(record.at, dt.timezone.utc)
    return f"{PREFIX}{stamp:%Y-%m-%d}/{stamp:%H}/{record.id}.json"


def write(store: Store, record: RunRecord, *also: Callable[[], None]) -> None:
    """The record, its index entries and ``also`` (its trace, its budget count: calls that never
    raise) in one round trip."""
    logs.note(  # the request's access line carries the call's figures as fields
        site=record.site_id,
        app=record.app,
        cache=record.cache,
        upstream_ms=record.latency_ms.get("upstream"),
        upstream_ttfb_ms=record.latency_ms.get("upstream_ttfb"),
        tokens=record.tokens.get("tokens_used"),
    )

    def put_record() -> None:
        try:
            store.put_json_if_absent(record_key(record), asdict(record))
        except StoreError as exc:
            log.warning("run log record %s not written: %s", record.id, exc)

    entries = index.entry_writes(
        store, at=record.at, id=record.id, status=record.status, app=record.app, site=record.site_id
    )
    store.gather(put_record, *entries, *also)  # one round trip: none depends on another


def bounded(text: str | None, limit: int) -> str | None:
    """``text`` without anything that looks like a credential, cut to ``limit`` characters."""
    if not text:
        return None
    clean = _SECRETS.sub("[redacted]", text)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


class FailureFields(TypedDict):
    error_message: str | None
    reply_excerpt: str | None


def failure_fields(error: Exception | None) -> FailureFields:
    """What a run log keeps to explain a failure: its message and, for a reply that failed its
    schema, an excerpt of that reply; both bounded and redacted."""
    if error is None:
        return {"error_message": None, "reply_excerpt": None}
    message = getattr(error, "message", None) or str(error)
    return {
        "error_message": bounded(str(message), MESSAGE_CHARS),
        "reply_excerpt": bounded(getattr(error, "raw_text", None), EXCERPT_CHARS),
    }


# Domain failures that are the caller's doing (what it sent, what it may do, a daily limit it used
# up): "rejected", not "error".
CALLER_FAULTS = (InvalidInput, NotFound, Forbidden, Unauthenticated, LimitReached)


def refusal(exc: Exception) -> tuple[str, str]:
    """``(status, error_code)`` of a call that failed in the domain rather than upstream: a pydantic
    validation error or a caller fault is ``rejected``, anything else (busy, venue data down) an
    ``error``. Only the code is kept: a refusal's message may quote the payload."""
    if isinstance(exc, DomainError):
        return ("rejected" if isinstance(exc, CALLER_FAULTS) else "error"), exc.code
    if type(exc).__name__ == "ValidationError":  # pydantic's, raised by an app's input model
        return "rejected", "ValidationError"
    return "error", type(exc).__name__
