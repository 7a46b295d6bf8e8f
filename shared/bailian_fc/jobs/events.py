"""What the prewarm function is sent, read strictly: timer ticks and manual (run-now) events.

Split from the dispatcher so that the decisions about runs and the parsing of events each stay
one small module; :mod:`bailian_fc.jobs.dispatcher` re-exports these names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from ..clock import SITE_ID_PATTERN
from ..ids import ID_RE
from ..jsonsafe import JsonRejected
from ..jsonsafe import loads as json_loads
from .store import NAME_PATTERN

EVENT_MAX_DEPTH = 16  # a timer or run-now event is a flat object with a small payload


class EventError(ValueError):
    """An event the dispatcher cannot read (not a JSON object, bad triggerTime, bad manual fields)."""


def run_status(summary: Mapping[str, Any], error: str | None) -> str:
    """``ok``, ``partial``, ``failed`` or ``incomplete`` (stopped at the deadline, a later tick resumes).

    A handler that returns still says how it went: ``summary["outcome"]`` of ``partial`` (some items
    failed) or ``failed`` (none succeeded, or a configuration error stopped it) is the run's status.
    """
    if error is not None or summary.get("outcome") == "failed":
        return "failed"
    if summary.get("complete", True) is False:
        return "incomplete"
    return "partial" if summary.get("outcome") == "partial" else "ok"


def decode_event(event: Any) -> dict[str, Any]:
    """The event as a dict: bytes/str are JSON-decoded, a JSON-string ``payload`` is decoded again."""
    if event is None:
        return {}
    if isinstance(event, (bytes, bytearray, memoryview, str)):
        raw = event if isinstance(event, str) else bytes(event)
        try:
            event = json_loads(raw, max_depth=EVENT_MAX_DEPTH) if raw.strip() else {}
        except JsonRejected as exc:  # too deep, not JSON, not UTF-8: a clean refusal, never a crash
            raise EventError(f"the event {exc}") from None
    if not isinstance(event, Mapping):
        raise EventError("event must be a JSON object")
    data = dict(event)
    payload = data.get("payload")
    if isinstance(payload, str) and payload.strip():
        try:
            data["payload"] = json_loads(payload, max_depth=EVENT_MAX_DEPTH)
        except JsonRejected:
            pass  # FC passes the configured string as is; a plain word is a valid payload
    return data


def trigger_time(data: Mapping[str, Any]) -> datetime | None:
    """``triggerTime`` as an aware datetime (FC sends ``2023-12-26T07:49:00Z``; naive = UTC)."""
    raw = data.get("triggerTime")
    if raw in (None, ""):
        return None
    if not isinstance(raw, str):
        raise EventError("triggerTime must be an ISO-8601 string")
    text = raw.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise EventError(f"triggerTime {raw!r} is not ISO-8601") from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def manual_fields(data: Mapping[str, Any]) -> tuple[str, dict[str, Any], bool]:
    """``(job, overrides, force)`` from a manual event; EventError for a malformed one."""
    name = data.get("job")
    if not isinstance(name, str) or not re.match(NAME_PATTERN, name):
        raise EventError(f"manual event needs a job name matching {NAME_PATTERN}")
    site = data.get("site_id")
    if site is not None and (not isinstance(site, str) or not re.match(SITE_ID_PATTERN, site)):
        raise EventError("site_id must match " + SITE_ID_PATTERN)
    force = data.get("force", False)
    if not isinstance(force, bool):
        raise EventError("force must be true or false")
    for handed in ("run_id", "reservation"):  # from the admin's run-now: ids, never paths
        value = data.get(handed)
        if value is not None and (not isinstance(value, str) or not ID_RE.match(value)):
            raise EventError(f"{handed} must be an id")
    overrides = {key: value for key, value in data.items() if key != "job" and value is not None}
    return name, overrides, force
