"""Server-sent events over ASGI: whole frames, pings while idle, stop on disconnect.

The miniprogram's ``onChunkReceived`` may split bytes anywhere, so each event is
written as one complete frame in one ASGI message and the client buffers to the
blank line. Frames are objects with a ``frame() -> bytes`` (the chat's are the models in
``chat/events.py``); ``_emit`` writing ``event.frame()`` is the one place a frame reaches the wire.
A producer task writes frames as the upstream produces them; a pinger writes the ``ping`` frame
(default: a ``: ping`` comment) whenever nothing went out for ``ping_interval`` seconds; a watcher waits for ``http.disconnect`` and cancels
the producer at once, so the upstream call is closed instead of streaming to nobody (Starlette's
``StreamingResponse`` does the same for plain bodies).

Frames that are ready together go out together: ``emit`` appends a whole frame to a buffer and
wakes one writer task, which sends everything buffered as one ASGI message (whole frames only,
so the rule above still holds). Deltas that arrive in one upstream read therefore cost one write,
not one per delta; a producer far ahead of a slow client waits once ``HIGH_WATER`` bytes are
buffered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

log = logging.getLogger("bailian_fc.http.sse")

PING = b": ping\n\n"
HIGH_WATER = 64 * 1024  # buffered bytes above which a producer waits for the client
SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),
]


class Frame(Protocol):
    def frame(self) -> bytes: ...


class _Comment:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def frame(self) -> bytes:
        return self.raw


Emit = Callable[[Frame], Awaitable[None]]
COMMENT_PING = _Comment(PING)


class EventStreamResponse:
    """An ASGI response running ``producer(emit)``; ``emit(event)`` sends ``event.frame()``.

    Plain asyncio tasks rather than an anyio task group: at hundreds of concurrent streams
    anyio's per-task bookkeeping was a quarter of the chat function's per-request CPU.
    """

    def __init__(
        self,
        producer: Callable[[Emit], Awaitable[None]],
        *,
        ping_interval: float = 15.0,
        ping: Frame = COMMENT_PING,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.producer = producer
        self.ping_interval = ping_interval
        self.ping = ping
        self.extra_headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        self.disconnected = False
        self.writes = 0  # ASGI body messages sent (frames coalesce: see the module doc)
        self._send: Any = None
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._ready = asyncio.Event()  # something is buffered, or the stream is closing
        self._drained = asyncio.Event()
        self._closing = False
        self._last_write = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": SSE_HEADERS + self.extra_headers}
        )
        self._send = send
        self._last_write = asyncio.get_running_loop().time()
        producer = asyncio.ensure_future(self.producer(self._emit))
        writer = asyncio.ensure_future(self._writer())
        helpers = [
            asyncio.ensure_future(self._watch_disconnect(receive, producer)),
            asyncio.ensure_future(self._ping()),
        ]
        try:
            await asyncio.wait({producer})
        finally:
            for task in (*helpers, producer):
                task.cancel()  # a no-op for the producer when it finished on its own
            # The producer's own finally (closing upstream, storing the turn) runs to the end here.
            await asyncio.gather(producer, *helpers, return_exceptions=True)
            self._closing = True  # the writer sends what is buffered, then ends
            self._ready.set()
            await asyncio.gather(writer, return_exceptions=True)
        if not producer.cancelled() and producer.exception() is not None:
            log.error("SSE producer failed", exc_info=producer.exception())
        if not self.disconnected:
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _emit(self, event: Frame) -> None:
        await self._write(event.frame())

    async def _write(self, chunk: bytes) -> None:
        """Buffer one whole frame for the writer; wait only when a slow client let too much pile up."""
        if self.disconnected:
            return
        self._pending.append(chunk)
        self._pending_bytes += len(chunk)
        self._ready.set()
        if self._pending_bytes > HIGH_WATER:
            self._drained.clear()
            await self._drained.wait()

    async def _writer(self) -> None:
        loop = asyncio.get_running_loop()
        while not self.disconnected:
            await self._ready.wait()
            self._ready.clear()
            if self._pending:
                body = b"".join(self._pending)
                self._pending.clear()
                self._pending_bytes = 0
                try:
                    await self._send({"type": "http.response.body", "body": body, "more_body": True})
                    self.writes += 1
                except Exception as exc:  # the client is gone (uvicorn: an OSError) or the server is
                    if not isinstance(exc, OSError):
                        log.warning("SSE write failed: %s", exc)
                    self.disconnected = True
                self._last_write = loop.time()
                self._drained.set()
            if self._closing and not self._pending:
                return
        self._drained.set()  # a producer waiting on a gone client goes on (and finds it gone)

    async def _ping(self) -> None:
        loop = asyncio.get_running_loop()
        while not self.disconnected:
            idle_for = loop.time() - self._last_write
            if idle_for < self.ping_interval:
                await asyncio.sleep(self.ping_interval - idle_for)
            elif self._pending:  # the writer is stuck on a slow client: a ping would not help
                await asyncio.sleep(self.ping_interval)
            else:
                await self._write(self.ping.frame())

    async def _watch_disconnect(self, receive: Any, producer: asyncio.Future[None]) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
                self._ready.set()  # the writer ends
                producer.cancel()  # once: its finally blocks then finish without interruption
                return
