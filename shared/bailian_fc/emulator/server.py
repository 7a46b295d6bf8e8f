"""The Bailian emulator: a local HTTP/1.1 server framing exactly like the DashScope gateway.

Written on raw ``asyncio.start_server`` so every byte is under control: keep-alive for pooled
clients, one HTTP chunk per SSE event, clean or broken ends of the chunked body, TCP resets
(``SO_LINGER 0``), and detection of clients that go away mid-response.

Endpoints::

    POST /api/v1/apps/{app_id}/completion     the Application API (JSON or SSE)
    POST /_emulator/script    {"app_id": "...", "behaviours": [{...}, ...]}
    POST /_emulator/default   {"behaviour": {...}}
    POST /_emulator/reset
    GET  /_emulator/requests  summaries of the request log (bodies only when small)
    GET  /_emulator/health

Usage::

    async with Emulator() as emu:                      # ephemeral port on 127.0.0.1
        emu.script("emu-app1_chat", Behaviour(kind="drop", after_chunks=2))
        ... point the SDK at emu.base_url ...

    with EmulatorThread() as emu:                      # own loop in a daemon thread
        ...                                            # for sync code / other servers
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http
import json
import logging
import re
import socket
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bailian_fc.emulator.behaviours import DEFAULT_CHUNKS, MAX_STALL_SECONDS, Behaviour
from bailian_fc.emulator.replies import default_reply, estimate_tokens, prompt_of

log = logging.getLogger("bailian_fc.emulator")

API_PREFIX = "/api/v1"
CONTROL_PREFIX = "/_emulator/"
_COMPLETION_RE = re.compile(r"^/api/v1/apps/([^/]+)/completion/?$")
_MAX_HEAD = 64 * 1024
_MAX_BODY = 64 * 1024 * 1024
_SUMMARY_BODY_LIMIT = 4096
_FAULT_KINDS = frozenset({"mid_stream_error", "truncate", "drop", "stall", "invalid_json", "no_output"})
_JSON_CT = "application/json;charset=UTF-8"
_SSE_CT = "text/event-stream;charset=UTF-8"


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# -- request log ----------------------------------------------------------------------------


@dataclass
class RequestRecord:
    """One completion request as the emulator saw it (mutated while the response runs)."""

    app_id: str
    body: dict[str, Any]
    headers: dict[str, str]
    stream: bool
    behaviour: Behaviour
    started_at: float
    #: the server wrote the complete response (as the behaviour scripted it; a truncated
    #: stream or a mid-stream error counts as complete, a drop or a stall the client left not)
    finished: bool = False
    #: the client closed the connection before the response was complete
    client_closed: bool = False
    #: SSE events written (every HTTP chunk carrying an event, error/garbage frames included)
    chunks_sent: int = 0
    #: HTTP status sent, None when no status line went out
    status: int | None = None
    request_id: str = ""
    session_id: str = ""
    ended_at: float | None = None
    method: str = "POST"
    path: str = ""

    @property
    def done(self) -> bool:
        """The server has stopped working on this request (for whatever reason)."""
        return self.ended_at is not None

    @property
    def prompt(self) -> str:
        inp = self.body.get("input") if isinstance(self.body, dict) else None
        if not isinstance(inp, dict):
            return ""
        return prompt_of(inp.get("prompt"), inp.get("messages"))

    def summary(self) -> dict[str, Any]:
        """JSON-able view for ``GET /_emulator/requests``; big bodies are left out."""
        out: dict[str, Any] = {
            "app_id": self.app_id,
            "path": self.path,
            "stream": self.stream,
            "behaviour": self.behaviour.to_dict(),
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "finished": self.finished,
            "client_closed": self.client_closed,
            "chunks_sent": self.chunks_sent,
            "status": self.status,
            "request_id": self.request_id,
            "session_id": self.session_id,
            "prompt": self.prompt[:500],
        }
        body = _dumps(self.body)
        if len(body) <= _SUMMARY_BODY_LIMIT:
            out["body"] = self.body
        else:
            out["body"] = None
            out["body_size"] = len(body)
        return out


# -- one connection -------------------------------------------------------------------------


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class _Request:
    method: str
    target: str
    version: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def keep_alive(self) -> bool:
        conn = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in conn
        return "close" not in conn


class _Conn:
    """A client connection: buffered request reading, writes, pacing, client-gone detection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.buf = bytearray()
        self.eof = False
        self.gone = False  # the client went away (EOF, reset, write error)
        self.aborted = False  # we reset the connection on purpose
        self._waiter: asyncio.Future[bool] | None = None
        self._watcher: asyncio.Task[None] | None = None

    # reading ------------------------------------------------------------------------------

    async def _fill(self) -> bool:
        try:
            data = await self.reader.read(65536)
        except (ConnectionError, OSError):
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    async def read_request(self) -> _Request | None:
        while True:
            idx = self.buf.find(b"\r\n\r\n")
            if idx >= 0:
                break
            if len(self.buf) > _MAX_HEAD:
                raise _BadRequest(431, "request head too large")
            if self.eof or not await self._fill():
                if self.buf.strip():
                    raise _BadRequest(400, "incomplete request head")
                return None
        head = bytes(self.buf[:idx]).decode("latin-1")
        del self.buf[: idx + 4]
        lines = head.split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest(400, f"bad request line {lines[0][:100]!r}")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise _BadRequest(400, "bad header line")
            key = name.strip().lower()
            value = value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        if headers.get("expect", "").lower() == "100-continue":
            self.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = await self._read_chunked_body()
        else:
            try:
                length = int(headers.get("content-length", "0") or 0)
            except ValueError:
                raise _BadRequest(400, "bad content-length") from None
            if length < 0 or length > _MAX_BODY:
                raise _BadRequest(413, "request body too large")
            body = await self._read_exact(length)
        return _Request(parts[0].upper(), parts[1], parts[2], headers, body)

    async def _read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if self.eof or not await self._fill():
                raise _BadRequest(400, "incomplete request body")
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    async def _read_line(self) -> bytes:
        while True:
            idx = self.buf.find(b"\r\n")
            if idx >= 0:
                line = bytes(self.buf[:idx])
                del self.buf[: idx + 2]
                return line
            if len(self.buf) > _MAX_HEAD or self.eof or not await self._fill():
                raise _BadRequest(400, "bad chunked body")

    async def _read_chunked_body(self) -> bytes:
        out = bytearray()
        while True:
            size_line = await self._read_line()
            try:
                size = int(size_line.split(b";", 1)[0].strip() or b"x", 16)
            except ValueError:
                raise _BadRequest(400, "bad chunk size") from None
            if size == 0:
                while await self._read_line():  # trailers
                    pass
                return bytes(out)
            out += await self._read_exact(size)
            if len(out) > _MAX_BODY:
                raise _BadRequest(413, "request body too large")
            await self._read_exact(2)

    # watching for the client to go away while we respond ------------------------------------

    def start_watch(self) -> None:
        if self._watcher is None and not self.eof:
            self._watcher = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        # Anything the client sends meanwhile (a pipelined request) stays in self.buf.
        while await self._fill():
            pass
        self._set_gone()

    async def stop_watch(self) -> None:
        task, self._watcher = self._watcher, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _set_gone(self) -> None:
        if self.aborted:
            return
        self.gone = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(False)

    async def pause_until(self, deadline: float) -> bool:
        """Sleep until ``deadline`` (loop time); False (at once) when the client goes away."""
        if self.gone or self.aborted:
            return False
        loop = asyncio.get_running_loop()
        delay = deadline - loop.time()
        if delay <= 0:
            return True
        waiter = loop.create_future()
        self._waiter = waiter
        handle = loop.call_later(delay, _resolve, waiter)
        try:
            return await waiter
        finally:
            handle.cancel()
            self._waiter = None

    async def pause(self, seconds: float) -> bool:
        return await self.pause_until(asyncio.get_running_loop().time() + seconds)

    # writing ------------------------------------------------------------------------------

    async def send(self, data: bytes) -> bool:
        if self.gone or self.aborted:
            return False
        if self.writer.transport.is_closing():
            self._set_gone()
            return False
        try:
            self.writer.write(data)
            await self.writer.drain()
        except (ConnectionError, OSError, RuntimeError):
            self._set_gone()
            return False
        return not self.gone

    async def reset(self) -> None:
        """Abort with a TCP RST (SO_LINGER 0) after what was written reached the kernel."""
        transport = self.writer.transport
        if transport.get_write_buffer_size() and not transport.is_closing():
            transport.set_write_buffer_limits(high=0)  # drain() now waits for an empty buffer
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.writer.drain(), 2.0)
        # Give a client already reading on loopback the chance to take the bytes in flight.
        await asyncio.sleep(0.005)
        self.aborted = True
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()

    def close(self) -> None:
        if not self.writer.transport.is_closing():
            self.writer.close()

    def abort(self) -> None:
        self.aborted = True
        self.writer.transport.abort()


def _resolve(fut: asyncio.Future[bool]) -> None:
    if not fut.done():
        fut.set_result(True)


def _head(status: int, headers: Iterable[tuple[str, str]]) -> bytes:
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines.extend(f"{k}: {v}" for k, v in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


_LAST_CHUNK = b"0\r\n\r\n"


def _event(event_id: int, data: str, event: str = "result", status: int = 200) -> bytes:
    return f"id:{event_id}\nevent:{event}\n:HTTP_STATUS/{status}\ndata:{data}\n\n".encode()


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


# -- the emulator ---------------------------------------------------------------------------


class Emulator:
    """A local Bailian gateway. ``await start()``/``stop()`` or ``async with``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, default: Behaviour | None = None) -> None:
        self.host = host
        self.port = port
        self.default: Behaviour = default if default is not None else Behaviour()
        self.requests: list[RequestRecord] = []
        self.connections_opened = 0
        self._scripts: dict[str, deque[Behaviour]] = {}
        self._lock = threading.Lock()
        self._server: asyncio.base_events.Server | None = None
        self._conns: dict[_Conn, asyncio.Task[Any] | None] = {}
        self._closing = False
        self.loop: asyncio.AbstractEventLoop | None = None

    # lifecycle ----------------------------------------------------------------------------

    async def start(self) -> Emulator:
        self.loop = asyncio.get_running_loop()
        self._closing = False
        self._server = await asyncio.start_server(
            self._handle, self.host, self.port, limit=1 << 20, backlog=4096, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("Bailian emulator listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        self._closing = True
        if self._server is not None:
            self._server.close()
        for conn in list(self._conns):
            conn.abort()
        tasks = [t for t in self._conns.values() if t is not None and not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)
        if self._server is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def origin(self) -> str:
        host = self.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/api/v1`` -- for ``base_address=`` / ``base_url=``."""
        return self.origin + API_PREFIX

    # scripting (thread-safe) ----------------------------------------------------------------

    def script(self, app_id: str, *behaviours: Behaviour | dict[str, Any] | str) -> None:
        """Queue behaviours for ``app_id``: each request consumes the next; then ``default``."""
        items = [Behaviour.coerce(b) for b in behaviours]
        with self._lock:
            self._scripts.setdefault(app_id, deque()).extend(items)

    def pending(self, app_id: str) -> int:
        """How many scripted behaviours are still queued for ``app_id``."""
        with self._lock:
            return len(self._scripts.get(app_id, ()))

    def reset(self) -> None:
        """Clear the scripts and the request log (``default`` is kept)."""
        with self._lock:
            self._scripts.clear()
            self.requests.clear()

    def requests_for(self, app_id: str) -> list[RequestRecord]:
        with self._lock:
            return [r for r in self.requests if r.app_id == app_id]

    def _next_behaviour(self, app_id: str) -> Behaviour:
        with self._lock:
            queue = self._scripts.get(app_id)
            if queue:
                return queue.popleft()
        return self.default

    # waiting helpers (usable from any loop / thread) ----------------------------------------

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.005)
        return True

    def wait_until_blocking(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    async def wait_closed(self, record: RequestRecord, timeout: float = 5.0) -> bool:
        """True once the client closed ``record``'s connection before the response ended."""
        return await self.wait_until(lambda: record.client_closed, timeout)

    def wait_closed_blocking(self, record: RequestRecord, timeout: float = 5.0) -> bool:
        return self.wait_until_blocking(lambda: record.client_closed, timeout)

    async def wait_done(self, record: RequestRecord, timeout: float = 5.0) -> bool:
        """True once the server stopped working on ``record`` (finished, dropped, left)."""
        return await self.wait_until(lambda: record.done, timeout)

    def wait_done_blocking(self, record: RequestRecord, timeout: float = 5.0) -> bool:
        return self.wait_until_blocking(lambda: record.done, timeout)

    async def wait_for_requests(
        self, n: int, app_id: str | None = None, timeout: float = 5.0
    ) -> list[RequestRecord]:
        """Wait until at least ``n`` requests (for ``app_id``) arrived; return them."""

        def records() -> list[RequestRecord]:
            return self.requests_for(app_id) if app_id is not None else list(self.requests)

        await self.wait_until(lambda: len(records()) >= n, timeout)
        return records()

    def wait_for_requests_blocking(
        self, n: int, app_id: str | None = None, timeout: float = 5.0
    ) -> list[RequestRecord]:
        def records() -> list[RequestRecord]:
            return self.requests_for(app_id) if app_id is not None else list(self.requests)

        self.wait_until_blocking(lambda: len(records()) >= n, timeout)
        return records()

    # connection handling ------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _Conn(reader, writer)
        self._conns[conn] = asyncio.current_task()
        self.connections_opened += 1
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while not self._closing:
                try:
                    req = await conn.read_request()
                except _BadRequest as exc:
                    await conn.send(
                        self._json_response(exc.status, _error_body("InvalidParameter", str(exc)), close=True)
                    )
                    break
                if req is None:
                    break
                keep = await self._dispatch(conn, req)
                if not keep or conn.gone or conn.aborted:
                    break
        except asyncio.CancelledError:
            pass
        except Exception:  # never let one connection take the server down
            log.exception("emulator connection handler failed")
        finally:
            await conn.stop_watch()
            if not conn.aborted:
                conn.close()
            self._conns.pop(conn, None)

    async def _dispatch(self, conn: _Conn, req: _Request) -> bool:
        path = req.path
        if path.startswith(CONTROL_PREFIX):
            status, payload = self._control(req)
            return (
                await conn.send(self._json_response(status, payload, close=not req.keep_alive))
                and req.keep_alive
            )
        match = _COMPLETION_RE.match(path)
        if match is None:
            body = _error_body("NotFound", f"Not found: {req.method} {path}")
            return (
                await conn.send(self._json_response(404, body, close=not req.keep_alive)) and req.keep_alive
            )
        if req.method != "POST":
            body = _error_body("MethodNotAllowed", f"Method {req.method} not allowed.")
            return (
                await conn.send(self._json_response(405, body, close=not req.keep_alive)) and req.keep_alive
            )
        return await self._completion(conn, req, match.group(1))

    # control endpoints ---------------------------------------------------------------------

    def _control(self, req: _Request) -> tuple[int, Any]:
        name = req.path[len(CONTROL_PREFIX) :].strip("/")
        try:
            payload = json.loads(req.body) if req.body.strip() else {}
        except ValueError:
            return 400, _error_body("InvalidParameter", "control body is not JSON")
        try:
            if name == "script" and req.method == "POST":
                app_id = payload.get("app_id")
                if not isinstance(app_id, str) or not app_id:
                    raise ValueError("app_id is required")
                raw = payload.get("behaviours")
                if raw is None and "behaviour" in payload:
                    raw = [payload["behaviour"]]
                if not isinstance(raw, list):
                    raise ValueError("behaviours must be a list")
                self.script(app_id, *[Behaviour.coerce(b) for b in raw])
                return 200, {"app_id": app_id, "queued": self.pending(app_id)}
            if name == "default" and req.method == "POST":
                raw = payload.get("behaviour", payload) if isinstance(payload, dict) else payload
                self.default = Behaviour.coerce(raw)
                return 200, {"default": self.default.to_dict()}
            if name == "reset" and req.method == "POST":
                self.reset()
                return 200, {"ok": True}
            if name == "requests" and req.method == "GET":
                with self._lock:
                    records = list(self.requests)
                return 200, [r.summary() for r in records]
            if name == "health" and req.method == "GET":
                return 200, {"ok": True, "base_url": self.base_url}
        except (ValueError, TypeError, AttributeError) as exc:
            return 400, _error_body("InvalidParameter", str(exc))
        return 404, _error_body("NotFound", f"unknown control endpoint {req.method} {req.path}")

    # the completion endpoint ---------------------------------------------------------------

    async def _completion(self, conn: _Conn, req: _Request, app_id: str) -> bool:
        headers = req.headers
        stream = (
            "enable" in headers.get("x-dashscope-sse", "").lower()
            or "text/event-stream" in headers.get("accept", "").lower()
        )
        body: Any
        try:
            body = json.loads(req.body) if req.body else {}
        except ValueError:
            body = None
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            behaviour = Behaviour(kind="http_error", status=401, code="InvalidApiKey")
        elif not isinstance(body, dict):
            behaviour = Behaviour(
                kind="http_error",
                status=400,
                code="InvalidParameter",
                message="The request body is not valid JSON.",
            )
        else:
            behaviour = self._next_behaviour(app_id)
        body = body if isinstance(body, dict) else {}
        inp = body.get("input") if isinstance(body.get("input"), dict) else {}
        params = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
        session_id = inp.get("session_id") or uuid.uuid4().hex
        record = RequestRecord(
            app_id=app_id,
            body=body,
            headers=dict(headers),
            stream=stream,
            behaviour=behaviour,
            started_at=time.monotonic(),
            request_id=str(uuid.uuid4()),
            session_id=str(session_id),
            method=req.method,
            path=req.path,
        )
        with self._lock:
            self.requests.append(record)
        conn.start_watch()
        keep = False
        try:
            keep = await self._respond(conn, record, behaviour, inp, params)
        finally:
            await conn.stop_watch()
            record.ended_at = time.monotonic()
            if conn.gone and not record.finished:
                record.client_closed = True
        return keep and req.keep_alive and not conn.gone and not conn.aborted

    async def _respond(
        self, conn: _Conn, rec: RequestRecord, b: Behaviour, inp: dict[str, Any], params: dict[str, Any]
    ) -> bool:
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
                conn, rec, self._json_response(b.status, err, request_id=rec.request_id, extra=extra)
            )
        text = self._reply_text(rec.app_id, b, inp)
        usage = {
            "models": [
                {
                    "model_id": b.model_id,
                    "input_tokens": b.input_tokens
                    if b.input_tokens is not None
                    else 24 + estimate_tokens(prompt_of(inp.get("prompt"), inp.get("messages"))),
                    "output_tokens": b.output_tokens
                    if b.output_tokens is not None
                    else estimate_tokens(text),
                }
            ]
        }
        if rec.stream:
            return await self._stream(conn, rec, b, text, usage, bool(params.get("incremental_output")))
        return await self._unary(conn, rec, b, text, usage)

    def _reply_text(self, app_id: str, b: Behaviour, inp: dict[str, Any]) -> str:
        if b.text is not None:
            text = b.text
        else:
            messages = inp.get("messages")
            text = default_reply(app_id, inp.get("prompt"), messages if isinstance(messages, list) else None)
        if b.kind == "fenced_json":
            text = f"```json\n{text}\n```"
        return text

    async def _unary(
        self, conn: _Conn, rec: RequestRecord, b: Behaviour, text: str, usage: dict[str, Any]
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
            data = _dumps(payload)
            raw = data[: max(1, len(data) // 2)].encode()  # cut mid-object: valid UTF-8, not JSON
            resp = _head(200, self._std_headers(_JSON_CT, rid, [("Content-Length", str(len(raw)))])) + raw
            rec.status = 200
            return await _send_final(conn, rec, resp)
        resp = self._json_response(200, payload, request_id=rid)
        rec.status = 200
        if b.kind == "drop":
            head_end = resp.index(b"\r\n\r\n") + 4
            cut = head_end + max(1, (len(resp) - head_end) // 2)
            await conn.send(resp[:cut])
            await conn.reset()
            return False
        return await _send_final(conn, rec, resp)

    async def _stream(
        self,
        conn: _Conn,
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
        rid, sid = rec.request_id, rec.session_id
        loop = asyncio.get_running_loop()
        head = _head(
            200,
            self._std_headers(
                _SSE_CT, rid, [("Transfer-Encoding", "chunked"), ("Cache-Control", "no-cache")]
            ),
        )
        pending_head = head
        rec.status = 200
        if b.early_headers or (kind == "stall" and b.after_chunks == 0):
            if not await conn.send(head):
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
            payload = pending_head + _chunk(data) if pending_head else _chunk(data)
            pending_head = b""
            rec.chunks_sent += 1  # counted first: a client in another thread may see it at once
            if not await conn.send(payload):
                rec.chunks_sent -= 1
                return False
            return True

        def result_event(i: int) -> bytes:
            nonlocal event_id, cumulative
            cumulative += pieces[i]
            last = i == n - 1
            out: dict[str, Any] = {
                "output": {
                    "session_id": sid,
                    "finish_reason": "stop" if last else "null",
                    "text": pieces[i] if incremental else cumulative,
                },
            }
            if last:
                out["usage"] = usage
            out["request_id"] = rid
            event_id += 1
            return _event(event_id, _dumps(out))

        normal = b.after_chunks if fault else n
        for i in range(normal):
            if not await emit(result_event(i)):
                return False

        async def finish() -> bool:
            if pending_head and not await conn.send(pending_head):
                return False
            return await _send_final(conn, rec, _LAST_CHUNK)

        if kind == "mid_stream_error":
            event_id += 1
            err = {"code": b.error_code, "message": b.error_message, "request_id": rid}
            if not await emit(_event(event_id, _dumps(err), event="error", status=b.status)):
                return False
            return await finish()
        if kind == "truncate":
            if not await conn.pause_until(slot):
                return False
            return await finish()
        if kind == "no_output":
            event_id += 1
            if not await emit(_event(event_id, _dumps({"usage": usage, "request_id": rid}))):
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
            nxt = pieces[b.after_chunks]
            probe = {"output": {"session_id": sid, "finish_reason": "null", "text": nxt}, "request_id": rid}
            data = _dumps(probe)
            event_id += 1
            if not await emit(_event(event_id, data[: max(8, len(data) // 2)])):
                return False
        if fault:  # stall / invalid_json continue with the rest of the reply
            for i in range(b.after_chunks, n):
                if not await emit(result_event(i)):
                    return False
        return await finish()

    # responses --------------------------------------------------------------------------

    @staticmethod
    def _std_headers(
        content_type: str, request_id: str, extra: Iterable[tuple[str, str]] = ()
    ) -> list[tuple[str, str]]:
        return [
            ("Content-Type", content_type),
            *extra,
            ("X-Request-Id", request_id),
            ("Server", "bailian-emulator"),
        ]

    def _json_response(
        self,
        status: int,
        payload: Any,
        *,
        request_id: str | None = None,
        extra: Iterable[tuple[str, str]] = (),
        close: bool = False,
    ) -> bytes:
        data = _dumps(payload).encode()
        rid = (
            request_id
            or (payload.get("request_id") if isinstance(payload, dict) else None)
            or str(uuid.uuid4())
        )
        headers = self._std_headers(_JSON_CT, rid, [("Content-Length", str(len(data))), *extra])
        if close:
            headers.append(("Connection", "close"))
        return _head(status, headers) + data


async def _send_final(conn: _Conn, rec: RequestRecord, data: bytes) -> bool:
    """Write the last bytes of a response; ``finished`` is set first so that a client running
    in another thread never sees the whole response before the record says so."""
    rec.finished = True
    if not await conn.send(data):
        rec.finished = False
        return False
    return True


def _default_chunks(text: str) -> int:
    return max(1, min(DEFAULT_CHUNKS, len(text)))


def _error_body(code: str, message: str) -> dict[str, str]:
    return {"request_id": str(uuid.uuid4()), "code": code, "message": message}


# -- the emulator on its own thread -----------------------------------------------------------


class EmulatorThread:
    """An :class:`Emulator` on its own event loop in a daemon thread.

    ``with EmulatorThread() as emu:`` yields the running Emulator; its ``script``/``reset``/
    ``requests_for``/``*_blocking`` helpers are safe to call from any thread.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, default: Behaviour | None = None) -> None:
        self.emulator = Emulator(host, port, default)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Emulator:
        if self._thread is not None:
            return self.emulator
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.emulator.start())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self.loop = loop
        self._thread = threading.Thread(target=run, name="bailian-emulator", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("emulator thread did not start")
        if failure:
            self._thread = None
            raise failure[0]
        return self.emulator

    def stop(self) -> None:
        thread, loop = self._thread, self.loop
        if thread is None or loop is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self.emulator.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self.emulator.base_url


# -- CLI ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bailian-fc emulator",
        description="Run the local Bailian (DashScope Application API) emulator until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8089, help="port (default 8089; 0 = ephemeral)")
    args = parser.parse_args(argv)

    async def serve() -> None:
        async with Emulator(args.host, args.port) as emu:
            print(f"Bailian emulator listening on {emu.base_url}", flush=True)
            print(
                f"  control: POST {emu.origin}/_emulator/script | POST {emu.origin}/_emulator/reset"
                f" | GET {emu.origin}/_emulator/requests",
                flush=True,
            )
            await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"bailian-fc emulator: cannot listen on {args.host}:{args.port}: {exc}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
