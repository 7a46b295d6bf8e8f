"""One exception → HTTP table for both adapters: the chat function (Starlette under uvicorn) and the
FC event functions answer the same failure with the same status, code and headers, and never with
the text of an unexpected exception."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from support import SECRET, make_settings, serve_app

from bailian_fc.auth import Authenticator
from bailian_fc.bailian.errors import RateLimited, UpstreamTimeout
from bailian_fc.chat.function import create_app
from bailian_fc.errors import Busy, InvalidInput, NotConfigured, NotFound
from bailian_fc.http.fc_event import http_handler
from bailian_fc.http.router import Router
from bailian_fc.jsonsafe import JsonRejected
from bailian_fc.store import FileStore, StoreUnavailable
from bailian_fc_tools.local.fc_context import fake_context

SECRET_TEXT = "/srv/secret-path key=sk-123"
FAILURES: dict[str, BaseException] = {
    "unexpected": RuntimeError(SECRET_TEXT),
    "key error": KeyError(SECRET_TEXT),
    "store": StoreUnavailable(SECRET_TEXT),
    "not found": NotFound("no such thing", code="ThingNotFound"),
    "invalid input": InvalidInput("no such area", code="UnknownArea"),
    "not configured": NotConfigured("BAILIAN_APP_ID_X is not set", code="AppNotConfigured"),
    "busy": Busy("retry shortly"),
    "rate limited": RateLimited("slow down", retry_after=2.5),
    "upstream timeout": UpstreamTimeout("timed out"),
    "json": JsonRejected("is nested deeper than 32 levels"),
}


class FailingStore(FileStore):
    failure: BaseException = RuntimeError()

    def list(self, prefix: str, start_after: str = "", limit: int | None = None) -> list[str]:
        raise self.failure


def fc_answer(failure: BaseException) -> tuple[int, dict[str, str], dict[str, Any]]:
    def boom(request: Any) -> Any:
        raise failure

    router = Router()
    router.get("/x", boom)
    event = {
        "version": "v1",
        "rawPath": "/x",
        "headers": {},
        "queryParameters": {},
        "body": "",
        "isBase64Encoded": False,
        "requestContext": {"requestId": "r-1", "http": {"method": "GET", "path": "/x"}},
    }
    out = http_handler(router, max_body_bytes=1024)(json.dumps(event).encode(), fake_context())
    body = base64.b64decode(out["body"]) if out["isBase64Encoded"] else out["body"]
    return out["statusCode"], out["headers"], json.loads(body)


@pytest.fixture
async def chat_base(emulator, tmp_path):
    store = FailingStore(tmp_path / "store")
    async with serve_app(create_app(make_settings(emulator, tmp_path), store=store)) as base:
        yield base, store


@pytest.mark.parametrize("name", FAILURES)
async def test_both_adapters_answer_a_failure_the_same_way(chat_base, name):
    base, store = chat_base
    store.failure = FAILURES[name]
    token = Authenticator(SECRET, "bailian-fc", "bailian-fc").mint("u-1", "site-001", "staff")
    async with httpx.AsyncClient(timeout=20) as http:
        resp = await http.get(f"{base}/chat/conversations", headers={"Authorization": f"Bearer {token}"})
    status, headers, body = fc_answer(FAILURES[name])
    assert resp.status_code == status >= 400
    assert resp.json()["error"]["code"] == body["error"]["code"]
    assert resp.json()["error"]["message"] == body["error"]["message"]
    assert resp.headers.get("retry-after") == headers.get("retry-after")
    assert SECRET_TEXT not in resp.text and SECRET_TEXT not in json.dumps(body)
    if name in ("unexpected", "key error"):
        assert status == 500 and body["error"] == {
            "code": "InternalError",
            "message": "internal error",
            "request_id": "r-1",
        }


async def test_chat_keeps_the_allow_header_on_405(chat_base):
    base, _ = chat_base
    async with httpx.AsyncClient(timeout=20) as http:
        resp = await http.put(f"{base}/chat/messages")
    assert resp.status_code == 405 and resp.headers["allow"] == "POST"
    assert resp.json()["error"]["code"] == "MethodNotAllowed"
