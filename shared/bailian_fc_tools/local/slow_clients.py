"""A deadline on slow clients for ``bailian-fc dev`` (slowloris).

uvicorn bounds idle keep-alive connections but not a client that trickles its request: one byte of
headers every few seconds holds a connection (and, for a body, a request task) forever. On FC the
platform's front end does this; locally :class:`GuardedH11Protocol` closes a connection whose request
headers are not complete ``header_timeout`` seconds after the connection (or the previous response),
or whose body is not complete ``body_timeout`` seconds after its headers. Started headers that time
out get a ``408``; a connection that sent nothing is just closed (as keep-alive does); a body that
times out ends the request (the app sees the client as gone).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("bailian_fc_tools")

_REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"


class GuardedH11Protocol(H11Protocol):
    header_timeout = 10.0
    body_timeout = 30.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._guard: asyncio.TimerHandle | None = None
        self._phase = "headers"
        self._started = False  # any byte of the awaited request yet (else the connection is just idle)
        super().connection_made(transport)
        self._arm("headers", self.header_timeout)

    def _arm(self, phase: str, seconds: float) -> None:
        self._disarm()
        self._phase = phase
        self._started = phase == "body"
        self._guard = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if getattr(self, "_guard", None) is not None:
            self._guard.cancel()  # type: ignore[union-attr]
            self._guard = None

    def data_received(self, data: bytes) -> None:
        self._started = True
        super().data_received(data)
        state = self.conn.their_state
        if state is h11.SEND_BODY and self._phase == "headers":
            self._arm("body", self.body_timeout)
        elif state is not h11.IDLE and state is not h11.SEND_BODY:
            self._disarm()  # the request is in (DONE), or the connection is closing anyway

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm("headers", self.header_timeout)  # the next request on this connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _expired(self) -> None:
        self._guard = None
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.IDLE and self._phase == "headers":
            if self._started and (self.cycle is None or self.cycle.response_complete):
                body = b'{"error":{"code":"RequestTimeout","message":"the request headers took too long","request_id":null}}'
                self.transport.write(_REQUEST_TIMEOUT + b"content-length: %d\r\n\r\n" % len(body) + body)
            log.warning("closing a connection whose request headers took over %.0fs", self.header_timeout)
            self.transport.close()
        elif state is h11.SEND_BODY:
            log.warning("closing a connection whose request body took over %.0fs", self.body_timeout)
            self.transport.close()


def guarded_protocol(header_timeout: float, body_timeout: float) -> Any:
    """A :class:`GuardedH11Protocol` class with these timeouts, for ``uvicorn.Config(http=...)``."""
    return type(
        "GuardedH11Protocol",
        (GuardedH11Protocol,),
        {"header_timeout": header_timeout, "body_timeout": body_timeout},
    )
