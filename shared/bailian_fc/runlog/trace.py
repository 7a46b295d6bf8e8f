"""Traces: what a run-log record was about — its input and output — kept as a separate object.

The counts record (``runlogs/{date}/{hour}/{id}.json``) stays small, so the dashboard's roll-ups and
the run-log list read no more than before. Beside it, one create-only object per record::

    runlog-traces/{YYYY-MM-DD}/{request_id}~{record id}~{HH}.json

holds the call's input (an app's parameters and ids; a chat turn's question and page context) and
output (the answer JSON or text), with personal data masked (:mod:`.mask`) and the whole cut to
``RUNLOG_PAYLOAD_MAX_BYTES``. Its own retention (``RUNLOG_PAYLOAD_RETENTION_DAYS``, default 30, shorter
than the counts') sweeps it by date. The key starts with the request id under its UTC date, so
``GET /admin/runlogs/{request_id}`` is one key listing per day looked at (newest first, at most the
payload retention's days; the console passes the record's ``at`` and looks at one), and it names the
counts record (id and hour) without a read.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from ..store import Store, StoreError
from .index import decode, encode
from .mask import mask

log = logging.getLogger("bailian_fc.runlog.trace")

TRACE_PREFIX = "runlog-traces/"
TRACE_VERSION = 1


@dataclass(frozen=True)
class TraceRef:
    """Where one record's trace lives, from its key alone."""

    day: str  # YYYY-MM-DD (UTC, of the record's ``at``)
    request_id: str
    record_id: str
    hour: str  # HH

    @property
    def key(self) -> str:
        return f"{TRACE_PREFIX}{self.day}/{encode(self.request_id)}~{self.record_id}~{self.hour}.json"

    @property
    def record_key(self) -> str:
        return f"runlogs/{self.day}/{self.hour}/{self.record_id}.json"

    @classmethod
    def of(cls, at: float, request_id: str, record_id: str) -> TraceRef:
        stamp = datetime.fromtimestamp(at, timezone.utc)
        return cls(f"{stamp:%Y-%m-%d}", request_id, record_id, f"{stamp:%H}")

    @classmethod
    def parse(cls, key: str, prefix: str = TRACE_PREFIX) -> TraceRef | None:
        rest = key[len(prefix) :] if key.startswith(prefix) else ""
        day, _, name = rest.partition("/")
        parts = name.split("/", 1)[0].removesuffix(".json").split("~")
        if len(day) != 10 or len(parts) != 3:
            return None
        return cls(day, decode(parts[0]), parts[1], parts[2])


def bounded_payload(input: Any, output: Any, max_bytes: int) -> dict[str, Any]:
    """``{"input", "output", "truncated"}`` masked, and at most ``max_bytes`` as JSON: past it the
    output (then the input) is kept as the start of its JSON text."""
    payload = {"input": mask(input), "output": mask(output), "truncated": False}
    size = _size(payload)
    for part in ("output", "input"):
        if size <= max_bytes:
            break
        text = json.dumps(payload[part], ensure_ascii=False, separators=(",", ":"))
        room = max(0, len(text) - (size - max_bytes) - 64)
        payload[part] = text[: room // 3]  # ≤ 3 bytes a character: under the cap whatever the text
        payload["truncated"] = True
        size = _size(payload)
    return payload


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def write(
    store: Store,
    ref: TraceRef,
    *,
    record: dict[str, Any],
    input: Any,
    output: Any,
    max_bytes: int,
) -> None:
    """Create the trace of one record (``record``: who, what app, which site); never raises."""
    body = {
        "v": TRACE_VERSION,
        "request_id": ref.request_id,
        "record_id": ref.record_id,
        "site_id": record.get("site_id"),
        "user": record.get("user"),
        "app": record.get("app"),
        "at": record.get("at"),
        "conversation_id": record.get("conversation_id"),
        "turn_id": record.get("turn_id"),
        **bounded_payload(input, output, max_bytes),
    }
    try:
        store.put_json_if_absent(ref.key, body)
    except StoreError as exc:
        log.warning("trace of %s not written: %s", ref.record_id, exc)


def find(
    store: Store, request_id: str, *, now: datetime, days: float, at: datetime | None = None
) -> list[TraceRef]:
    """The traces of ``request_id``, newest day first: the day of ``at`` only, else every day the
    payload retention keeps (one listing each, stopping at the first day that has one)."""
    if at is not None:
        candidates = [at.astimezone(timezone.utc).date()]
    else:
        today = now.astimezone(timezone.utc).date()
        candidates = [today - timedelta(days=n) for n in range(int(days) + 2)]
    for day in candidates:
        prefix = f"{TRACE_PREFIX}{day:%Y-%m-%d}/{encode(request_id)}~"
        refs = [r for r in (TraceRef.parse(k) for k in store.list(prefix)) if r is not None]
        if refs:
            return sorted(refs, key=lambda r: r.record_id, reverse=True)
    return []


def load(store: Store, ref: TraceRef) -> dict[str, Any] | None:
    try:
        body = store.get_json(ref.key)
    except ValueError:  # corrupt: skipped, like any record
        return None
    return body if isinstance(body, dict) else None
