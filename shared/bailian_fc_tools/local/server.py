"""``bailian-fc dev``: every function of ``s.yaml`` on one local port, under its domain routes.

* functions, runtimes and routes come from ``s.yaml`` (the same file ``s deploy`` reads);
* the store defaults to ``file://.bailian-data``;
* without ``DASHSCOPE_API_KEY`` the bundled Bailian emulator starts and every app id
  points at it, so a fresh clone answers chats with no account;
* a dev JWT secret is kept in ``.bailian-data/.dev-jwt-secret`` so printed tokens
  survive restarts; Ctrl-C stops the server and the emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import re
import secrets
import shlex
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bailian_fc.catalogue.registry import app_keys
from bailian_fc_tools.builder.manifest import Function, Manifest, load_manifest, route_matches
from bailian_fc_tools.cli.main import console_link

ROOT_MARKERS = ("s.yaml", "pyproject.toml")


class DevRouter:
    """An ASGI app sending each request to the function whose domain route matches its path."""

    def __init__(self, routes: list[tuple[str, Any]]) -> None:
        self.routes = routes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        path = scope.get("path", "")
        for pattern, app in self.routes:
            if route_matches(pattern, path):
                await app(scope, receive, send)
                return
        body = b'{"error":{"code":"NotFound","message":"no function serves this path","request_id":null}}'
        await send(
            {
                "type": "http.response.start",
                "status": 404,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Any, send: Any) -> None:
        async with contextlib.AsyncExitStack() as stack:
            await receive()  # lifespan.startup
            try:
                for app in {id(a): a for _, a in self.routes}.values():
                    router = getattr(app, "router", None)
                    if router is not None:
                        await stack.enter_async_context(router.lifespan_context(app))
            except Exception as exc:
                await send({"type": "lifespan.startup.failed", "message": str(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})


def load_web_app(function: Function, root: Path) -> Any:
    """The ASGI app of a custom-runtime function: ``create_app()`` from its ``server.py``."""
    path = root / function.source_dir / "server.py"
    spec = importlib.util.spec_from_file_location(f"bailian_fc_function_{function.resource}", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.create_app()


def load_event_module(function: Function, root: Path) -> Any:
    """``functions/<name>/index.py`` of a built-in runtime function (handler + initializer)."""
    path = root / function.source_dir / f"{(function.handler or 'index.handler').split('.')[0]}.py"
    spec = importlib.util.spec_from_file_location(f"bailian_fc_function_{function.resource}", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def context_for(function: Function) -> Any:
    from bailian_fc_tools.local.fc_context import fake_context

    return fake_context(
        function={
            "name": function.name,
            "handler": function.handler or "index.handler",
            "memory": int(function.props.get("memorySize", 512)),
            "timeout": int(function.props.get("timeout", 60)),
        }
    )


def build_router(
    manifest: Manifest, root: Path, max_body_bytes: int | None = None
) -> tuple[DevRouter, list[Any]]:
    """The dev router, plus the timer triggers to fire locally as (function, module, seconds, payload).

    ``max_body_bytes`` is the event functions' own body limit: dev refuses a larger body before
    buffering it (FC itself buffers up to its event limit and then calls the handler, which refuses it).
    """
    from bailian_fc_tools.local.fc_context import asgi_app

    apps: dict[str, Any] = {}
    timers: list[Any] = []
    for function in manifest.functions.values():
        if function.is_web:
            apps[function.resource] = load_web_app(function, root)
            continue
        module = load_event_module(function, root)
        if hasattr(module, "initialize"):
            module.initialize(context_for(function))
        if any(t.get("triggerType") == "http" for t in function.triggers):
            apps[function.resource] = asgi_app(
                module.handler, context_factory=_context_factory(function), max_body_bytes=max_body_bytes
            )
        for trigger in function.triggers:
            if trigger.get("triggerType") == "timer":
                config = trigger.get("triggerConfig") or {}
                timers.append(
                    (
                        function,
                        module,
                        every_seconds(config.get("cronExpression", "")),
                        config.get("payload", ""),
                    )
                )
    routes = [(pattern, apps[res]) for pattern, res in manifest.routes if res in apps]
    for function, module, _, _ in timers[:1]:  # admin "run now" runs the job function here, at once
        from bailian_fc.jobs.run_now import set_local_starter

        set_local_starter(in_process_starter(function, module))
    return DevRouter(routes), timers


DEV_RUN_NOW_THREADS = 2


def in_process_starter(function: Function, module: Any, limit: int = DEV_RUN_NOW_THREADS) -> Any:
    """Run a manual event through ``module.handler`` on a thread, as FC's async invocation would.

    At most ``limit`` such threads at once: past that the start fails, and the admin queues the
    run for the next timer tick (as it does when FC refuses), so requests never pile up threads.
    """
    import threading

    slots = threading.BoundedSemaphore(limit)

    def start(event: dict[str, Any]) -> str:
        if not slots.acquire(blocking=False):
            raise RuntimeError(f"dev runs at most {limit} run-nows at once")

        def run() -> None:
            try:
                result = module.handler(json.dumps(event).encode(), context_for(function))
                print(
                    f"[run now] {function.resource}: {json.dumps(result, ensure_ascii=False, default=str)[:300]}",
                    file=sys.stderr,
                    flush=True,
                )
            except Exception as exc:
                print(f"[run now] {function.resource} failed: {exc!r}", file=sys.stderr, flush=True)
            finally:
                slots.release()

        thread = threading.Thread(target=run, name=f"run-now-{event.get('job')}", daemon=True)
        thread.start()
        return f"dev-in-process-{thread.ident}"

    return start


def _context_factory(function: Function) -> Any:
    def make(request_id: str) -> Any:
        return context_for(function)

    return make


def every_seconds(expression: str) -> float:
    """``@every 5m`` → 300; dev fires cron-style timers every minute and lets the dispatcher decide."""
    match = re.fullmatch(r"@every\s+(\d+)([smh])", expression.strip())
    if not match:
        return 60.0
    return int(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2)]


async def fire_timers(timers: list[Any], override: float | None) -> None:
    """Deliver FC-shaped timer events to their handlers, in a worker thread, forever."""
    import anyio.to_thread

    async def one(function: Function, module: Any, seconds: float, payload: str) -> None:
        while True:
            await asyncio.sleep(override or seconds)
            event = json.dumps(
                {
                    "triggerTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "triggerName": "timer",
                    "payload": payload,
                }
            ).encode()
            try:
                result = await anyio.to_thread.run_sync(module.handler, event, context_for(function))
                print(
                    f"[timer] {function.resource}: {json.dumps(result, ensure_ascii=False, default=str)[:300]}",
                    file=sys.stderr,
                    flush=True,
                )
            except Exception as exc:  # a failing tick is reported; the next one still fires
                print(f"[timer] {function.resource} failed: {exc!r}", file=sys.stderr, flush=True)

    await asyncio.gather(*(one(*t) for t in timers))


def seed_demo_finance(settings: Any) -> list[str]:
    """An empty local store gets the demo finance and clue sample, so App2 and App3 have data.

    A PostgreSQL ``DATA_URL`` is the venue's (or `demo-data`'s) and is never written here."""
    from bailian_fc.clock import SandboxClock
    from bailian_fc.store import open_store
    from bailian_fc.venue import is_postgres
    from bailian_fc_tools.demo.finance import generate

    if settings.data_url and is_postgres(settings.data_url.get_secret_value()):
        return ["venue data: PostgreSQL (DATA_URL)"]
    store = open_store(settings.store_url)
    if store.list("finance/", limit=1):
        return []
    summary = generate(store, end=SandboxClock.from_settings(store, settings).business_date())
    first = summary["clues"][summary["sites"][0]][:1]
    return [
        f"demo finance data: {len(summary['sites'])} sites, {summary['days']} days, clues such as "
        f"{', '.join(first)} (bailian-fc demo-data)"
    ]


def dev_secret(data_dir: Path) -> str:
    path = data_dir / ".dev-jwt-secret"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    path.write_text(secret)
    path.chmod(0o600)
    return secret


def find_root(start: Path) -> Path:
    for candidate in (start, *start.parents):
        if (candidate / "s.yaml").exists():
            return candidate
    raise SystemExit("bailian-fc dev: no s.yaml here or above; run it from the project directory")


@contextlib.asynccontextmanager
async def upstream(emulator_port: int) -> AsyncIterator[str]:
    """The real Bailian when a key is set, else the bundled emulator (env pointed at it)."""
    if os.environ.get("DASHSCOPE_API_KEY"):
        yield os.environ.get("DASHSCOPE_BASE_URL", "Bailian (DASHSCOPE_BASE_URL default)")
        return
    from bailian_fc_tools.emulator import Emulator

    emulator = Emulator(host="127.0.0.1", port=emulator_port)
    await emulator.start()
    os.environ["DASHSCOPE_API_KEY"] = "emulator-local-key"
    os.environ["DASHSCOPE_BASE_URL"] = emulator.base_url
    for key in app_keys():
        os.environ.setdefault(f"BAILIAN_APP_ID_{key.upper()}", f"emu-{key}")
    try:
        yield f"emulator at {emulator.base_url}"
    finally:
        await emulator.stop()
        for name in ("DASHSCOPE_API_KEY", "DASHSCOPE_BASE_URL"):
            os.environ.pop(name, None)


def prepare(manifest_path: str | None) -> Path:
    """Settle the project root (cwd), the dev store and the dev JWT secret; return s.yaml's path."""
    path = find_root(Path.cwd()) / "s.yaml" if manifest_path is None else Path(manifest_path).resolve()
    os.chdir(path.parent)
    os.environ.setdefault("STORE_URL", "file://.bailian-data")
    if not os.environ.get("AUTH_JWT_SECRET"):
        os.environ["AUTH_JWT_SECRET"] = dev_secret(path.parent / ".bailian-data")
    return path


async def serve(
    host: str,
    port: int,
    emulator_port: int,
    manifest_path: Path,
    tick_seconds: float | None = None,
    *,
    header_timeout: float = 10.0,
    body_timeout: float = 30.0,
) -> None:
    import uvicorn

    from bailian_fc.auth import Authenticator
    from bailian_fc.settings import get_settings

    root = manifest_path.parent
    check_port(host, port)  # a busy port fails here, before any banner or token is printed
    async with upstream(emulator_port) as upstream_desc:
        get_settings.cache_clear()
        settings = get_settings()
        manifest = load_manifest(manifest_path, strict=False)
        router, timers = build_router(manifest, root, settings.max_body_bytes)
        notes = [f"timer {f.resource}: every {tick_seconds or s:g}s" for f, _, s, _ in timers]
        notes += seed_demo_finance(settings)
        auth = Authenticator.from_settings(settings)
        token = auth.mint("dev-user", "site-001", "manager")
        admin = auth.mint("dev-admin", "site-001", "admin", platform=True)
        from bailian_fc_tools.local.slow_clients import guarded_protocol

        server = uvicorn.Server(
            uvicorn.Config(
                router,
                host=host,
                port=port,
                log_level="info",
                timeout_graceful_shutdown=3,
                http=guarded_protocol(header_timeout, body_timeout),
            )
        )
        _banner(host, port, manifest, upstream_desc, settings.store_url, token, admin, notes)
        ticker = asyncio.ensure_future(fire_timers(timers, tick_seconds))
        try:
            await server.serve()
        finally:
            ticker.cancel()


def check_port(host: str, port: int) -> None:
    """OSError, said plainly, when ``host:port`` cannot be listened on (uvicorn binds it right after)."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        # As uvicorn binds: SO_REUSEADDR lets a port whose last server was killed (-9) be reused while
        # its old connections sit in TIME_WAIT; a port another server listens on is still refused.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise OSError(
                f"cannot listen on {host}:{port} ({exc.strerror}); is another server running there? "
                "Pick another with --port"
            ) from None


def _banner(
    host: str,
    port: int,
    manifest: Manifest,
    upstream_desc: str,
    store_url: str,
    token: str,
    admin: str,
    notes: list[str],
) -> None:
    base = f"http://{host}:{port}"
    body = '{"message":"今晚八点还有包厢吗？"}'
    lines = [
        "",
        f"bailian-fc dev — {base}",
        f"  functions : {', '.join(f'{f.resource} ({f.runtime})' for f in manifest.functions.values())}",
        f"  routes    : {', '.join(p for p, _ in manifest.routes)}",
        f"  upstream  : {upstream_desc}",
        f"  store     : {store_url}",
        *(f"  note      : {n}" for n in notes),
        "",
        f"  token (dev-user, site-001, manager; not admin):\n    {token}",
        f"  admin token (role admin; use this one for /admin/* and bailian-fc verify):\n    {admin}",
        "",
        f"  console   : {console_link(base, admin)}",
        "",
        "  stream a chat:",
        f"    curl -N {base}/chat/messages -H {shlex.quote('Authorization: Bearer ' + token)} "
        f"-H 'Content-Type: application/json' -d {shlex.quote(body)}",
        "",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)
