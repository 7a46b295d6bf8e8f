"""Every route of the admin, apps and chat OpenAPI documents answers JSON with no-store and nosniff.

Each operation is called as its documents say (path parameters filled in, an empty JSON body where one
is taken) by a caller allowed to use it; whatever the status (200, 400, 404, 409 …), a JSON answer
carries both headers. Chat's message stream (SSE) is the one non-JSON answer and is checked apart.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
from support import SECRET, make_settings, serve_app

from bailian_fc.admin import function as admin_function
from bailian_fc.admin.function import AdminFunction
from bailian_fc.apps import function as apps_function
from bailian_fc.apps.function import AppsFunction
from bailian_fc.auth import Authenticator
from bailian_fc.chat.function import create_app
from bailian_fc.chat.function import document as chat_document
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore
from bailian_fc_tools.local.fc_context import fake_context

AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
PLATFORM = AUTH.mint("admin-1", "site-001", "admin", platform=True)
MANAGER = AUTH.mint("mgr-1", "site-001", "manager")
STAFF = AUTH.mint("user-1", "site-001", "staff")
PATH_VALUES = {
    "job": "app2_prewarm",
    "app": "app6_note_analysis",
    "conversation_id": "c" + "0" * 22,
    "turn_id": "t" + "0" * 22,
    "site_id": "site-001",
    "request_id": "0" * 32,
}
METHODS = ("get", "post", "put", "patch", "delete")


def operations(document: dict[str, Any]) -> list[tuple[str, str, bool]]:
    found = []
    for path, item in document["paths"].items():
        filled = path.format(**{k: v for k, v in PATH_VALUES.items() if "{" + k + "}" in path})
        for method in METHODS:
            if method in item:
                found.append((method.upper(), filled, "requestBody" in item[method]))
    return found


def _fc(handler: Any, method: str, path: str, token: str, body: bool) -> tuple[int, dict[str, str]]:
    event = {
        "version": "v1",
        "rawPath": path,
        "headers": {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        "queryParameters": {},
        "body": base64.b64encode(b"{}" if body else b"").decode(),
        "isBase64Encoded": True,
        "requestContext": {"requestId": "req-headers", "http": {"method": method, "path": path}},
    }
    out = handler(json.dumps(event).encode(), fake_context())
    return out["statusCode"], {k.lower(): v for k, v in out["headers"].items()}


def _check(answers: list[tuple[str, int, Any]]) -> None:
    json_answers = [a for a in answers if str(a[2].get("content-type", "")).startswith("application/json")]
    assert len(json_answers) >= len(answers) - 1, answers  # at most the stream (or a 204) is not JSON
    for name, status, headers in json_answers:
        assert headers.get("cache-control") == "no-store", (name, status)
        assert headers.get("x-content-type-options") == "nosniff", (name, status)


def test_every_admin_route_answers_json_with_no_store_and_nosniff(tmp_path: Path) -> None:
    settings = Settings(store_url=f"file://{tmp_path}/store", auth_jwt_secret=SECRET)
    admin_function.configure(AdminFunction.build(settings, FileStore(tmp_path / "store")))
    try:
        ops = operations(admin_function.document())
        answers = []
        for method, path, body in ops:
            if (path.endswith(".json") and not path.endswith("openapi.json")) or method == "DELETE":
                continue  # the console's static files; deletes answer 204 with no body
            status, headers = _fc(admin_function.handler, method, path, PLATFORM, body)
            answers.append((f"{method} {path}", status, headers))
    finally:
        admin_function.configure(None)
    assert len(answers) >= 10
    _check([a for a in answers if a[1] != 204])


def test_every_apps_route_answers_json_with_no_store_and_nosniff(tmp_path: Path) -> None:
    settings = Settings(dashscope_api_key="k", store_url=f"file://{tmp_path}/store", auth_jwt_secret=SECRET)
    runtime = AppsFunction.build(settings, FileStore(tmp_path / "store"))
    apps_function.configure(runtime)
    try:
        answers = [
            (f"{m} {p}", *_fc(apps_function.handler, m, p, MANAGER, b))
            for m, p, b in operations(apps_function.document())
            if not (m == "POST" and b)  # a valid app call would go upstream: its 400 is checked below
        ]
        answers.append(
            (
                "POST /apps/app6_note_analysis",
                *_fc(apps_function.handler, "POST", "/apps/app6_note_analysis", MANAGER, True),
            )
        )
    finally:
        apps_function.configure(None)
        runtime.service.upstream.close()
    _check(answers)


async def test_every_chat_route_answers_json_with_no_store_and_nosniff(emulator: Any, tmp_path: Path) -> None:
    answers = []
    async with serve_app(create_app(make_settings(emulator, tmp_path))) as base:
        async with httpx.AsyncClient(timeout=20) as http:
            for method, path, body in operations(chat_document()):
                if method == "DELETE":
                    continue
                resp = await http.request(
                    method,
                    f"{base}{path}",
                    headers={"Authorization": f"Bearer {STAFF}", "Content-Type": "application/json"},
                    content=b"{}" if body else None,
                )
                answers.append((f"{method} {path}", resp.status_code, resp.headers))
    assert len(answers) >= 3
    _check(answers)
