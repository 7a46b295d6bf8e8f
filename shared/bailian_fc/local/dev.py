"""``bailian-fc dev``: every function of ``s.yaml`` on one local port, under its domain routes.

* functions, runtimes and routes come from ``s.yaml`` (the same file ``s deploy`` reads);
* the store defaults to ``file://.bailian-data``;
* without ``DASHSCOPE_API_KEY`` the bundled Bailian emulator starts and every app id
  points at it, so a fresh clone answers chats with no account;
* a dev JWT secret is kept in ``.bailian-data/.dev-jwt-secret`` so printed tokens
  survive restarts; Ctrl-C stops the server and the emulator.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import secrets
import shlex
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from ..catalogue.outputs import APP_KEYS
from .manifest import Function, Manifest, load_manifest, route_matches

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
        await send({"type": "http.response.start", "status": 404,
                    "headers": [(b"content-type", b"application/json")]})
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


def build_router(manifest: Manifest, root: Path) -> tuple[DevRouter, list[str]]:
    apps: dict[str, Any] = {}
    notes = []
    for function in manifest.functions.values():
        if function.is_web:
            apps[function.resource] = load_web_app(function, root)
        else:
            notes.append(f"{function.resource}: {function.runtime} handlers are not served by dev yet")
    routes = [(pattern, apps[res]) for pattern, res in manifest.routes if res in apps]
    return DevRouter(routes), notes


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
    from ..emulator import Emulator

    emulator = Emulator(host="127.0.0.1", port=emulator_port)
    await emulator.start()
    os.environ["DASHSCOPE_API_KEY"] = "emulator-local-key"
    os.environ["DASHSCOPE_BASE_URL"] = emulator.base_url
    for key in APP_KEYS:
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


async def serve(host: str, port: int, emulator_port: int, manifest_path: Path) -> None:
    import uvicorn

    from ..auth import Authenticator
    from ..settings import get_settings

    root = manifest_path.parent
    async with upstream(emulator_port) as upstream_desc:
        get_settings.cache_clear()
        settings = get_settings()
        manifest = load_manifest(manifest_path, strict=False)
        router, notes = build_router(manifest, root)
        auth = Authenticator(settings.auth_jwt_secret.get_secret_value(),  # type: ignore[union-attr]
                             settings.auth_issuer, settings.auth_audience)
        token = auth.mint("dev-user", "site-001", "manager")
        admin = auth.mint("dev-admin", "site-001", "admin")
        server = uvicorn.Server(uvicorn.Config(router, host=host, port=port, log_level="info",
                                               timeout_graceful_shutdown=3))
        _banner(host, port, manifest, upstream_desc, settings.store_url, token, admin, notes)
        await server.serve()


def _banner(host: str, port: int, manifest: Manifest, upstream_desc: str, store_url: str, token: str,
            admin: str, notes: list[str]) -> None:
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
        f"  token (dev-user, site-001, manager):\n    {token}",
        f"  admin token:\n    {admin}",
        "",
        "  stream a chat:",
        f"    curl -N {base}/chat/messages -H {shlex.quote('Authorization: Bearer ' + token)} "
        f"-H 'Content-Type: application/json' -d {shlex.quote(body)}",
        "",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)
