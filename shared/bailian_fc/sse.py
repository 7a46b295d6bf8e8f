"""Server-sent events over ASGI: whole frames, pings while idle, stop on disconnect.

The miniprogram's ``onChunkReceived`` may split bytes anywhere, so each event is
written as one complete frame in one ASGI message and the client buffers to the
blank line. A producer task emits events into a small buffer; the sender writes them
and a ``: ping`` comment whenever nothing came for ``ping_interval`` seconds; a third
task watches for ``http.disconnect`` and cancels the producer at once, so the upstream
call is closed instead of streaming to nobody (Starlette's ``StreamingResponse`` does
the same for plain bodies).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectSendStream

PING = b": ping\n\n"
SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),
]

Emit = Callable[[str, dict[str, Any]], Awaitable[None]]


def frame(event: str, data: dict[str, Any]) -> bytes:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {event}\ndata: {payload}\n\n".encode()


class EventStreamResponse:
    """An ASGI response running ``producer(emit)``; ``emit(event, data)`` sends one frame."""

    def __init__(self, producer: Callable[[Emit], Awaitable[None]], *, ping_interval: float = 15.0,
                 headers: dict[str, str] | None = None) -> None:
        self.producer = producer
        self.ping_interval = ping_interval
        self.extra_headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        self.disconnected = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS + self.extra_headers})
        sender, frames = anyio.create_memory_object_stream[bytes](max_buffer_size=64)
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._watch_disconnect, receive, tg.cancel_scope)
            tg.start_soon(self._produce, sender)
            await self._write_frames(frames, send)
            tg.cancel_scope.cancel()  # the producer is done: stop watching for a disconnect
        if not self.disconnected:
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _produce(self, sender: MemoryObjectSendStream[bytes]) -> None:
        async with sender:
            async def emit(event: str, data: dict[str, Any]) -> None:
                await sender.send(frame(event, data))

            await self.producer(emit)

    async def _write_frames(self, frames: Any, send: Any) -> None:
        async with frames:
            while True:
                chunk = PING
                with anyio.move_on_after(self.ping_interval):
                    try:
                        chunk = await frames.receive()
                    except anyio.EndOfStream:
                        return
                try:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                except OSError:
                    self.disconnected = True
                    return

    async def _watch_disconnect(self, receive: Any, scope: anyio.CancelScope) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
                scope.cancel()
                return
