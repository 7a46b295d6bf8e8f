"""Playback: one :class:`Behaviour` turned into bytes on the wire, for stream and non-stream
requests. See :mod:`bailian_fc_tools.emulator.behaviours` for what each kind must look like."""

from __future__ import annotations

from typing import Any

from bailian_fc_tools.emulator.behaviours import DEFAULT_CHUNKS, MAX_STALL_SECONDS, Behaviour
from bailian_fc_tools.emulator.connection import Connection
from bailian_fc_tools.emulator.framing import (
    JSON_CT,
    LAST_CHUNK,
    SSE_CT,
    chunk,
    dumps,
    head,
    json_response,
    json_string,
    sse_event,
    std_headers,
)
from bailian_fc_tools.emulator.records import RequestRecord
from bailian_fc_tools.emulator.replies import default_reply, estimate_tokens, prompt_of

_FAULT_KINDS = frozenset({"mid_stream_error", "truncate", "drop", "stall", "invalid_json", "no_output"})


async def play(
    conn: Connection, rec: RequestRecord, b: Behaviour, inp: dict[str, Any], params: dict[str, Any]
) -> bool:
    """Answer ``rec`` as ``b`` scripts it; True when the connection may serve another request."""
    kind = b.kind
    if kind == "drop_before_response":
        await conn.reset()
        return False
    if kind == "http_error" or (kind == "mid_stream_error" and not rec.stream):
        if not await conn.pause(b.first_chunk_delay if rec.stream else b.latency):
            return False
        extra = [("Retry-After", _fmt_seconds(b.retry_after))] if b.retry_after is not None else []
        err = {"request_id": rec.request_id, "code": b.error_code, "message": b.error_message}
        rec.status = b.status
        return await _send_final(
            conn, rec, json_response(b.status, err, request_id=rec.request_id, extra=extra)
        )
    text = _reply_text(rec.app_id, b, inp)
    usage = {
        "models": [
            {
                "model_id": b.model_id,
                "input_tokens": b.input_tokens
                if b.input_tokens is not None
                else 24 + estimate_tokens(prompt_of(inp.get("prompt"), inp.get("messages"))),
                "output_tokens": b.output_tokens if b.output_tokens is not None else estimate_tokens(text),
            }
        ]
    }
    if rec.stream:
        return await _stream(conn, rec, b, text, usage, bool(params.get("incremental_output")))
    return await _unary(conn, rec, b, text, usage)


def _reply_text(app_id: str, b: Behaviour, inp: dict[str, Any]) -> str:
    if b.text is not None:
        text = b.text
    else:
        messages = inp.get("messages")
        text = default_reply(app_id, inp.get("prompt"), messages if isinstance(messages, list) else None)
    if b.kind == "fenced_json":
        text = f"```json\n{text}\n```"
    return text


# -- non-stream -------------------------------------------------------------------------------


async def _unary(
    conn: Connection, rec: RequestRecord, b: Behaviour, text: str, usage: dict[str, Any]
) -> bool:
    if not await conn.pause(b.latency):
        return False
    if b.kind == "stall":
        stall = b.stall_seconds if b.stall_seconds is not None else MAX_STALL_SECONDS
        if not await conn.pause(min(stall, MAX_STALL_SECONDS)):
            return False
    rid, sid = rec.request_id, rec.session_id
    if b.kind == "truncate":
        n = max(b.chunks or _default_chunks(text), b.after_chunks + 1)
        partial = "".join(_split(text, n)[: b.after_chunks])
        payload: Any = {
            "output": {"finish_reason": "null", "session_id": sid, "text": partial},
            "request_id": rid,
        }
    elif b.kind == "no_output":
        payload = {"request_id": rid, "usage": usage}
    else:
        payload = {
            "output": {"finish_reason": "stop", "session_id": sid, "text": text},
            "usage": usage,
            "request_id": rid,
        }
    if b.kind == "invalid_json":
        data = dumps(payload)
        raw = data[: max(1, len(data) // 2)].encode()  # cut mid-object: valid UTF-8, not JSON
        resp = head(200, std_headers(JSON_CT, rid, [("Content-Length", str(len(raw)))])) + raw
        rec.status = 200
        return await _send_final(conn, rec, resp)
    resp = json_response(200, payload, request_id=rid)
    rec.status = 200
    if b.kind == "drop":
        head_end = resp.index(b"\r\n\r\n") + 4
        cut = head_end + max(1, (len(resp) - head_end) // 2)
        await conn.send(resp[:cut])
        await conn.reset()
        return False
    return await _send_final(conn, rec, resp)


# -- stream ---------------------------------------------------------------------------------


class _ResultData:
    """``data:`` of a stream's ``result`` events: byte for byte ``dumps`` of
    ``{"output": {"session_id", "finish_reason", "text"}, ["usage",] "request_id"}``, but the
    envelope is encoded once per stream and only the text once per event (the hot path)."""

    __slots__ = ("_close", "_close_last", "_open")

    def __init__(self, session_id: str, request_id: str, usage: dict[str, Any]) -> None:
        self._open = '{"output":{"session_id":' + json_string(session_id) + ',"finish_reason":'
        tail = ',"request_id":' + json_string(request_id) + "}"
        self._close = "}" + tail
        self._close_last = '},"usage":' + dumps(usage) + tail

    def __call__(self, text: str, last: bool) -> str:
        if last:
            return f'{self._open}"stop","text":{json_string(text)}{self._close_last}'
        return f'{self._open}"null","text":{json_string(text)}{self._close}'


async def _stream(
    conn: Connection,
    rec: RequestRecord,
    b: Behaviour,
    text: str,
    usage: dict[str, Any],
    incremental: bool,
) -> bool:
    kind = b.kind
    fault = kind in _FAULT_KINDS
    n = b.chunks or _default_chunks(text)
    if fault:
        n = max(n, b.after_chunks + 1)
    pieces = _split(text, n)
    rid = rec.request_id
    result_data = _ResultData(rec.session_id, rid, usage)
    loop = conn.loop
    head_bytes = head(
        200, std_headers(SSE_CT, rid, [("Transfer-Encoding", "chunked"), ("Cache-Control", "no-cache")])
    )
    pending_head = head_bytes
    rec.status = 200
    if b.early_headers or (kind == "stall" and b.after_chunks == 0):
        if not await conn.send(head_bytes):
            return False
        pending_head = b""
    slot = loop.time() + b.first_chunk_delay
    event_id = 0
    cumulative = ""

    async def emit(data: bytes) -> bool:
        nonlocal pending_head, slot
        if not await conn.pause_until(slot):
            return False
        slot += b.chunk_delay
        payload = pending_head + chunk(data) if pending_head else chunk(data)
        pending_head = b""
        rec.chunks_sent += 1  # counted first: a client in another thread may see it at once
        if not await conn.send(payload):
            rec.chunks_sent -= 1
            return False
        return True

    def result_event(i: int) -> bytes:
        nonlocal event_id, cumulative
        piece = pieces[i]
        if not incremental:
            cumulative += piece
        event_id += 1
        return sse_event(event_id, result_data(piece if incremental else cumulative, i == n - 1))

    normal = b.after_chunks if fault else n
    for i in range(normal):
        if not await emit(result_event(i)):
            return False

    async def finish() -> bool:
        if pending_head and not await conn.send(pending_head):
            return False
        return await _send_final(conn, rec, LAST_CHUNK)

    if kind == "mid_stream_error":
        event_id += 1
        err = {"code": b.error_code, "message": b.error_message, "request_id": rid}
        if not await emit(sse_event(event_id, dumps(err), event="error", status=b.status)):
            return False
        return await finish()
    if kind == "truncate":
        if not await conn.pause_until(slot):
            return False
        return await finish()
    if kind == "no_output":
        event_id += 1
        if not await emit(sse_event(event_id, dumps({"usage": usage, "request_id": rid}))):
            return False
        return await finish()
    if kind == "drop":
        if not await conn.pause_until(slot):
            return False
        if pending_head:
            await conn.send(pending_head)
        await conn.reset()
        return False
    if kind == "stall":
        if pending_head and not await conn.send(pending_head):
            return False
        pending_head = b""
        stall = b.stall_seconds if b.stall_seconds is not None else MAX_STALL_SECONDS
        if not await conn.pause(min(stall, MAX_STALL_SECONDS)):
            return False
        slot = loop.time()
    if kind == "invalid_json":
        # One frame cut in the middle of its JSON; the reply then continues normally.
        data = result_data(pieces[b.after_chunks], False)
        event_id += 1
        if not await emit(sse_event(event_id, data[: max(8, len(data) // 2)])):
            return False
    if fault:  # stall / invalid_json continue with the rest of the reply
        for i in range(b.after_chunks, n):
            if not await emit(result_event(i)):
                return False
    return await finish()


# -- helpers --------------------------------------------------------------------------------


async def _send_final(conn: Connection, rec: RequestRecord, data: bytes) -> bool:
    """Write the last bytes of a response; ``finished`` is set first so that a client running
    in another thread never sees the whole response before the record says so."""
    rec.finished = True
    if not await conn.send(data):
        rec.finished = False
        return False
    return True


def _default_chunks(text: str) -> int:
    return max(1, min(DEFAULT_CHUNKS, len(text)))


def _split(text: str, n: int) -> list[str]:
    """``text`` in ``n`` consecutive pieces (some empty when ``n > len(text)``)."""
    size, extra = divmod(len(text), n)
    out, pos = [], 0
    for i in range(n):
        step = size + (1 if i < extra else 0)
        out.append(text[pos : pos + step])
        pos += step
    return out


def _fmt_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
