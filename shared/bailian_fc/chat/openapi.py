"""The chat function's routes as OpenAPI operations: what each one takes and answers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..http.openapi import (
    ANY_LIST,
    ID_SCHEMA,
    NUM,
    STR,
    OpDoc,
    Operation,
    Reply,
    client_operations,
    function_document,
    obj,
    openapi_doc,
)

CONVERSATION = obj({"conversation_id": STR, "title": STR, "created_at": NUM, "updated_at": NUM})


class ConversationListQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=100)


class ConversationPageQuery(BaseModel):
    before: str | None = Field(
        default=None, pattern=r"^t[0-9a-f]{22}$", description="next_before of the previous page"
    )
    limit: int = Field(default=20, ge=1, le=100)


def chat_docs() -> dict[tuple[str, str], OpDoc]:
    from ..catalogue.chat import ChatRequest
    from .events import openapi_stream_schema

    conv = {"conversation_id": ID_SCHEMA}
    return {
        ("POST", "/chat/messages"): OpDoc(
            "one chat turn, streamed as server-sent events (meta, delta…, done | error)",
            "chat",
            body=ChatRequest,
            replies={
                200: Reply(
                    "the SSE stream, one frame per event (chat/events.py)",
                    openapi_stream_schema(),
                    "text/event-stream",
                )
            },
            # 413 ContextTooLarge, 429 TooManyTurns / TooManyConversations (chat/limits.py)
            errors=(429,),
        ),
        ("GET", "/chat/conversations"): OpDoc(
            "the caller's conversations, most recent first",
            "chat",
            query=ConversationListQuery,
            replies={
                200: Reply("conversations", obj({"conversations": {"type": "array", "items": CONVERSATION}}))
            },
        ),
        ("GET", "/chat/conversations/{conversation_id}"): OpDoc(
            "one conversation with a page of its turns, newest first (older pages: before=next_before)",
            "chat",
            path_params=conv,
            query=ConversationPageQuery,
            replies={
                200: Reply(
                    "the conversation",
                    {
                        **CONVERSATION,
                        "required": [*CONVERSATION["required"], "turns", "next_before"],
                        "properties": {
                            **CONVERSATION["properties"],
                            "turns": ANY_LIST,
                            "next_before": {"type": ["string", "null"]},
                        },
                    },
                )
            },
        ),
        ("DELETE", "/chat/conversations/{conversation_id}"): OpDoc(
            "delete a conversation (a turn still streaming does not bring it back)",
            "chat",
            path_params=conv,
            replies={204: Reply("deleted")},
        ),
        ("GET", "/chat/openapi.json"): openapi_doc("chat"),
    }


def operations(routes: list[tuple[str, str]]) -> list[Operation]:
    """The documented operations of this function's live route table."""
    return client_operations(routes, chat_docs(), prefixes=("/chat/",))


def document(routes: list[tuple[str, str]]) -> dict[str, Any]:
    return function_document("bailian-fc chat", operations(routes))
