"""Conversations stay whole on every adapter, and the chat function runs on each unchanged."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from support import make_settings, parse_frames, serve_app

from bailian_fc.chat.app import create_app
from bailian_fc.conversations import ConversationStore
from bailian_fc.emulator import Emulator
from bailian_fc.store import Store


def test_fifty_concurrent_writers_lose_no_turn(store: Store) -> None:
    """50 threads appending to one conversation: 50 turns, distinct, in one stable order."""
    conversations = ConversationStore(store)
    conv = conversations.new_conversation_id()

    def write(i: int) -> str:
        return conversations.append_turn("site-1", "user-1", conv, {"message": f"第{i}条", "answer": "好"})

    with ThreadPoolExecutor(max_workers=50) as pool:
        ids = list(pool.map(write, range(50)))
    turns = conversations.list_turns("site-1", "user-1", conv)
    assert len(turns) == 50 and len(set(ids)) == 50
    assert {t["message"] for t in turns} == {f"第{i}条" for i in range(50)}
    assert [t["turn_id"] for t in turns] == sorted(ids)
    assert [t["turn_id"] for t in conversations.list_turns("site-1", "user-1", conv)] == sorted(ids)


async def test_chat_function_runs_unchanged_on_every_store(store: Store, tmp_path: Path) -> None:
    """The same chat app streams and stores a turn whatever STORE_URL names."""
    async with Emulator() as emulator:
        app = create_app(make_settings(emulator, tmp_path), store=store)
        token = app.state.runtime.auth.mint("user-1", "site-001", "staff")
        async with serve_app(app) as base, httpx.AsyncClient(timeout=20) as http:
            h = {"Authorization": f"Bearer {token}"}
            resp = await http.post(f"{base}/chat/messages", json={"message": "包厢怎么订？"}, headers=h)
            events = parse_frames(resp.content)
            conv = events[0].data["conversation_id"]
            got = (await http.get(f"{base}/chat/conversations/{conv}", headers=h)).json()
    assert events[-1].event == "done"
    assert got["turns"][0]["answer"] == "".join(e.data["text"] for e in events if e.event == "delta")
    assert json.loads(json.dumps(got))["title"] == "包厢怎么订？"
