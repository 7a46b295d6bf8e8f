"""Deleting a conversation while one of its turns streams: the finished turn never brings it back."""

from __future__ import annotations

import json

import httpx
from support import CHAT_APP_ID, make_settings, named, parse_frames, serve_app

from bailian_fc.chat.function import create_app
from bailian_fc.store import FileStore
from bailian_fc_tools.emulator import Behaviour


async def test_a_conversation_deleted_mid_turn_stays_deleted_when_the_turn_finishes(
    emulator, tmp_path, token
):
    async with serve_app(create_app(make_settings(emulator, tmp_path))) as base:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base, timeout=30, headers=headers) as http:
            first = parse_frames((await http.post("/chat/messages", json={"message": "第一个问题"})).content)
            conv = first[0].data["conversation_id"]
            emulator.script(CHAT_APP_ID, Behaviour(chunks=12, chunk_delay=0.05))
            raw = b""
            async with http.stream(
                "POST", "/chat/messages", json={"conversation_id": conv, "message": "第二个问题"}
            ) as stream:
                chunks = stream.aiter_raw()
                while b"event: delta" not in raw:  # the turn is streaming now
                    raw += await chunks.__anext__()
                deleted = await http.delete(f"/chat/conversations/{conv}")
                async for chunk in chunks:
                    raw += chunk
            assert deleted.status_code == 204
            assert named(parse_frames(raw))[-1] == "done"  # the caller still got its answer
            assert (await http.get(f"/chat/conversations/{conv}")).status_code == 404
            listed = (await http.get("/chat/conversations")).json()["conversations"]
            assert conv not in [c["conversation_id"] for c in listed]
            # A new turn on the deleted id is refused, and a second DELETE finds nothing.
            again = await http.post("/chat/messages", json={"conversation_id": conv, "message": "还在吗"})
            assert again.status_code == 404 and again.json()["error"]["code"] == "ConversationNotFound"
            assert (await http.delete(f"/chat/conversations/{conv}")).status_code == 404
    left = [k for k in FileStore(tmp_path / "store").list("chat/") if conv in k and "/tombstones/" not in k]
    assert left == [], json.dumps(left)


def test_a_tombstoned_conversation_is_neither_opened_nor_reindexed(tmp_path):
    """A DELETE that crashed after its tombstone left meta behind: listing and opening skip it."""
    from bailian_fc.chat.conversations import ConversationStore

    store = FileStore(tmp_path / "store")
    conversations = ConversationStore(store)
    keep, gone = conversations.new_conversation_id(), conversations.new_conversation_id()
    for conv in (keep, gone):
        conversations.append_turn("s", "u", conv, {"message": "hi"})
        conversations.touch("s", "u", conv, title="t", last_turn_id="x")
    for key in store.list("chat/s/u/recent/"):
        store.delete(key)  # no index: the listing must rebuild it from meta/
    conversations.claims.claim(conversations._tombstone("s", "u", gone))  # ... and the DELETE crashed here
    assert conversations.get_meta("s", "u", gone) is None
    assert [m["conversation_id"] for m in conversations.list_conversations("s", "u")] == [keep]
    assert [k for k in store.list("chat/s/u/") if gone in k and "/tombstones/" not in k] == []


async def test_deleting_by_the_meta_id_during_the_first_turn_keeps_it_deleted(emulator, tmp_path, token):
    """The id a client got from ``meta`` names a stored conversation at once: DELETE finds it (204),
    and the first turn finishing afterwards does not bring it back."""
    async with serve_app(create_app(make_settings(emulator, tmp_path))) as base:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base, timeout=30, headers=headers) as http:
            emulator.script(CHAT_APP_ID, Behaviour(chunks=12, chunk_delay=0.05))
            raw = b""
            async with http.stream("POST", "/chat/messages", json={"message": "第一个问题"}) as stream:
                chunks = stream.aiter_raw()
                while b"event: delta" not in raw:
                    raw += await chunks.__anext__()
                conv = parse_frames(raw)[0].data["conversation_id"]
                opened = await http.get(f"/chat/conversations/{conv}")
                deleted = await http.delete(f"/chat/conversations/{conv}")
                async for chunk in chunks:
                    raw += chunk
            assert opened.status_code == 200
            assert [t["message"] for t in opened.json()["turns"]] == ["第一个问题"]
            assert opened.json()["turns"][0]["pending"] is True  # streaming: not yet interrupted
            assert deleted.status_code == 204
            assert named(parse_frames(raw))[-1] == "done"
            assert (await http.get(f"/chat/conversations/{conv}")).status_code == 404
            listed = (await http.get("/chat/conversations")).json()["conversations"]
            assert conv not in [c["conversation_id"] for c in listed]
    left = [k for k in FileStore(tmp_path / "store").list("chat/") if conv in k and "/tombstones/" not in k]
    assert left == [], json.dumps(left)
