"""Structured JSON logs, one object per line, each carrying the request id it was written for.

Every function calls :func:`install` once (chat in ``create_app``, the event functions in their entry),
so ``bailian_fc`` INFO lines reach FC's log service as JSON whatever the runtime's own handler does.
The request id comes from FC's ``x-fc-request-id`` (or the event's ``requestContext.requestId``) when it
is a plausible id, else a fresh one (:func:`pick_request_id`); it lives in a contextvar for the length of
the request (:func:`bound`), which worker threads and tasks started inside the request inherit, so logs,
the run log record and the error body all show the same id.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("bailian_fc_request_id", default=None)
# The fields of the current request's access line, filled by whoever learns them (the run log record
# knows site, app, cache, upstream latency and tokens). One dict per request, shared by reference with
# the tasks and threads the request starts, so a stream's last note still reaches its access line.
_access: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "bailian_fc_access", default=None
)
ACCESS_LOGGER = "bailian_fc.access"
_HANDLER_NAME = "bailian_fc.json"


def pick_request_id(*candidates: Any) -> str:
    """The first candidate that is a plausible id (letters, digits, ``._:-``, ≤ 128), else a fresh one.

    An id is echoed in headers and bodies, so anything else (``<script>``, 2 KB, control characters)
    is replaced rather than passed on.
    """
    for value in candidates:
        if isinstance(value, str) and _REQUEST_ID.fullmatch(value):
            return value
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return _current.get()


@contextlib.contextmanager
def bound(request_id: str) -> Iterator[str]:
    """``request_id`` as the current one inside the block (restored after, for pooled threads)."""
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)


def bind(request_id: str) -> None:
    """Set the current request id for the rest of this context (an ASGI request's own task)."""
    _current.set(request_id)


def open_access() -> dict[str, Any]:
    """Start collecting the current request's access fields (the dict :func:`note` fills)."""
    fields: dict[str, Any] = {}
    _access.set(fields)
    return fields


def note(**fields: Any) -> None:
    """Add fields to the current request's access line (no request: nothing to do)."""
    current = _access.get()
    if current is not None:
        current.update({k: v for k, v in fields.items() if v is not None})


def log_access(fields: dict[str, Any], *, method: str, route: str, status: int, latency_ms: float) -> None:
    """The one access line of a request: what happened, as fields (never a payload)."""
    entry = {"method": method, "route": route, "status": status, "latency_ms": round(latency_ms, 1), **fields}
    logging.getLogger(ACCESS_LOGGER).info("%s %s %s", method, route, status, extra={"fields": entry})


class JsonFormatter(logging.Formatter):
    """``{"ts","level","logger","message","request_id"[,"exc"]}`` on one line, non-ASCII kept readable;
    a record's ``fields`` (``extra={"fields": {...}}``) become top-level keys, queryable in SLS."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or _current.get(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({k: v for k, v in fields.items() if k not in entry})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def install(level: int = logging.INFO, stream: Any = None) -> logging.Handler:
    """Give the ``bailian_fc`` logger a JSON handler (once per process; later calls return it)."""
    logger = logging.getLogger("bailian_fc")
    for handler in logger.handlers:
        if handler.get_name() == _HANDLER_NAME:
            return handler
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False  # FC's root handler would print each line a second time, unstructured
    return handler
