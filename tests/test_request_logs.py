"""Structured JSON logs with the request id, and what a chat turn may put in front of the model.

Through real HTTP: the chat function under uvicorn on 127.0.0.1, the admin function through FC events.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import time
from typing import Any

import httpx
import pytest
from support import CHAT_APP_ID, SECRET, make_settings, parse_frames, serve_app

from bailian_fc import logs
from bailian_fc.admin import function as admin_function
from bailian_fc.admin.function import AdminFunction
from bailian_fc.auth import Authenticator
from bailian_fc.chat.function import create_app
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore
from bailian_fc_tools.local.fc_context import fake_context

AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
RID = "1-67a0b1c2-abcdef0123456789abcd"


@pytest.fixture
def log_lines():
    """The JSON handler's output, captured (logs.install is once per process: swap its stream)."""
    handler = logs.install()
    buffer = io.StringIO()
    old = handler.setStream(buffer)  # type: ignore[attr-defined]
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    handler.setStream(old)  # type: ignore[attr-defined]


async def test_chat_logs_are_json_lines_carrying_the_fc_request_id(emulator, tmp_path, log_lines):
    """The chat server installs the handler: bailian_fc INFO/WARNING lines appear, with the FC request id."""
    from bailian_fc_tools.emulator import Behaviour

    emulator.script(CHAT_APP_ID, Behaviour(kind="http_error", status=401, code="InvalidApiKey"))
    token = AUTH.mint("user-1", "site-001", "staff")
    async with serve_app(create_app(make_settings(emulator, tmp_path))) as base:
        assert logging.getLogger("bailian_fc").getEffectiveLevel() <= logging.INFO
        async with httpx.AsyncClient(timeout=20) as http:
            resp = await http.post(
                f"{base}/chat/messages",
                json={"message": "hi"},
                headers={"Authorization": f"Bearer {token}", "x-fc-request-id": RID},
            )
    events = parse_frames(resp.content)
    assert resp.headers["x-request-id"] == RID and events[-1].data["request_id"] == RID
    lines = [line for line in log_lines() if line["request_id"] == RID]
    assert lines and all({"ts", "level", "logger", "message"} <= set(line) for line in lines)
    (record,) = [
        FileStore(tmp_path / "store").get_json(k) for k in FileStore(tmp_path / "store").list("runlogs/")
    ]
    assert record["request_id"] == RID, "the run log record carries the request id too"


async def test_chat_sends_only_allow_listed_context_and_the_tokens_site(emulator, tmp_path):
    token = AUTH.mint("user-1", "site-001", "staff")
    async with serve_app(create_app(make_settings(emulator, tmp_path))) as base:
        async with httpx.AsyncClient(timeout=20) as http:
            body = {
                "message": "hi",
                "context": {
                    "page": "finance",
                    "site_id": "site-999",
                    "role": "admin",
                    "user_prompt_params": {"x": 1},
                },
            }
            resp = await http.post(
                f"{base}/chat/messages", json=body, headers={"Authorization": f"Bearer {token}"}
            )
    assert parse_frames(resp.content)[-1].event == "done"
    sent = emulator.requests_for(CHAT_APP_ID)[0].body["input"]["biz_params"]
    params = sent["user_prompt_params"]
    clock = {k: params.pop(k) for k in ("business_date", "now")}  # the server's clock, not the body's
    assert sent == {"user_prompt_params": {"page": "finance", "site_id": "site-001"}} and all(clock.values())


def fc_call(path: str, token: str, request_id: str, method: str = "GET", body: Any = None) -> dict[str, Any]:
    raw = b"" if body is None else json.dumps(body).encode()
    event = {
        "version": "v1",
        "rawPath": path,
        "queryParameters": {},
        "headers": {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "X-Fc-Request-Id": request_id,
        },
        "body": base64.b64encode(raw).decode(),
        "isBase64Encoded": True,
        "requestContext": {"requestId": request_id, "http": {"method": method, "path": path}},
    }
    return admin_function.handler(json.dumps(event).encode(), fake_context())


def test_admin_logs_and_errors_carry_the_request_id(tmp_path, log_lines):
    runtime = AdminFunction.build(
        Settings(store_url=f"file://{tmp_path}/store", auth_jwt_secret=SECRET), FileStore(tmp_path / "store")
    )
    admin_function.configure(runtime)
    try:
        platform = AUTH.mint("root-1", "site-001", "admin", platform=True)
        out = fc_call("/admin/cache/purge", platform, RID, "POST", {"site_id": "site-001"})
        assert out["statusCode"] == 200 and out["headers"]["x-request-id"] == RID
        assert any(line["request_id"] == RID and "cache purge" in line["message"] for line in log_lines())
        other = f"req-{time.monotonic_ns()}"
        out = fc_call("/admin/triggers/nope", platform, other)
        assert out["statusCode"] == 404 and json.loads(out["body"])["error"]["request_id"] == other
    finally:
        admin_function.configure(None)


async def test_a_turn_whose_save_fails_unexpectedly_still_ends_with_an_error_frame(emulator, tmp_path):
    """Whatever the store raises (not only StoreError), the stream ends with ``error``, never silence.

    The question is stored create-only before the stream starts; the finished turn overwrites it at
    the end, and that write is the one that fails here."""

    class BrokenTurns(FileStore):
        def put(self, key: str, data: bytes) -> None:
            if "/turns/" in key:
                raise OSError(36, "File name too long")
            super().put(key, data)

    token = AUTH.mint("user-1", "site-001", "staff")
    app = create_app(make_settings(emulator, tmp_path), store=BrokenTurns(tmp_path / "store"))
    async with serve_app(app) as base:
        async with httpx.AsyncClient(timeout=20) as http:
            resp = await http.post(
                f"{base}/chat/messages", json={"message": "hi"}, headers={"Authorization": f"Bearer {token}"}
            )
    events = parse_frames(resp.content)
    assert events[0].event == "meta" and events[-1].event == "error"
    assert events[-1].data["code"] == "StoreUnavailable" and "File name" not in resp.text
