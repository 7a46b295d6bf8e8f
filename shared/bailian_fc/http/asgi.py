"""The ASGI adapter: :class:`~.route.Route` tables as Starlette routes, bounded bodies, JSON errors,
request ids and access lines.

Each route goes through :func:`.route.prepare` as under the FC event adapter (:mod:`.router`):
the caller, then the query, then the body; an ``async def`` handler runs on the event loop, a
plain one in a worker thread (store calls block).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match
from starlette.routing import Route as StarletteRoute

from .. import logs
from ..auth import Authenticator
from ..logs import pick_request_id
from .errors import JSON_HEADERS, ApiError, error_body, to_api_error
from .fc_event import Response as Answer
from .route import EventStream, Route, prepare
from .sse import EventStreamResponse

log = logging.getLogger("bailian_fc.http.asgi")

Endpoint = Callable[[Request], Awaitable[Any]]


def request_id(request: Request) -> str:
    """FC's ``x-fc-request-id`` when it is a plausible id (it is echoed), else a fresh one; also the
    current id of :mod:`bailian_fc.logs` for the rest of this request."""
    rid: str | None = request.scope.setdefault("state", {}).get("request_id")
    if rid is None:
        rid = pick_request_id(request.headers.get("x-fc-request-id"))
        request.scope["state"]["request_id"] = rid
        logs.bind(rid)
    return rid


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) anything over ``limit`` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "PayloadTooLarge", f"the request body exceeds {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "PayloadTooLarge", f"the request body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def error_response(err: ApiError, request: Request) -> JSONResponse:
    headers = {**JSON_HEADERS, "x-request-id": request_id(request), **err.headers}
    return JSONResponse(
        error_body(err.code, err.message, request_id(request), err.details),
        status_code=err.status,
        headers=headers,
    )


def endpoint(fn: Endpoint) -> Endpoint:
    """Answer every failure as the JSON error contract; never a stack trace."""

    @functools.wraps(fn)
    async def wrapper(request: Request) -> Response:
        request_id(request)  # bound before anything logs
        try:
            response: Response = await fn(request)
            return response
        except Exception as exc:
            return error_response(to_api_error(exc, f"{request.method} {request.url.path}"), request)

    return wrapper


def starlette_routes(
    routes: list[Route], auth: Authenticator | None, max_body_bytes: int
) -> list[StarletteRoute]:
    """The Starlette routes dispatching ``routes`` (bound handlers: ``handler(request)``)."""
    return [StarletteRoute(r.path, _endpoint(r, auth, max_body_bytes), methods=[r.method]) for r in routes]


def _endpoint(route: Route, auth: Authenticator | None, max_body_bytes: int) -> Endpoint:
    async def run(request: Request) -> Any:
        rid = request_id(request)
        body = b"" if request.method in ("GET", "HEAD") else await read_body(request, max_body_bytes)
        req = prepare(
            route,
            auth,
            method=request.method,
            path=request.url.path,
            path_params=dict(request.path_params),
            # Repeated headers comma-joined, as FC's event adapter receives them: one rule on both
            # adapters (two Authorization headers are then refused alike, never "the first one wins").
            headers={name: ", ".join(request.headers.getlist(name)) for name in request.headers},
            query=dict(request.query_params),
            body=body,
            request_id=rid,
        )
        if route.is_async:
            result = await route.handler(req)
        else:
            result = await anyio.to_thread.run_sync(route.handler, req)
        return answer(result, rid)

    run.__name__ = getattr(route.handler, "__name__", "route")
    return endpoint(run)


def answer(result: Any, rid: str) -> Any:
    """A handler's result as an ASGI response: an event stream, no body, or JSON."""
    if isinstance(result, EventStream):
        ping = {} if result.ping is None else {"ping": result.ping}
        return EventStreamResponse(
            result.producer, ping_interval=result.ping_interval, headers={"x-request-id": rid}, **ping
        )
    reply = result if isinstance(result, Answer) else Answer(200, result)
    headers = {**reply.headers, "x-request-id": rid}
    if reply.body is None:
        return Response(status_code=reply.status, headers=headers)
    return JSONResponse(reply.body, status_code=reply.status, headers={**JSON_HEADERS, **headers})


async def not_found(request: Request, exc: Exception) -> Response:
    """404, or a 307 to the same path with/without its trailing slash when that one is a route.

    The Location is relative (path and query only): built from the Host header, as Starlette's own
    redirect is, it would send the client wherever a forged Host points.
    """
    other = _slash_twin(request)
    if other is not None:
        query = request.url.query
        location = quote(other, safe="/!$&'()*+,;=:@-._~") + (f"?{query}" if query else "")
        return Response(status_code=307, headers={"location": location, "x-request-id": request_id(request)})
    return error_response(ApiError(404, "NotFound", f"no route for {request.url.path}"), request)


def _slash_twin(request: Request) -> str | None:
    path = request.url.path
    if path == "/" or "//" in path:
        return None
    other = path[:-1] if path.endswith("/") else path + "/"
    scope = {**request.scope, "path": other}
    app = request.scope.get("app")
    routes = getattr(getattr(app, "router", None), "routes", [])
    if any(route.matches(scope)[0] != Match.NONE for route in routes):
        return other
    return None


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    # Starlette's 405 carries the route's ``Allow`` header: keep it, as the FC router does.
    headers = dict(getattr(exc, "headers", None) or {})
    return error_response(
        ApiError(405, "MethodNotAllowed", f"{request.method} is not allowed here", headers=headers), request
    )


class AccessLog:
    """ASGI middleware: one JSON access line per HTTP request, when its response ends (an SSE stream's
    last byte), with ``first_byte_ms`` besides the total; uvicorn's plain access line is off (server.py)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, access = time.monotonic(), logs.open_access()
        state: dict[str, Any] = {"status": 500}

        async def watch(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                access["first_byte_ms"] = round((time.monotonic() - started) * 1000, 1)
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            rid = scope.get("state", {}).get("request_id") or pick_request_id(
                dict(scope.get("headers") or []).get(b"x-fc-request-id", b"").decode("latin-1")
            )
            with logs.bound(rid):
                logs.log_access(
                    access,
                    method=scope.get("method", "?"),
                    route=scope.get("path", "?"),
                    status=state["status"],
                    latency_ms=(time.monotonic() - started) * 1000,
                )
