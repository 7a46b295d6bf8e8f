"""The chat Web function: an ASGI app for FC's custom runtime (uvicorn on port 9000).

Routes (docs/contracts.md): ``POST /chat/messages`` (SSE), ``GET /chat/conversations``,
``GET|DELETE /chat/conversations/{id}`` (``GET`` pages turns newest first: ``?before=&limit=``), plus the custom-runtime hooks
``POST /initialize``, ``GET /pre-stop`` and ``POST /invoke``. The table is :data:`ROUTES`, the
same :class:`~bailian_fc.http.route.Route` type the FC event functions declare theirs with.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette

from .. import logs
from ..auth import Authenticator
from ..bailian.client import BailianClient
from ..catalogue.chat import ChatRequest
from ..errors import ConversationNotFound, NotConfigured, NotFound
from ..http.asgi import AccessLog, method_not_allowed, not_found, starlette_routes
from ..http.fc_event import Response
from ..http.replies import OpenApiDocument
from ..http.route import EventStream, Reply, Request, Route, bind
from ..ids import is_id
from ..runlog import feedback, trace
from ..settings import Settings, get_settings
from ..store import Store, open_store
from . import events
from .conversations import ConversationStore
from .replies import (
    ConversationList,
    ConversationListQuery,
    ConversationPage,
    ConversationPageQuery,
)
from .service import ChatService

log = logging.getLogger("bailian_fc.chat")

TITLE = "bailian-fc chat"
CONVERSATION_ID = {"conversation_id": {"type": "string", "pattern": "^c[0-9a-f]{22}$"}}
TURN_ID = {"turn_id": {"type": "string", "pattern": "^t[0-9a-f]{22}$"}}


class TurnRating(feedback.FeedbackReply):
    conversation_id: str
    turn_id: str


class ChatFunction:
    """The chat function's wiring: settings, store, auth and one Bailian client per process."""

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

    def routes(self) -> list[Route]:
        return bind(ROUTES, self)

    # -- handlers ---------------------------------------------------------------------------------

    async def post_message(self, request: Request[None, ChatRequest]) -> EventStream:
        turn = await self.service.start_turn(request.caller, request.body)
        return EventStream(turn.run, ping_interval=self.settings.chat_ping_seconds, ping=events.PING)

    def list_conversations(self, request: Request[ConversationListQuery, None]) -> dict[str, Any]:
        caller = request.caller
        items = self.conversations.list_conversations(caller.site_id, caller.sub, request.query.limit)
        return {"conversations": items}

    def get_conversation(self, request: Request[ConversationPageQuery, None]) -> dict[str, Any]:
        caller, conversation_id = request.caller, _conversation_id(request)
        meta = self.conversations.get_meta(caller.site_id, caller.sub, conversation_id)
        if meta is None:
            raise ConversationNotFound()
        # Newest first, one ordered read per page: a long conversation never makes a large body.
        turns, next_before = self.conversations.turns_page(
            caller.site_id,
            caller.sub,
            conversation_id,
            before=request.query.before,
            limit=request.query.limit,
        )
        for turn in turns:  # a turn with a run-log record can be rated: it says so (feedback key)
            if trace_ref(turn) is not None:
                turn.setdefault("feedback", None)
        return {**meta, "turns": turns, "next_before": next_before}

    def delete_conversation(self, request: Request[None, None]) -> Response:
        caller = request.caller
        if not self.conversations.delete(caller.site_id, caller.sub, _conversation_id(request)):
            raise ConversationNotFound()
        return Response(204)

    def rate_turn(self, request: Request[None, feedback.Rating]) -> dict[str, Any]:
        """👍/👎 on one of the caller's turns (one rating per user; a second replaces the first)."""
        caller, conversation_id = request.caller, _conversation_id(request)
        turn_id = request.path_params["turn_id"]
        turn = (
            self.conversations.get_turn(caller.site_id, caller.sub, conversation_id, turn_id)
            if is_id(turn_id, "t")
            and self.conversations.get_meta(caller.site_id, caller.sub, conversation_id)
            else None
        )
        ref = trace_ref(turn)
        body = trace.load(self.conversations.store, ref) if ref is not None else None
        if ref is None or body is None or body.get("site_id") != caller.site_id:
            raise NotFound("no such turn to rate", code="TurnNotFound")
        rated = feedback.rate(self.conversations.store, ref, body, caller.sub, request.body, time.time())
        return {**rated.model_dump(mode="json"), "conversation_id": conversation_id, "turn_id": turn_id}

    def lifecycle(self, request: Request[None, None]) -> dict[str, Any]:
        # FC custom-runtime hooks: /initialize warms the client, /invoke is a health answer for `s invoke`.
        if request.path == "/initialize":
            self.client()
        return {"status": "ok", "function": "chat"}

    def openapi(self, request: Request[None, None]) -> dict[str, Any]:
        return document()


def trace_ref(turn: dict[str, Any] | None) -> trace.TraceRef | None:
    """Where a stored turn's run-log trace is (turns stored before traces existed have none)."""
    if not turn:
        return None
    at, request_id, record_id = turn.get("run_at"), turn.get("run_request_id"), turn.get("run_record_id")
    if not (isinstance(at, (int, float)) and isinstance(request_id, str) and isinstance(record_id, str)):
        return None
    return trace.TraceRef.of(float(at), request_id, record_id)


def _conversation_id(request: Request[Any, Any]) -> str:
    value = request.path_params["conversation_id"]
    if not is_id(value, "c"):
        raise ConversationNotFound()
    return value


def create_app(
    settings: Settings | None = None, *, store: Store | None = None, clock: Callable[[], float] = time.time
) -> Starlette:
    """The chat function's ASGI app. ``clock`` (epoch seconds) is every "now" of a turn: tests move it."""
    logs.install()  # uvicorn configures only its own loggers: without this, bailian_fc INFO lines vanish
    function = ChatFunction(settings or get_settings(), store, clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if function.settings.dashscope_api_key is not None:
            function.client()  # pay the dashscope import before the first chat, not during it
        yield
        await function.aclose()

    app = Starlette(
        routes=starlette_routes(function.routes(), function.auth, function.settings.max_body_bytes),
        lifespan=lifespan,
        exception_handlers={404: not_found, 405: method_not_allowed},
    )
    # Starlette's own slash redirect builds an absolute Location from the Host header; web.not_found
    # answers the same redirect with a relative Location instead.
    app.router.redirect_slashes = False
    app.add_middleware(AccessLog)
    app.state.function = function
    return app


def document() -> dict[str, Any]:
    """This function's OpenAPI document, rendered from :data:`ROUTES`."""
    from ..http.openapi import function_document  # only when asked: not on any chat path

    return function_document(TITLE, ROUTES, tag="chat")


def _hook(method: str, path: str) -> Route:
    """One of FC's custom-runtime hooks: FC calls it, no client does (not in the document)."""
    return Route(method, path, ChatFunction.lifecycle, roles=None, documented=False)


# The chat function's route table; its OpenAPI document is rendered from it.
ROUTES: list[Route] = [
    Route(
        "POST",
        "/chat/messages",
        ChatFunction.post_message,
        "one chat turn, streamed as server-sent events (meta, delta…, done | error)",
        Reply(
            None,
            "the SSE stream, one frame per event (chat/events.py)",
            media_type="text/event-stream",
            schema=events.openapi_stream_schema,
        ),
        body=ChatRequest,
        json_only=True,  # a form or text/plain post is a client bug (or a CSRF-style simple request)
        errors=(429,),  # 413 ContextTooLarge, 429 TooManyTurns / TooManyConversations (chat/limits.py)
    ),
    Route(
        "GET",
        "/chat/conversations",
        ChatFunction.list_conversations,
        "the caller's conversations, most recent first",
        Reply(ConversationList, "conversations"),
        query=ConversationListQuery,
    ),
    Route(
        "GET",
        "/chat/conversations/{conversation_id}",
        ChatFunction.get_conversation,
        "one conversation with a page of its turns, newest first (older pages: before=next_before)",
        Reply(ConversationPage, "the conversation"),
        query=ConversationPageQuery,
        path_params=CONVERSATION_ID,
    ),
    Route(
        "DELETE",
        "/chat/conversations/{conversation_id}",
        ChatFunction.delete_conversation,
        "delete a conversation (a turn still streaming does not bring it back)",
        Reply(None, "deleted", status=204),
        path_params=CONVERSATION_ID,
    ),
    Route(
        "POST",
        "/chat/conversations/{conversation_id}/turns/{turn_id}/feedback",
        ChatFunction.rate_turn,
        "rate one of the caller's turns 👍/👎 (a second rating replaces the first)",
        Reply(TurnRating, "the rating as stored"),
        body=feedback.Rating,
        path_params={**CONVERSATION_ID, **TURN_ID},
        errors=(404,),
    ),
    Route(
        "GET",
        "/chat/openapi.json",
        ChatFunction.openapi,
        "this function's OpenAPI 3.1 document",
        Reply(OpenApiDocument, "the document"),
        roles=None,  # public: the contract is no secret
        operation_id="chat_openapi",
        tag="openapi",
    ),
    _hook("POST", "/initialize"),
    _hook("GET", "/pre-stop"),
    _hook("POST", "/invoke"),
]
