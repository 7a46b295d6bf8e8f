"""A chat turn's run-log record and trace over real HTTP: linked to its conversation, priced, masked,
rateable (the done event says so), and its access line carries the turn's outcome."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from support import CHAT_APP_ID, SECRET, make_settings, parse_frames, serve_app

from bailian_fc.admin.function import AdminFunction
from bailian_fc.auth import Authenticator
from bailian_fc.chat.function import create_app
from bailian_fc.runlog.detail import detail
from bailian_fc.store import FileStore
from bailian_fc_tools.emulator import Behaviour

AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
PRICES = {"bailian_price_qwen_plus_input": 0.8, "bailian_price_qwen_plus_output": 2.0}


async def turn(base: str, token: str, message: str) -> list[Any]:
    async with httpx.AsyncClient(timeout=20) as http:
        resp = await http.post(
            f"{base}/chat/messages",
            content=json.dumps({"message": message}),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
    assert resp.status_code == 200
    return parse_frames(resp.content)


async def rate(base: str, token: str, done: dict[str, Any], body: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=20) as http:
        return await http.post(
            f"{base}/chat/conversations/{done['conversation_id']}/turns/{done['turn_id']}/feedback",
            content=json.dumps(body),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )


@pytest.fixture
def store(tmp_path: Any) -> FileStore:
    return FileStore(tmp_path / "store")


async def test_a_chat_turn_is_traced_priced_linked_and_rated(emulator, tmp_path, store) -> None:
    token = AUTH.mint("user-1", "site-001", "staff")
    emulator.script(CHAT_APP_ID, Behaviour(input_tokens=2000, output_tokens=1000))
    settings = make_settings(emulator, tmp_path, **PRICES)
    async with serve_app(create_app(settings)) as base:
        events = await turn(base, token, "帮我记一下客户电话 13812345678")
        done = events[-1].data
        assert events[-1].event == "done" and "feedback" in done and done["feedback"] is None
        assert (await rate(base, token, done, {"rating": "down", "comment": "答非所问"})).status_code == 200
        other = AUTH.mint("user-9", "site-002", "staff")
        assert (await rate(base, other, done, {"rating": "up"})).status_code == 404
        assert (await rate(base, token, done, {"rating": "sideways"})).status_code == 400
    rt = AdminFunction.build(settings, store)
    (record_key,) = [k for k in store.list("runlogs/") if k.endswith(".json")]
    request_id = store.get_json(record_key)["request_id"]
    found = detail(store, request_id, now=rt.clock.wall_now(), days=30, visible=lambda s: s == "site-001")
    assert found.record is not None and found.record["user"] == "user-1"
    assert (
        found.record["conversation_id"] == done["conversation_id"]
        and found.record["turn_id"] == done["turn_id"]
    )
    assert found.record["tokens"]["input_tokens"] == 2000 and found.record["tokens"]["output_tokens"] == 1000
    assert found.record["cost_cny"] == pytest.approx(1.6 + 2.0)
    assert found.conversation is not None and found.conversation.turn_id == done["turn_id"]
    assert found.input["message"] == "帮我记一下客户电话 138****5678"
    assert found.output["answer"] and [r.rating for r in found.ratings] == ["down"]


async def test_a_mid_stream_failure_says_error_in_the_access_line(emulator, tmp_path, caplog) -> None:
    token = AUTH.mint("user-1", "site-001", "staff")
    emulator.script(CHAT_APP_ID, Behaviour(kind="mid_stream_error", code="InternalError", after_chunks=2))
    caplog.set_level(logging.INFO, logger="bailian_fc.access")
    async with serve_app(create_app(make_settings(emulator, tmp_path, bailian_max_attempts=1))) as base:
        events = await turn(base, token, "今晚有空包厢吗")
        assert events[-1].event == "error"
        await turn(base, token, "再问一次")  # the emulator's default: a whole answer
    lines = [r.fields for r in caplog.records if getattr(r, "fields", {}).get("route") == "/chat/messages"]
    assert [(f["status"], f["outcome"], f.get("error_code")) for f in lines] == [
        (200, "error", "InternalError"),
        (200, "done", None),
    ]
