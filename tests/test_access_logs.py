"""One JSON access line per request on every function, with the call's figures as fields, never payload text.

The chat Web function through uvicorn on 127.0.0.1, apps and admin through FC events; the upstream is the
emulator. A line is found by its request id: exactly one per request.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support import CHAT_APP_ID, SECRET, fc_call, make_settings, parse_frames, serve_app

from bailian_fc import logs
from bailian_fc.apps import function as apps_function
from bailian_fc.apps.function import AppsFunction
from bailian_fc.auth import Authenticator
from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc.chat.function import create_app
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore
from bailian_fc_tools.emulator import EmulatorThread

AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
SECRET_WORDS = "王先生下周想带同事团建"  # request text: must never reach a log line
MANAGER = AUTH.mint("mgr-1", "site-001", "manager")


def call(method: str, path: str, body: Any) -> int:
    """One FC HTTP-trigger event to the apps function; its status."""
    return fc_call(apps_function.handler, method, path, body=body, token=MANAGER)[0]


@pytest.fixture
def lines() -> Iterator[Any]:
    handler = logs.install()
    buffer = io.StringIO()
    old = handler.setStream(buffer)  # type: ignore[attr-defined]
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    handler.setStream(old)  # type: ignore[attr-defined]


def access(all_lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in all_lines if line["logger"] == logs.ACCESS_LOGGER]


async def test_chat_turn_has_one_access_line_with_fields(emulator, tmp_path, lines) -> None:
    token = AUTH.mint("user-1", "site-001", "staff")
    rid = "1-access-chat-0001"
    async with serve_app(create_app(make_settings(emulator, tmp_path))) as base:
        async with httpx.AsyncClient(timeout=20) as http:
            resp = await http.post(
                f"{base}/chat/messages",
                json={"message": SECRET_WORDS},
                headers={"Authorization": f"Bearer {token}", "x-fc-request-id": rid},
            )
    assert parse_frames(resp.content)[-1].event == "done"
    (line,) = [a for a in access(lines()) if a["request_id"] == rid]
    assert line["route"] == "/chat/messages" and line["status"] == 200 and line["method"] == "POST"
    assert line["site"] == "site-001" and line["app"] == "app1_chat" and isinstance(line["tokens"], int)
    assert line["latency_ms"] >= line["first_byte_ms"] >= 0 and line["upstream_ttfb_ms"] >= 0
    assert CHAT_APP_ID and all(SECRET_WORDS not in json.dumps(x, ensure_ascii=False) for x in lines())


def test_apps_miss_then_hit_and_an_error_each_log_one_line(tmp_path, lines, monkeypatch) -> None:
    for key in CATALOGUE:
        monkeypatch.setenv(f"BAILIAN_APP_ID_{key.upper()}", f"emu-{key}")
    with EmulatorThread() as emu:
        settings = Settings(
            dashscope_api_key="k",
            dashscope_base_url=emu.base_url,
            store_url=f"file://{tmp_path}/store",
            auth_jwt_secret=SECRET,
        )
        runtime = AppsFunction.build(settings, FileStore(tmp_path / "store"))
        apps_function.configure(runtime)
        try:
            body = {"note": SECRET_WORDS}
            assert call("POST", "/apps/app6_note_analysis", body) == 200
            assert call("POST", "/apps/app6_note_analysis", body) == 200
            assert call("POST", "/apps/nope", {}) == 404
        finally:
            apps_function.configure(None)
            runtime.service.upstream.close()
    found = access(lines())
    assert [(a["route"], a["status"], a.get("cache")) for a in found] == [
        ("/apps/app6_note_analysis", 200, "miss"),
        ("/apps/app6_note_analysis", 200, "hit"),
        ("/apps/nope", 404, None),
    ]
    assert len({a["request_id"] for a in found}) == 3
    assert found[0]["app"] == "app6_note_analysis" and found[0]["site"] == "site-001"
    assert found[0]["tokens"] > 0 and found[0]["upstream_ms"] >= 0 and found[1]["tokens"] == 0
    assert all(SECRET_WORDS not in json.dumps(x, ensure_ascii=False) for x in lines())


def test_chat_server_turns_uvicorns_plain_access_line_off() -> None:
    from pathlib import Path

    source = (Path(__file__).resolve().parents[1] / "functions" / "chat" / "server.py").read_text()
    assert "access_log=False" in source
