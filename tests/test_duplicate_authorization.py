"""One rule for two Authorization headers on every function and adapter: refused with a 401.

FC's HTTP trigger comma-joins a repeated header; the ASGI adapter (chat) now joins them the same way,
so no adapter authenticates as "the first one". Every answer here is JSON with no-store and nosniff.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import SECRET, make_settings, serve_app

from bailian_fc.admin import function as admin_function
from bailian_fc.admin.function import AdminFunction
from bailian_fc.apps import function as apps_function
from bailian_fc.apps.function import AppsFunction
from bailian_fc.auth import Authenticator
from bailian_fc.chat.function import create_app
from bailian_fc.errors import Unauthenticated
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore
from bailian_fc_tools.local.fc_context import fake_context

AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
STAFF = AUTH.mint("user-1", "site-001", "staff")
ADMIN = AUTH.mint("admin-1", "site-001", "admin", platform=True)


def _event(method: str, path: str, authorization: str) -> bytes:
    return json.dumps(
        {
            "version": "v1",
            "rawPath": path,
            "headers": {"Authorization": authorization},
            "queryParameters": {},
            "body": "",
            "isBase64Encoded": False,
            "requestContext": {"requestId": "req-dup-auth", "http": {"method": method, "path": path}},
        }
    ).encode()


def _fc(handler: Any, method: str, path: str, authorization: str) -> tuple[int, dict[str, str], Any]:
    out = handler(_event(method, path, authorization), fake_context())
    text = base64.b64decode(out["body"]) if out["isBase64Encoded"] else out["body"]
    return out["statusCode"], {k.lower(): v for k, v in out["headers"].items()}, json.loads(text)


def _assert_json_safe(headers: Any) -> None:
    assert headers["cache-control"] == "no-store" and headers["x-content-type-options"] == "nosniff"


def test_the_authenticator_refuses_a_comma_joined_pair() -> None:
    assert AUTH.authenticate(f"Bearer {STAFF}").sub == "user-1"
    with pytest.raises(Unauthenticated, match="exactly one"):
        AUTH.authenticate(f"Bearer {STAFF}, Bearer {STAFF}")


def test_two_authorization_headers_are_401_on_admin(tmp_path: Path) -> None:
    settings = Settings(store_url=f"file://{tmp_path}/store", auth_jwt_secret=SECRET)
    admin_function.configure(AdminFunction.build(settings, FileStore(tmp_path / "store")))
    try:
        assert _fc(admin_function.handler, "GET", "/admin/triggers", f"Bearer {ADMIN}")[0] == 200
        status, headers, body = _fc(
            admin_function.handler, "GET", "/admin/triggers", f"Bearer {ADMIN}, Bearer {ADMIN}"
        )
    finally:
        admin_function.configure(None)
    assert status == 401 and body["error"]["code"] == "Unauthorized"
    _assert_json_safe(headers)


def test_two_authorization_headers_are_401_on_apps(tmp_path: Path) -> None:
    settings = Settings(dashscope_api_key="k", store_url=f"file://{tmp_path}/store", auth_jwt_secret=SECRET)
    runtime = AppsFunction.build(settings, FileStore(tmp_path / "store"))
    apps_function.configure(runtime)
    try:
        status, headers, body = _fc(apps_function.handler, "GET", "/apps", f"Bearer {STAFF}, Bearer {STAFF}")
    finally:
        apps_function.configure(None)
        runtime.service.upstream.close()
    assert status == 401 and body["error"]["code"] == "Unauthorized"
    _assert_json_safe(headers)


async def test_two_authorization_headers_are_401_on_chat(emulator: Any, tmp_path: Path) -> None:
    async with serve_app(create_app(make_settings(emulator, tmp_path))) as base:
        async with httpx.AsyncClient(timeout=20) as http:
            one = await http.get(f"{base}/chat/conversations", headers={"Authorization": f"Bearer {STAFF}"})
            two = await http.get(
                f"{base}/chat/conversations",
                headers=[("Authorization", f"Bearer {STAFF}"), ("Authorization", f"Bearer {STAFF}")],
            )
    assert one.status_code == 200 and one.json()["skipped"] == 0
    assert two.status_code == 401 and two.json()["error"]["code"] == "Unauthorized"
    _assert_json_safe(two.headers)
    _assert_json_safe(one.headers)
