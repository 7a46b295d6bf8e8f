"""One client connection of the emulator: raw HTTP/1.1 on an ``asyncio`` stream.

Request parsing (``Content-Length`` and chunked bodies, ``Expect: 100-continue``), keep-alive,
writes that notice a vanished client, pacing that ends early when the client goes away, and
TCP resets (``SO_LINGER 0``). What the bytes *mean* is up to the callers.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass

MAX_HEAD = 64 * 1024
MAX_BODY = 64 * 1024 * 1024


class BadRequest(Exception):
    """A request the emulator cannot parse; answered with ``status`` and the connection closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Request:
    """One parsed HTTP/1.x request (header names lower-cased, repeated headers joined)."""

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


class Connection:
    """A client connection: buffered request reading, writes, pacing, client-gone detection.

    Created inside the serving event loop (``asyncio.start_server``'s callback).
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.loop = asyncio.get_running_loop()
        self.reader = reader
        self.writer = writer
        self.buf = bytearray()
        self.eof = False
        self.gone = False  # the client went away (EOF, reset, write error)
        self.aborted = False  # we reset the connection on purpose
        self._waiter: asyncio.Future[bool] | None = None
        self._watcher: asyncio.Task[None] | None = None
        sock = writer.get_extra_info("socket")
        if sock is not None:  # one TCP segment per SSE event, as soon as it is written
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

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

    async def read_request(self) -> Request | None:
        while True:
            idx = self.buf.find(b"\r\n\r\n")
            if idx >= 0:
                break
            if len(self.buf) > MAX_HEAD:
                raise BadRequest(431, "request head too large")
            if self.eof or not await self._fill():
                if self.buf.strip():
                    raise BadRequest(400, "incomplete request head")
                return None
        head = bytes(self.buf[:idx]).decode("latin-1")
        del self.buf[: idx + 4]
        lines = head.split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise BadRequest(400, f"bad request line {lines[0][:100]!r}")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise BadRequest(400, "bad header line")
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
                raise BadRequest(400, "bad content-length") from None
            if length < 0 or length > MAX_BODY:
                raise BadRequest(413, "request body too large")
            body = await self._read_exact(length)
        return Request(parts[0].upper(), parts[1], parts[2], headers, body)

    async def _read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if self.eof or not await self._fill():
                raise BadRequest(400, "incomplete request body")
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
            if len(self.buf) > MAX_HEAD or self.eof or not await self._fill():
                raise BadRequest(400, "bad chunked body")

    async def _read_chunked_body(self) -> bytes:
        out = bytearray()
        while True:
            size_line = await self._read_line()
            try:
                size = int(size_line.split(b";", 1)[0].strip() or b"x", 16)
            except ValueError:
                raise BadRequest(400, "bad chunk size") from None
            if size == 0:
                while await self._read_line():  # trailers
                    pass
                return bytes(out)
            out += await self._read_exact(size)
            if len(out) > MAX_BODY:
                raise BadRequest(413, "request body too large")
            await self._read_exact(2)

    # watching for the client to go away while we respond ------------------------------------

    def start_watch(self) -> None:
        if self._watcher is None and not self.eof:
            self._watcher = self.loop.create_task(self._watch())

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
        loop = self.loop
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
        return await self.pause_until(self.loop.time() + seconds)

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
