"""Per-user chat bounds over real HTTP: clear 413/429 with documented codes, nothing stored when refused."""

from __future__ import annotations

from typing import Any

import httpx
from support import CHAT_APP_ID, make_settings, parse_frames, serve_app

from bailian_fc.chat.function import create_app
from bailian_fc.store import FileStore
from bailian_fc_tools.emulator import Behaviour


def _stored(tmp_path: Any, part: str) -> list[str]:
    return [k for k in FileStore(tmp_path / "store").list("chat/") if f"/{part}/" in k]


async def test_a_context_above_the_bound_is_413_and_nothing_is_stored(emulator, tmp_path, token):
    async with serve_app(create_app(make_settings(emulator, tmp_path, chat_max_context_bytes=256))) as base:
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
            big = await http.post(
                "/chat/messages", json={"message": "你好", "context": {"notes": "长" * 200}}
            )
            small = await http.post("/chat/messages", json={"message": "你好", "context": {"notes": "短"}})
    assert big.status_code == 413 and big.json()["error"]["code"] == "ContextTooLarge"
    assert small.status_code == 200
    assert len(_stored(tmp_path, "turns")) == 1  # only the accepted one


async def test_turns_beyond_the_cap_are_429_and_the_conversation_stays_whole(emulator, tmp_path, token):
    settings = make_settings(emulator, tmp_path, chat_max_turns_per_conversation=2)
    async with serve_app(create_app(settings)) as base:
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
            first = parse_frames((await http.post("/chat/messages", json={"message": "一"})).content)
            conv = first[0].data["conversation_id"]
            second = await http.post("/chat/messages", json={"message": "二", "conversation_id": conv})
            third = await http.post("/chat/messages", json={"message": "三", "conversation_id": conv})
            got = (await http.get(f"/chat/conversations/{conv}")).json()
    assert second.status_code == 200
    assert third.status_code == 429 and third.json()["error"]["code"] == "TooManyTurns"
    assert "retry-after" not in third.headers  # waiting does not help: start a new conversation
    assert sorted(t["message"] for t in got["turns"]) == ["一", "二"]


async def test_new_conversations_beyond_the_daily_cap_are_429_until_the_next_business_day(
    emulator, tmp_path, token
):
    settings = make_settings(emulator, tmp_path, chat_max_conversations_per_day=2)
    async with serve_app(create_app(settings)) as base:
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
            made = [
                parse_frames((await http.post("/chat/messages", json={"message": f"问{i}"})).content)
                for i in range(2)
            ]
            refused = await http.post("/chat/messages", json={"message": "再开一个"})
            conv = made[0][0].data["conversation_id"]
            more = await http.post("/chat/messages", json={"message": "接着问", "conversation_id": conv})
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "TooManyConversations"
    assert 1 <= int(refused.headers["retry-after"]) <= 86_400 + 3600  # the next business day start (DST)
    assert more.status_code == 200  # today's conversations go on
    assert len(_stored(tmp_path, "meta")) == 2


async def test_a_long_reply_streams_whole_and_its_stored_copy_is_cut_and_marked(emulator, tmp_path, token):
    text = "台球" * 400  # 800 characters
    emulator.script(CHAT_APP_ID, Behaviour(text=text, chunks=16))
    settings = make_settings(emulator, tmp_path, chat_max_stored_answer_chars=100)
    async with serve_app(create_app(settings)) as base:
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
            events = parse_frames((await http.post("/chat/messages", json={"message": "讲讲"})).content)
            conv = events[0].data["conversation_id"]
            turn = (await http.get(f"/chat/conversations/{conv}")).json()["turns"][0]
    streamed = "".join(e.data["text"] for e in events if e.event == "delta")
    assert streamed == text and events[-1].event == "done"
    assert turn["answer"] == text[:100] and turn["answer_truncated"] is True and turn["answer_chars"] == 800
