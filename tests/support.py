"""Test helpers (not fixtures): settings, a real uvicorn server on 127.0.0.1, an SSE parser."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import uvicorn

from bailian_fc.settings import Settings
from bailian_fc_tools.emulator import Emulator

SECRET = "test-secret-do-not-use-0123456789abcdef"
CHAT_APP_ID = "emu-app1_chat"


def make_settings(emulator: Emulator, tmp_path: Any, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "dashscope_api_key": "test-key",
        "dashscope_base_url": emulator.base_url,
        "store_url": f"file://{tmp_path}/store",
        "auth_jwt_secret": SECRET,
        "bailian_backoff_base_seconds": 0.01,
        "bailian_read_timeout": 5.0,
        "bailian_deadline_seconds": 20.0,
    }
    values.update(overrides)
    return Settings(**values)


@contextlib.asynccontextmanager
async def serve_app(app: Any) -> AsyncIterator[str]:
    """Run ``app`` under a real uvicorn on 127.0.0.1 (ephemeral port) in this event loop."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class SseEvent:
    event: str | None
    data: Any
    comment: str | None = None


def parse_frames(raw: bytes) -> list[SseEvent]:
    """Parse a complete SSE body; fails the test on a frame that is not whole."""
    text = raw.decode("utf-8")
    assert text == "" or text.endswith("\n\n"), f"body does not end on a frame boundary: {text[-40:]!r}"
    events = []
    for block in text.split("\n\n")[:-1]:
        event, data, comment = None, None, None
        for line in block.split("\n"):
            if line.startswith(":"):
                comment = line[1:].strip()
            elif line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: "):
                data = json.loads(line[len("data: ") :])
            else:
                raise AssertionError(f"unexpected SSE line {line!r}")
        events.append(SseEvent(event, data, comment))
    return events


def named(events: list[SseEvent]) -> list[str]:
    return [e.event for e in events if e.event]


@contextlib.contextmanager
def running_dev(store_dir: Any, *args: str, **env_overrides: str) -> Any:
    """`bailian-fc dev [args]` in a subprocess on a free port; yields (base_url, banner text, process).

    On exit it sends SIGINT (Ctrl-C) and waits, so ``process.returncode`` tells how dev stopped.
    """
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHSCOPE_", "BAILIAN_APP_ID_"))}
    env.update(STORE_URL=f"file://{store_dir}", AUTH_JWT_SECRET=SECRET, **env_overrides)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bailian_fc_tools.cli", "dev", "--port", str(port), *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner, deadline = "", time.monotonic() + 180  # a hang guard: a loaded 2-core machine starts slowly
        while "Uvicorn running" not in banner and time.monotonic() < deadline:
            line = proc.stderr.readline()  # type: ignore[union-attr]
            if not line and proc.poll() is not None:
                raise AssertionError(f"dev exited early:\n{banner}")
            banner += line
        assert "Uvicorn running" in banner, banner
        proc.log_tail = _drain(proc)  # type: ignore[attr-defined]
        yield f"http://127.0.0.1:{port}", banner, proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise


def _drain(proc: Any) -> Any:
    """Keep reading dev's output after the banner (a full pipe would block its logging, and so dev);
    the last lines stay in the returned deque for a failing test to show."""
    import collections
    import threading

    tail: collections.deque[str] = collections.deque(maxlen=200)

    def pump(stream: Any) -> None:
        for line in stream:
            tail.append(line)

    for stream in (proc.stdout, proc.stderr):
        threading.Thread(target=pump, args=(stream,), daemon=True).start()
    return tail


def fc_call(
    handler: Any,
    method: str,
    path: str,
    *,
    body: Any = None,
    token: str | None = None,
    query: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """One FC HTTP-trigger invocation of ``handler``: (status, parsed JSON body or None).

    ``body`` is JSON-encoded unless it is already bytes; the event is the FC3 shape the built-in
    runtime passes (base64 body, v1), with a fresh request id and a bearer ``token`` if given.
    """
    from bailian_fc_tools.local.fc_context import fake_context

    raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    event = {
        "version": "v1",
        "rawPath": path,
        "headers": headers,
        "queryParameters": query or {},
        "body": base64.b64encode(raw).decode(),
        "isBase64Encoded": True,
        "requestContext": {
            "requestId": f"req-{time.monotonic_ns()}",
            "http": {"method": method, "path": path},
        },
    }
    out = handler(json.dumps(event).encode(), fake_context())
    text = base64.b64decode(out["body"]) if out["isBase64Encoded"] else out["body"]
    return out["statusCode"], json.loads(text) if text else None
