"""Conversations stay whole on every adapter, and the chat function runs on each unchanged."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from support import make_settings, parse_frames, serve_app

from bailian_fc.chat.conversations import ConversationStore
from bailian_fc.chat.function import create_app
from bailian_fc.store import Store
from bailian_fc_tools.emulator import Emulator


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
        token = app.state.function.auth.mint("user-1", "site-001", "staff")
        async with serve_app(app) as base, httpx.AsyncClient(timeout=20) as http:
            h = {"Authorization": f"Bearer {token}"}
            resp = await http.post(f"{base}/chat/messages", json={"message": "包厢怎么订？"}, headers=h)
            events = parse_frames(resp.content)
            conv = events[0].data["conversation_id"]
            got = (await http.get(f"{base}/chat/conversations/{conv}", headers=h)).json()
    assert events[-1].event == "done"
    assert got["turns"][0]["answer"] == "".join(e.data["text"] for e in events if e.event == "delta")
    assert json.loads(json.dumps(got))["title"] == "包厢怎么订？"


class CountingStore(Store):
    """Delegates the five operations and counts them, so tests see what a listing really reads."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()
        self.max_value_bytes = inner.max_value_bytes

    def get(self, key: str) -> bytes | None:
        self.calls["get"] += 1
        return self.inner.get(key)

    def put(self, key: str, data: bytes) -> None:
        self.calls["put"] += 1
        self.inner.put(key, data)

    def put_if_absent(self, key: str, data: bytes) -> bool:
        self.calls["put_if_absent"] += 1
        return self.inner.put_if_absent(key, data)

    def list_page(self, prefix: str, start_after: str = "", limit: int = 1000) -> list[str]:
        self.calls["list_page"] += 1
        return self.inner.list_page(prefix, start_after, limit)

    def delete(self, key: str) -> None:
        self.calls["delete"] += 1
        self.inner.delete(key)

    def newest(self, prefix: str, limit: int, before: str = "") -> list[tuple[str, bytes]]:
        self.calls["newest"] += 1
        return self.inner.newest(prefix, limit, before)


def _ticking(start: float = 1_700_000_000.0) -> Callable[[], float]:
    ticks = itertools.count()
    return lambda: start + next(ticks)  # one second per touch: a strict, known order


def _make_conversations(conversations: ConversationStore, count: int) -> list[str]:
    ids = []
    for i in range(count):
        conv = conversations.new_conversation_id()
        conversations.append_turn("s", "u", conv, {"message": f"q{i}"})
        conversations.touch("s", "u", conv, title=f"t{i}", last_turn_id="x")
        ids.append(conv)
    return ids


def test_listing_conversations_reads_only_the_newest(store: Store) -> None:
    conversations = ConversationStore(store, clock=_ticking())
    ids = _make_conversations(conversations, 12)
    # Older conversations move to the front when touched again.
    conversations.touch(
        "s", "u", ids[2], title="t2", last_turn_id="y", previous=conversations.get_meta("s", "u", ids[2])
    )
    counting = CountingStore(store)
    listed = ConversationStore(counting).list_conversations("s", "u", limit=4)
    assert [m["conversation_id"] for m in listed] == [ids[2], ids[11], ids[10], ids[9]]
    assert counting.calls["newest"] == 1 and counting.calls["delete"] == 0
    # The ordered read, not a meta read per conversation (the store's own reads are inside newest).
    assert counting.calls["get"] == 0
    everything = ConversationStore(store).list_conversations("s", "u", limit=50)
    assert len(everything) == 12 and len({m["conversation_id"] for m in everything}) == 12


def test_an_extra_index_entry_from_racing_turns_is_listed_once_and_removed(store: Store) -> None:
    conversations = ConversationStore(store, clock=_ticking())
    (conv, other) = _make_conversations(conversations, 2)
    start = conversations.get_meta("s", "u", conv)
    # Two turns started from the same meta finish one after the other: each replaces `start`.
    conversations.touch("s", "u", conv, title="a", last_turn_id="t1", previous=start)
    conversations.touch("s", "u", conv, title="b", last_turn_id="t2", previous=start)
    listed = conversations.list_conversations("s", "u", limit=5)
    assert [(m["conversation_id"], m["title"]) for m in listed] == [(conv, "b"), (other, "t1")]
    assert len(store.list("chat/s/u/recent/")) == 2  # the stale entry is gone


def test_conversations_without_an_index_entry_are_found_and_indexed(store: Store) -> None:
    conversations = ConversationStore(store, clock=_ticking())
    ids = _make_conversations(conversations, 3)
    for key in store.list("chat/s/u/recent/"):
        store.delete(key)  # as written before the index existed
    listed = conversations.list_conversations("s", "u", limit=10)
    assert [m["conversation_id"] for m in listed] == ids[::-1]
    assert len(store.list("chat/s/u/recent/")) == 3


def test_deleting_a_conversation_removes_its_index_entries(store: Store) -> None:
    conversations = ConversationStore(store, clock=_ticking())
    keep, gone = _make_conversations(conversations, 2)
    assert conversations.delete("s", "u", gone) is True
    assert [m["conversation_id"] for m in conversations.list_conversations("s", "u")] == [keep]
    assert [k for k in store.list("chat/s/u/") if gone in k and "/tombstones/" not in k] == []
    assert conversations.is_deleted(
        "s", "u", gone
    )  # the tombstone stays: a turn still running never revives it
    assert conversations.delete("s", "u", gone) is False


def test_last_turns_are_the_newest_in_order(store: Store) -> None:
    conversations = ConversationStore(store)
    conv = conversations.new_conversation_id()
    ids = [conversations.append_turn("s", "u", conv, {"message": str(i)}) for i in range(25)]
    assert [t["turn_id"] for t in conversations.list_turns("s", "u", conv, last=20)] == sorted(ids)[-20:]
    assert [t["turn_id"] for t in conversations.list_turns("s", "u", conv)] == sorted(ids)
    assert conversations.list_turns("s", "u", conv, last=0) == []
    assert (conversations.last_turn("s", "u", conv) or {})["turn_id"] == max(ids)


def test_newest_pages_backwards_with_before(store: Store) -> None:
    keys = [f"n/{i:03d}" for i in range(30)] + ["nx", "nx0/y", "m/1"]
    for key in keys:
        store.put(key, key.encode())
    first = store.newest("n/", 10)
    assert [k for k, _ in first] == [f"n/{i:03d}" for i in range(29, 19, -1)]
    assert all(v == k.encode() for k, v in first)
    second = store.newest("n/", 25, before=first[-1][0])
    assert [k for k, _ in second] == [f"n/{i:03d}" for i in range(19, -1, -1)]
    assert store.newest("n/", 5, before="n/") == [] and store.newest("x/", 5) == []
    assert [k for k, _ in store.newest("n", 3)] == ["nx0/y", "nx", "n/029"]
    assert [k for k, _ in store.newest("nx", 5)] == ["nx0/y", "nx"]  # the prefix itself is a key here
    assert [k for k, _ in store.newest("nx", 5, before="nx0/y")] == ["nx"]


def test_turns_are_read_in_pages_newest_first_one_ordered_read_each(store: Store) -> None:
    conversations = ConversationStore(store)
    conv = conversations.new_conversation_id()
    ids = [conversations.append_turn("s", "u", conv, {"message": str(i)}) for i in range(7)]
    counting = CountingStore(store)
    reader = ConversationStore(counting)
    pages, before = [], None
    while True:
        turns, before = reader.turns_page("s", "u", conv, before=before, limit=3)
        pages.append([t["turn_id"] for t in turns])
        if before is None:
            break
    assert pages == [ids[6:3:-1], ids[3:0:-1], ids[0:1]]
    assert counting.calls["newest"] == 3 and counting.calls["get"] == 0
    assert reader.turns_page("s", "u", conv, before=ids[0], limit=3) == ([], None)
