"""Stand-ins for the FC platform, so the event functions run locally and in tests without Docker.

* :class:`FcContext` has the ``python3.10`` context shape (``request_id``, ``region``, ``account_id``,
  ``function``, ``credentials``, ``service``); :func:`fake_context` builds one.
* :func:`asgi_app` plays FC's HTTP trigger: it turns an ASGI request into the same JSON-bytes event FC
  sends, calls the sync ``handler(event, context)`` in a worker thread, and maps the returned dict back,
  so ``bailian-fc dev`` can serve every event function on one port.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, quote

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("bailian_fc_tools")

FC_MAX_SYNC_BODY = 32 * 1024 * 1024  # FC's limit on a synchronous HTTP-trigger request body
_PATH_SAFE = "/!$&'()*+,;=:@-._~"
_REQUEST_HEADERS_FC_DROPS = ("connection", "keep-alive")
_RESPONSE_HEADERS_WE_SET = ("content-length", "transfer-encoding", "connection")


# -- context -------------------------------------------------------------------------------------


@dataclass
class FunctionMeta:
    name: str = "local"
    handler: str = "index.handler"
    memory: int = 512
    timeout: int = 60


@dataclass
class Credentials:
    """Temporary STS credentials of the function's role; empty locally (no role)."""

    access_key_id: str = ""
    access_key_secret: str = ""
    security_token: str = ""


@dataclass
class ServiceMeta:
    name: str = "bailian-fc"
    log_project: str = ""
    log_store: str = ""
    qualifier: str = "LATEST"
    version_id: str = ""


@dataclass
class FcContext:
    """The ``python3.10`` context object, with values that are safe defaults for local runs."""

    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    region: str = "cn-hangzhou"
    account_id: str = "0000000000000000"
    function: FunctionMeta = field(default_factory=FunctionMeta)
    credentials: Credentials = field(default_factory=Credentials)
    service: ServiceMeta = field(default_factory=ServiceMeta)


_NESTED = {"function": FunctionMeta, "credentials": Credentials, "service": ServiceMeta}


def fake_context(**overrides: Any) -> FcContext:
    """A context for tests and the local runtime; nested parts may be given as dicts of changes.

    ``fake_context(request_id="r1", function={"name": "apps"})`` keeps the other defaults.
    """
    for name, meta in _NESTED.items():
        value = overrides.get(name)
        if isinstance(value, dict):
            overrides[name] = dataclasses.replace(meta(), **value)
    return FcContext(**overrides)


# -- ASGI → FC event -----------------------------------------------------------------------------


def _header_name(name: str) -> str:
    """FC shows header names Title-Cased (``Content-Type``); handlers must compare case-insensitively."""
    return "-".join(part.capitalize() for part in name.split("-"))


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _joined(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Repeated keys comma-joined into one string, exactly as FC does for headers and query."""
    out: dict[str, str] = {}
    for key, value in pairs:
        out[key] = f"{out[key]},{value}" if key in out else value
    return out


def _event_paths(scope: Scope) -> tuple[str, str]:
    """(decoded path, raw path) relative to a mount point, so functions route on their own paths."""
    path: str = scope.get("path") or "/"
    root: str = scope.get("root_path") or ""
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    raw = scope.get("raw_path")
    if raw and not root:
        return path, raw.split(b"?", 1)[0].decode("latin-1")
    return path, quote(path, safe=_PATH_SAFE)


def event_from_asgi(scope: Scope, body: bytes, *, request_id: str, account_id: str = "") -> dict[str, Any]:
    """The FC3 HTTP-trigger event (as a dict) for an ASGI HTTP request."""
    raw_headers = [(_decode(k).lower(), _decode(v)) for k, v in scope.get("headers", [])]
    kept = [
        (_header_name(k), v)
        for k, v in raw_headers
        if k not in _REQUEST_HEADERS_FC_DROPS and not k.startswith("x-fc-")
    ]
    headers = _joined(kept)
    query = _joined(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
    path, raw_path = _event_paths(scope)
    try:
        text, is_b64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_b64 = base64.b64encode(body).decode("ascii"), True
    host = headers.get("Host", "localhost")
    now = time.time()
    client = scope.get("client")
    return {
        "version": "v1",
        "rawPath": raw_path,
        "body": text,
        "isBase64Encoded": is_b64,
        "headers": headers,
        "queryParameters": query,
        "requestContext": {
            "accountId": account_id,
            "domainName": host,
            "domainPrefix": host.split(".", 1)[0],
            "http": {
                "method": scope["method"],
                "path": path,
                "protocol": f"HTTP/{scope.get('http_version', '1.1')}",
                "sourceIp": client[0] if client else "",
                "userAgent": headers.get("User-Agent", ""),
            },
            "requestId": request_id,
            "time": datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timeEpoch": str(int(now * 1000)),
        },
    }


# -- FC result → HTTP ----------------------------------------------------------------------------


def http_from_result(result: Any) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) from what the handler returned; a non-response value is a 200 body."""
    if isinstance(result, dict) and "statusCode" in result:
        status = result["statusCode"]
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(f"invalid statusCode {status!r}")
        headers = {str(k).lower(): str(v) for k, v in (result.get("headers") or {}).items()}
        body = result.get("body") or ""
        if not isinstance(body, str):
            raise ValueError("the response body must be a string")
        payload = base64.b64decode(body, validate=True) if result.get("isBase64Encoded") else body.encode()
        return status, headers, payload
    if result is None:
        return 200, {}, b""
    if isinstance(result, (bytes, bytearray)):
        return 200, {}, bytes(result)
    if isinstance(result, str):
        return 200, {}, result.encode()
    return 200, {"content-type": "application/json"}, json.dumps(result, ensure_ascii=False).encode()


def _invocation_error(exc: Exception) -> tuple[int, dict[str, str], bytes]:
    """What FC answers when a handler raises (without the stack trace FC would add: it is logged)."""
    body = {"errorMessage": str(exc), "errorType": type(exc).__name__}
    return (
        502,
        {"content-type": "application/json", "x-fc-error-type": "UnhandledInvocationError"},
        json.dumps(body).encode(),
    )


# -- the ASGI app --------------------------------------------------------------------------------


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None when it exceeds ``limit`` or the client went away."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length" and value.isdigit():
            return int(value)
    return 0


def _too_large(limit: int, ours: bool, request_id: str) -> bytes:
    """Our error contract when the function's limit applies; FC's own shape past FC's limit."""
    if ours:
        from bailian_fc.http.errors import error_body

        body: Any = error_body("PayloadTooLarge", f"the request body exceeds {limit} bytes", request_id)
    else:
        body = {"errorMessage": f"request body exceeds {limit} bytes", "errorType": "EntityTooLarge"}
    return json.dumps(body).encode()


async def _send(send: Send, status: int, headers: dict[str, str], body: bytes) -> None:
    out = [
        (k.encode("latin-1", "replace"), v.encode("utf-8"))
        for k, v in headers.items()
        if k not in _RESPONSE_HEADERS_WE_SET
    ]
    if headers.get("connection") == "close":  # ours, not the handler's: stop an oversize upload early
        out.append((b"connection", b"close"))
    out.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": out})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def asgi_app(
    handler: Callable[[bytes, Any], Any],
    *,
    context_factory: Callable[[str], Any] | None = None,
    max_event_body: int = FC_MAX_SYNC_BODY,
    max_body_bytes: int | None = None,
) -> ASGIApp:
    """Serve an FC ``handler(event, context)`` over ASGI, the way FC's HTTP trigger calls it.

    ``context_factory(request_id)`` builds each invocation's context (default: :func:`fake_context`).
    The sync handler runs in a worker thread so one slow call does not stall the event loop.
    ``max_body_bytes`` (the function's own limit, ``dev`` sets it) refuses a larger body with our 413
    error body as soon as its Content-Length or its first bytes over the limit arrive, instead of
    buffering up to FC's ``max_event_body`` and answering in FC's shape.
    """
    limit = max_event_body if max_body_bytes is None else min(max_body_bytes, max_event_body)
    make_context = context_factory or (lambda rid: fake_context(request_id=rid))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1003})
            return
        request_id = uuid.uuid4().hex
        body = None if _declared_length(scope) > limit else await _read_body(receive, limit)
        if body is None:
            await _send(
                send,
                413,
                {"content-type": "application/json", "connection": "close"},
                _too_large(limit, max_body_bytes is not None, request_id),
            )
            return
        context = make_context(request_id)
        event = event_from_asgi(
            scope, body, request_id=request_id, account_id=str(getattr(context, "account_id", ""))
        )
        try:
            result = await anyio.to_thread.run_sync(
                handler, json.dumps(event, ensure_ascii=False).encode(), context
            )
            status, headers, payload = http_from_result(result)
        except Exception as exc:
            log.exception("FC handler failed for %s %s", scope["method"], scope.get("path"))
            status, headers, payload = _invocation_error(exc)
        headers.setdefault("x-fc-request-id", request_id)
        await _send(send, status, headers, payload)

    return app
