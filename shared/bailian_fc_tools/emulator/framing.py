"""Bytes of a gateway response: status line and headers, HTTP chunks, SSE events, JSON bodies.

Pure functions, no I/O. The DashScope gateway's conventions live here: its content types,
``X-Request-Id`` on every response, compact JSON with non-ASCII text left as is.
"""

from __future__ import annotations

import http
import json
import uuid
from collections.abc import Iterable
from typing import Any

JSON_CT = "application/json;charset=UTF-8"
SSE_CT = "text/event-stream;charset=UTF-8"

#: the terminating chunk of a chunked body (no trailers)
LAST_CHUNK = b"0\r\n\r\n"

#: ``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))`` -- one shared encoder
#: instead of a new ``JSONEncoder`` per call (same output: ``encode`` keeps no state).
dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

#: the JSON string literal of a ``str``, exactly as :data:`dumps` writes it (C-accelerated).
json_string = json.encoder.encode_basestring


def head(status: int, headers: Iterable[tuple[str, str]]) -> bytes:
    """Status line and header block, up to and including the empty line."""
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines.extend(f"{k}: {v}" for k, v in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunk(data: bytes) -> bytes:
    """One chunk of a ``Transfer-Encoding: chunked`` body."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def sse_event(event_id: int, data: str, event: str = "result", status: int = 200) -> bytes:
    """One SSE event as the gateway frames it (``id``/``event``/``:HTTP_STATUS``/``data``)."""
    return f"id:{event_id}\nevent:{event}\n:HTTP_STATUS/{status}\ndata:{data}\n\n".encode()


def std_headers(
    content_type: str, request_id: str, extra: Iterable[tuple[str, str]] = ()
) -> list[tuple[str, str]]:
    return [
        ("Content-Type", content_type),
        *extra,
        ("X-Request-Id", request_id),
        ("Server", "bailian-emulator"),
    ]


def json_response(
    status: int,
    payload: Any,
    *,
    request_id: str | None = None,
    extra: Iterable[tuple[str, str]] = (),
    close: bool = False,
) -> bytes:
    """A complete JSON response (head and body, ``Content-Length`` framed)."""
    data = dumps(payload).encode()
    rid = (
        request_id or (payload.get("request_id") if isinstance(payload, dict) else None) or str(uuid.uuid4())
    )
    headers = std_headers(JSON_CT, rid, [("Content-Length", str(len(data))), *extra])
    if close:
        headers.append(("Connection", "close"))
    return head(status, headers) + data


def error_body(code: str, message: str) -> dict[str, str]:
    """The gateway's error object, with a fresh request id."""
    return {"request_id": str(uuid.uuid4()), "code": code, "message": message}
