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

The pieces: :mod:`~bailian_fc_tools.emulator.connection` (raw HTTP/1.1), :mod:`~.framing` (response
bytes), :mod:`~.completion` and :mod:`~.control` (the endpoints), :mod:`~.playback` (a
behaviour on the wire), :mod:`~.records` (the request log).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from bailian_fc_tools.emulator.behaviours import Behaviour
from bailian_fc_tools.emulator.completion import COMPLETION_RE, serve_completion
from bailian_fc_tools.emulator.connection import BadRequest, Connection, Request
from bailian_fc_tools.emulator.control import CONTROL_PREFIX, control
from bailian_fc_tools.emulator.framing import error_body, json_response
from bailian_fc_tools.emulator.records import RequestRecord

log = logging.getLogger("bailian_fc_tools.emulator")

API_PREFIX = "/api/v1"


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
        self._conns: dict[Connection, asyncio.Task[Any] | None] = {}
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

    def _log(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)

    def _snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self.requests)

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
        conn = Connection(reader, writer)
        self._conns[conn] = asyncio.current_task()
        self.connections_opened += 1
        try:
            while not self._closing:
                try:
                    req = await conn.read_request()
                except BadRequest as exc:
                    await conn.send(
                        json_response(exc.status, error_body("InvalidParameter", str(exc)), close=True)
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

    async def _dispatch(self, conn: Connection, req: Request) -> bool:
        path = req.path
        if path.startswith(CONTROL_PREFIX):
            status, payload = control(self, req)
            return (
                await conn.send(json_response(status, payload, close=not req.keep_alive)) and req.keep_alive
            )
        match = COMPLETION_RE.match(path)
        if match is None:
            body = error_body("NotFound", f"Not found: {req.method} {path}")
            return await conn.send(json_response(404, body, close=not req.keep_alive)) and req.keep_alive
        if req.method != "POST":
            body = error_body("MethodNotAllowed", f"Method {req.method} not allowed.")
            return await conn.send(json_response(405, body, close=not req.keep_alive)) and req.keep_alive
        return await serve_completion(self, conn, req, match.group(1))


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
