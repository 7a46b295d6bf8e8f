"""The chat Web function: an ASGI app for FC's custom runtime (uvicorn on port 9000).

Routes (docs/contracts.md): ``POST /chat/messages`` (SSE), ``GET /chat/conversations``,
``GET|DELETE /chat/conversations/{id}`` (``GET`` pages turns newest first: ``?before=&limit=``), plus the custom-runtime hooks
``POST /initialize``, ``GET /pre-stop`` and ``POST /invoke``.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import logs
from ..auth import Authenticator, Principal
from ..bailian.client import BailianClient
from ..catalogue.chat import ChatRequest
from ..errors import ConversationNotFound, InvalidInput, NotConfigured, UnsupportedMediaType
from ..http.asgi import (
    AccessLog,
    endpoint,
    json_response,
    method_not_allowed,
    not_found,
    read_model,
    request_id,
)
from ..http.sse import EventStreamResponse
from ..ids import is_id
from ..settings import Settings, get_settings
from ..store import Store, open_store
from . import events
from .conversations import ConversationStore
from .service import ChatService

log = logging.getLogger("bailian_fc.chat")

_LIMIT = re.compile(r"[0-9]{1,3}")


class ChatRuntime:
    """What the routes share: settings, store, auth and one Bailian client per process."""

    def __init__(
        self, settings: Settings, store: Store | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self.store = store or open_store(settings.store_url)
        self.auth = Authenticator.from_settings(settings)
        self.conversations = ConversationStore(self.store, turn_lease=settings.chat_turn_lease_seconds)
        self._client: BailianClient | None = None
        self.service = ChatService(
            conversations=self.conversations, settings=settings, client=self.client, clock=clock
        )

    def client(self) -> BailianClient:
        if self._client is None:
            try:
                self._client = BailianClient.from_settings(self.settings)
            except Exception:
                log.warning("the Bailian client could not be built", exc_info=True)
                raise NotConfigured(
                    "the Bailian client is not configured (DASHSCOPE_API_KEY)", code="UpstreamNotConfigured"
                ) from None
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def principal(self, request: Request) -> Principal:
        return self.auth.authenticate(request.headers.get("authorization"))


def create_app(
    settings: Settings | None = None, *, store: Store | None = None, clock: Callable[[], float] = time.time
) -> Starlette:
    """The chat function's ASGI app. ``clock`` (epoch seconds) is every "now" of a turn: tests move it."""
    logs.install()  # uvicorn configures only its own loggers: without this, bailian_fc INFO lines vanish
    runtime = ChatRuntime(settings or get_settings(), store, clock)

    @endpoint
    async def post_message(request: Request) -> Any:
        principal = runtime.principal(request)
        _require_json(request)
        body = await read_model(request, ChatRequest, runtime.settings.max_body_bytes)
        turn = await runtime.service.start_turn(principal, body)
        return EventStreamResponse(
            turn.run,
            ping_interval=runtime.settings.chat_ping_seconds,
            ping=events.PING,
            headers={"x-request-id": request_id(request)},
        )

    @endpoint
    async def list_conversations(request: Request) -> Response:
        principal = runtime.principal(request)
        limit = _limit(request.query_params.get("limit"))
        items = await anyio.to_thread.run_sync(
            lambda: runtime.conversations.list_conversations(principal.site_id, principal.sub, limit)
        )
        return json_response({"conversations": items}, request)

    @endpoint
    async def get_conversation(request: Request) -> Response:
        principal = runtime.principal(request)
        conversation_id = _conversation_id(request)
        limit = _limit(request.query_params.get("limit"))
        before = request.query_params.get("before")
        if before is not None and not is_id(before, "t"):
            raise InvalidInput("before must be a turn id (next_before of the previous page)")

        def load() -> dict[str, Any] | None:
            meta = runtime.conversations.get_meta(principal.site_id, principal.sub, conversation_id)
            if meta is None:
                return None
            # Newest first, one ordered read per page: a long conversation never makes a large body.
            turns, next_before = runtime.conversations.turns_page(
                principal.site_id, principal.sub, conversation_id, before=before, limit=limit
            )
            return {**meta, "turns": turns, "next_before": next_before}

        found = await anyio.to_thread.run_sync(load)
        if found is None:
            raise ConversationNotFound()
        return json_response(found, request)

    @endpoint
    async def delete_conversation(request: Request) -> Response:
        principal = runtime.principal(request)
        conversation_id = _conversation_id(request)
        existed = await anyio.to_thread.run_sync(
            runtime.conversations.delete, principal.site_id, principal.sub, conversation_id
        )
        if not existed:
            raise ConversationNotFound()
        return Response(status_code=204, headers={"x-request-id": request_id(request)})

    @endpoint
    async def lifecycle(request: Request) -> Response:
        # FC custom-runtime hooks: /initialize warms the client, /invoke is a health answer for `s invoke`.
        if request.url.path == "/initialize":
            runtime.client()
        return json_response({"status": "ok", "function": "chat"}, request)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if runtime.settings.dashscope_api_key is not None:
            runtime.client()  # pay the dashscope import before the first chat, not during it
        yield
        await runtime.aclose()

    @endpoint
    async def openapi(request: Request) -> Response:
        from .openapi import document  # only when asked: not on any chat path

        live = [
            (m, r.path) for r in request.app.routes if isinstance(r, Route) for m in sorted(r.methods or ())
        ]
        return json_response(document(live), request)

    handlers = {
        "post_message": post_message,
        "list_conversations": list_conversations,
        "get_conversation": get_conversation,
        "delete_conversation": delete_conversation,
        "openapi": openapi,
        "lifecycle": lifecycle,
    }
    routes = [Route(path, handlers[name], methods=[method]) for method, path, name in ROUTES]
    app = Starlette(
        routes=routes, lifespan=lifespan, exception_handlers={404: not_found, 405: method_not_allowed}
    )
    # Starlette's own slash redirect builds an absolute Location from the Host header; web.not_found
    # answers the same redirect with a relative Location instead.
    app.router.redirect_slashes = False
    app.add_middleware(AccessLog)
    app.state.runtime = runtime
    return app


# The route table: (method, path, handler). /initialize, /pre-stop and /invoke are FC's runtime hooks.
ROUTES = (
    ("POST", "/chat/messages", "post_message"),
    ("GET", "/chat/conversations", "list_conversations"),
    ("GET", "/chat/conversations/{conversation_id}", "get_conversation"),
    ("DELETE", "/chat/conversations/{conversation_id}", "delete_conversation"),
    ("GET", "/chat/openapi.json", "openapi"),
    ("POST", "/initialize", "lifecycle"),
    ("GET", "/pre-stop", "lifecycle"),
    ("POST", "/invoke", "lifecycle"),
)


def chat_routes() -> list[tuple[str, str]]:
    return [(method, path) for method, path, _ in ROUTES]


def _conversation_id(request: Request) -> str:
    value: str = request.path_params["conversation_id"]
    if not is_id(value, "c"):
        raise ConversationNotFound()
    return value


def _limit(raw: str | None) -> int:
    if raw is None:
        return 20
    # ASCII digits only: str.isdigit() is true for "²", which int() then refuses.
    if not _LIMIT.fullmatch(raw) or not 1 <= int(raw) <= 100:
        raise InvalidInput("limit must be an integer from 1 to 100")
    return int(raw)


def _require_json(request: Request) -> None:
    """A JSON body must say so: a form or text/plain post is a client bug (or a CSRF-style simple request)."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMediaType("send the body as Content-Type: application/json")
