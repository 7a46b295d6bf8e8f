"""The chat stream's events, declared once: one pydantic model per SSE event of ``POST /chat/messages``.

A turn is ``meta``, ``delta``…, then ``done`` or ``error``, with ``ping`` whenever nothing else
went out for ``CHAT_PING_SECONDS``. Each model is an event's ``data``; its ``frame()`` is the bytes
on the wire, and the server writes nothing else (``http/sse.py`` sends ``event.frame()``). From the
same models come the published JSON Schema (``stream_schema()`` → ``types/chat-events.schema.json``),
the chat route's ``text/event-stream`` reply (``openapi_stream_schema()``: SSE fields, ``data`` a JSON
string) and the JS client's TypeScript event union (``types/chat-events.d.ts``, generated from the
published schema by ``bailian-fc export-types``).

``ping`` is an SSE comment (``: ping``) rather than an event, so browsers' ``EventSource`` and the JS
client skip it; the schema lists it as ``{"event": "ping"}`` with no data, which is how
``read_frames`` reports one.

Every frame is validated as it is built, deltas too: a delta is on the hot path, and
``bench/chat_events.py`` measured validation plus pydantic-core's serializer at 0.55-0.6x the
hand-built ``json.dumps`` frame it replaced, while ``model_construct`` (no validation, but
Python-level) was 0.97-1.08x.
Readers validate with ``parse`` / ``read_frames`` (``verify``, the tests).
"""

from __future__ import annotations

from json.encoder import encode_basestring as _json_string  # C: a JSON string, non-ASCII kept
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from ..jsonsafe import loads as json_loads

SCHEMA_ID = "chat-events.schema.json"


class ChatEvent(BaseModel):
    """One SSE event; subclasses name it (``event``) and declare its data fields."""

    model_config = ConfigDict(extra="forbid", strict=True)

    event: ClassVar[str]
    _prefix: ClassVar[bytes]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "event" in cls.__dict__:
            cls._prefix = f"event: {cls.event}\ndata: ".encode()

    def frame(self) -> bytes:
        """The event as one whole SSE frame (pydantic-core's compiled serializer: compact UTF-8 JSON)."""
        return self._prefix + self.__pydantic_serializer__.to_json(self) + b"\n\n"


class Meta(ChatEvent):
    """First, once the question is stored and before any upstream byte."""

    event: ClassVar[str] = "meta"
    conversation_id: str
    turn_id: str


class Delta(ChatEvent):
    """One increment of the answer, as the model produced it."""

    event: ClassVar[str] = "delta"
    text: str

    @classmethod
    def framed(cls, text: str) -> FramedDelta:
        """``Delta(text=text).frame()``, byte for byte, without building the model: the per-delta
        path (0.2 µs against 1.0 µs; ``tests/test_sse_writes.py`` checks the bytes are equal)."""
        if type(text) is not str:  # what strict validation would refuse
            raise TypeError(f"delta text must be a str, not {type(text).__name__}")
        return FramedDelta(cls._prefix + b'{"text":' + _json_string(text).encode() + b"}\n\n")


class Framed(bytes):
    """A frame already encoded (an ``http.sse.Frame``), named like the event it encodes."""

    event: ClassVar[str]

    def frame(self) -> bytes:
        return self


class FramedDelta(Framed):
    event: ClassVar[str] = "delta"


class Ping(ChatEvent):
    """Keeps proxies and clients from timing out while the model is silent: an SSE comment."""

    event: ClassVar[str] = "ping"
    FRAME: ClassVar[bytes] = b": ping\n\n"

    def frame(self) -> bytes:
        return self.FRAME


class Usage(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    input_tokens: int = Field(ge=0)
    output_tokens: int = Field(ge=0)
    tokens_used: int = Field(ge=0, description="as in the run log (docs/contracts.md, tokens_used)")


class Done(ChatEvent):
    """Last, after the turn is stored."""

    event: ClassVar[str] = "done"
    conversation_id: str
    turn_id: str
    finish_reason: str | None
    usage: Usage
    latency_ms: int = Field(ge=0)
    # Always present: the turn can be rated (POST /chat/conversations/{id}/turns/{turn_id}/feedback);
    # a fresh turn has no rating yet.
    feedback: Literal["up", "down"] | None = None


class Error(ChatEvent):
    """Last, instead of ``done``: the upstream failed or the turn could not be stored."""

    event: ClassVar[str] = "error"
    code: str
    message: str
    retryable: bool
    request_id: str


EVENTS: tuple[type[ChatEvent], ...] = (Meta, Delta, Ping, Done, Error)
BY_NAME: dict[str, type[ChatEvent]] = {model.event: model for model in EVENTS}
PING = Ping()
EventName = Literal["meta", "delta", "ping", "done", "error"]


def stream_schema() -> dict[str, Any]:
    """The stream as a ``oneOf`` of ``{"event", "data"}`` objects with ``data`` decoded (what a client
    handles; ``ping`` as ``{"event": "ping"}``): ``types/chat-events.schema.json``."""
    return {
        "oneOf": [_frame_schema(model, encoded=False) for model in EVENTS],
        "description": "each SSE frame as {event, data}, data decoded from JSON; ping is the comment `: ping`",
    }


def openapi_stream_schema() -> dict[str, Any]:
    """The same events as an OpenAPI ``text/event-stream`` reply sees them (SSE fields, as OpenAPI 3.2's
    ``itemSchema`` and Schemathesis read a stream): ``data`` is a string holding JSON, described by
    ``contentSchema``; the ping comment is no event. Self-contained (no ``$ref``)."""
    return {
        "oneOf": [_frame_schema(model, encoded=True) for model in EVENTS if model.model_fields],
        "description": "one SSE event per frame; data is JSON (contentSchema); `: ping` comments are not events",
    }


def _frame_schema(model: type[ChatEvent], *, encoded: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {"event": {"const": model.event}}
    if model.model_fields:
        data = _inline(TypeAdapter(model).json_schema(mode="serialization"))
        properties["data"] = (
            {"type": "string", "contentMediaType": "application/json", "contentSchema": data}
            if encoded
            else data
        )
    return {
        "type": "object",
        "title": model.__name__,
        "properties": properties,
        "required": list(properties),
        # the stream's SSE view may carry other fields (id, retry); the decoded frame is closed
        **({} if encoded else {"additionalProperties": False}),
    }


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """Resolve the local ``$defs`` references pydantic writes for nested models (none are recursive)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(dict(defs[node["$ref"].rsplit("/", 1)[-1]]))
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    result: dict[str, Any] = walk(schema)
    return result


def parse(event: str, data: Any) -> ChatEvent:
    """One frame's event name and decoded data as its model (validated; ``ValueError`` if neither fits)."""
    model = BY_NAME.get(event)
    if model is None:
        raise ValueError(f"unknown chat event {event!r}")
    if model is Ping:
        return PING
    return model.model_validate(data, strict=True)


def read_frames(text: str) -> list[ChatEvent]:
    """A whole SSE body as its events, in order (the readers' side: verify, tests)."""
    events: list[ChatEvent] = []
    for block in text.split("\n\n"):
        if not block:
            continue
        name, data = "message", None
        for line in block.split("\n"):
            if line == ": ping":
                name = "ping"
            elif line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data = json_loads(line[len("data: ") :])
            else:
                raise ValueError(f"not a chat SSE line: {line[:80]!r}")
        events.append(parse(name, data))
    return events
