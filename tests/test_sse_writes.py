"""The SSE response's writes, counted at the ASGI boundary: frames ready together are one write."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bailian_fc.chat.events import Delta
from bailian_fc.http.sse import EventStreamResponse


def frame(event: str, data: dict[str, Any]) -> bytes:
    return Raw(f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()).frame()


class Raw(bytes):
    def frame(self) -> bytes:
        return self


def run(producer: Any, **kw: Any) -> tuple[list[bytes], EventStreamResponse, bool]:
    """(body messages, the response, whether the final message closed the body)."""
    bodies: list[bytes] = []
    closed: list[bool] = []
    sent = asyncio.Event()

    async def go() -> EventStreamResponse:
        response = EventStreamResponse(lambda emit: producer(emit, sent), **kw)

        async def receive() -> dict[str, Any]:
            await asyncio.Event().wait()  # the client never leaves
            raise AssertionError

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                if message["more_body"]:
                    bodies.append(message["body"])
                    sent.set()
                else:
                    closed.append(True)

        await response(None, receive, send)
        return response

    response = asyncio.run(go())
    return bodies, response, closed == [True]


def test_frames_ready_together_are_one_write_and_keep_their_order() -> None:
    async def producer(emit: Any, sent: asyncio.Event) -> None:
        for text in ("一", "二", "三"):  # one upstream read's deltas: no await in between
            await emit(Raw(frame("delta", {"text": text})))
        await sent.wait()  # the writer sent them
        await emit(Raw(frame("done", {"ok": True})))

    bodies, response, closed = run(producer)
    together = b"".join(frame("delta", {"text": t}) for t in ("一", "二", "三"))
    assert bodies == [together, frame("done", {"ok": True})]
    assert response.writes == 2 and closed


def test_what_is_buffered_when_the_producer_ends_is_still_sent() -> None:
    async def producer(emit: Any, sent: asyncio.Event) -> None:
        await emit(Raw(frame("delta", {"text": "a"})))
        await emit(Raw(frame("done", {})))

    bodies, _, closed = run(producer)
    assert b"".join(bodies) == frame("delta", {"text": "a"}) + frame("done", {}) and closed


def test_a_producer_far_ahead_of_the_client_waits_at_the_high_water_mark() -> None:
    big = "字" * 30_000  # 90 kB as UTF-8: above HIGH_WATER in one frame

    async def producer(emit: Any, sent: asyncio.Event) -> None:
        await emit(Raw(frame("delta", {"text": big})))  # returns only once the writer drained it
        assert sent.is_set()
        await emit(Raw(frame("done", {})))

    bodies, response, _ = run(producer)
    assert bodies == [frame("delta", {"text": big}), frame("done", {})] and response.writes == 2


@given(st.text())
def test_a_framed_delta_is_byte_for_byte_the_models_frame(text: str) -> None:
    assert Delta.framed(text) == Delta(text=text).frame()
    assert Delta.framed(text).frame() == Delta(text=text).frame() and Delta.framed(text).event == "delta"
