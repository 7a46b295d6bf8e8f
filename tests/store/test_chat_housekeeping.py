"""Conversation housekeeping on every adapter: orphans, lost index entries, tombstones, retention."""

from __future__ import annotations

from typing import Any

from bailian_fc.chat.conversations import ConversationStore
from bailian_fc.chat.housekeeping import sweep_conversations
from bailian_fc.store import Store

T0 = 1_700_000_000.0
LEASE = 600.0
S, U = "site-001", "user-1"


def at(store: Store, when: float) -> ConversationStore:
    return ConversationStore(store, clock=lambda: when, turn_lease=LEASE)


def finished(conversations: ConversationStore, message: str) -> str:
    """A conversation with one answered turn, written the way the chat service writes it."""
    conv = conversations.new_conversation_id()
    turn_id, meta = conversations.begin_turn(S, U, conv, {"message": message}, title=message)
    now = conversations.clock()
    record = {"turn_id": turn_id, "message": message, "answer": "好", "created_at": now, "finished_at": now}
    conversations.finish_turn(S, U, conv, record, title=message, created_at=None, previous=meta)
    return conv


def sweep(store: Store, now: float, **kw: Any) -> dict[str, int]:
    total: dict[str, int] = {}
    cursor: str | None = None
    while True:
        counts, cursor = sweep_conversations(store, now=now, cursor=cursor, turn_lease=LEASE, **kw)
        for name, n in counts.items():
            total[name] = total.get(name, 0) + n
        if cursor is None:
            return total


def test_an_orphaned_answered_turn_is_adopted_and_a_bare_question_removed_once_the_lease_passed(
    store: Store,
) -> None:
    old = at(store, T0)
    answered, asked = old.new_conversation_id(), old.new_conversation_id()
    # As older releases left them: a finished turn whose meta write never happened ...
    old.append_turn(S, U, answered, {"message": "会员卡怎么办？", "answer": "前台办理", "created_at": T0})
    # ... and a question whose turn was killed before its conversation's meta (no upstream call made).
    old.begin_turn(S, U, asked, {"message": "在吗", "created_at": T0}, title=None)

    assert sweep(store, T0 + 10) == {}  # young: their writers may still be running
    assert len(store.list(f"chat/{S}/{U}/turns/")) == 2

    counts = sweep(store, T0 + LEASE + 1)
    assert counts == {"adopted": 1, "orphans_removed": 1}
    reader = at(store, T0 + LEASE + 1)
    assert [m["conversation_id"] for m in reader.list_conversations(S, U)] == [answered]
    meta = reader.get_meta(S, U, answered) or {}
    assert meta["title"] == "会员卡怎么办？" and meta["created_at"] == T0
    assert store.list(f"chat/{S}/{U}/turns/{asked}/") == []
    assert sweep(store, T0 + LEASE + 2) == {}  # idempotent: nothing left to do


def test_meta_without_an_index_entry_is_indexed(store: Store) -> None:
    conversations = at(store, T0)
    ids = [finished(conversations, f"问题{i}") for i in range(3)]
    for key in store.list(f"chat/{S}/{U}/recent/"):
        if ids[0] in key:
            store.delete(key)
    assert sweep(store, T0 + 1) == {"reindexed": 1}
    assert len(store.list(f"chat/{S}/{U}/recent/")) == 3
    listed = at(store, T0 + 1).list_conversations(S, U, limit=3)
    assert {m["conversation_id"] for m in listed} == set(ids)


def test_a_killed_delete_is_finished_and_its_tombstone_dropped_after_the_lease(store: Store) -> None:
    conversations = at(store, T0)
    keep, gone = finished(conversations, "留下"), finished(conversations, "删掉")
    conversations.claims.claim(conversations._tombstone(S, U, gone), data={"deleted_at": T0})  # killed here
    assert sweep(store, T0 + 1) == {"index_removed": 1, "deleted_rest": 1}  # index first: key order
    assert [k for k in store.list("chat/") if gone in k and "/tombstones/" not in k] == []
    assert conversations.is_deleted(S, U, gone)  # a turn may still be streaming: keep it deleted
    assert sweep(store, T0 + LEASE + 1) == {"tombstones_removed": 1}
    assert [k for k in store.list("chat/") if gone in k] == []
    assert [m["conversation_id"] for m in at(store, T0 + LEASE + 1).list_conversations(S, U)] == [keep]


def test_a_stale_provisional_index_entry_is_removed(store: Store) -> None:
    conversations = at(store, T0)
    conv = conversations.new_conversation_id()
    conversations.begin_turn(S, U, conv, {"message": "一"}, title="一")
    store.delete(conversations._meta_key(S, U, conv))  # as if killed between the entry and meta
    assert at(store, T0 + 1).list_conversations(S, U) == []  # never listed without meta
    assert sweep(store, T0 + 1) == {}
    assert sweep(store, T0 + LEASE + 1) == {"index_removed": 1, "orphans_removed": 1}
    assert store.list("chat/") == []


def test_retention_removes_conversations_not_updated_for_that_long(store: Store) -> None:
    day = 86_400.0
    stale = finished(at(store, T0), "去年的问题")
    fresh = finished(at(store, T0 + 300 * day), "今年的问题")
    assert sweep(store, T0 + 400 * day) == {}  # no period set: turns are kept
    assert sweep(store, T0 + 400 * day, retention_seconds=365 * day) == {"expired": 1}
    reader = at(store, T0 + 400 * day)
    assert [m["conversation_id"] for m in reader.list_conversations(S, U)] == [fresh]
    assert reader.get_meta(S, U, stale) is None
    assert [k for k in store.list("chat/") if stale in k and "/tombstones/" not in k] == []


def test_each_call_is_bounded_and_resumes_from_its_cursor(store: Store) -> None:
    conversations = at(store, T0)
    for i in range(6):
        finished(conversations, f"问题{i}")
    for key in store.list(f"chat/{S}/{U}/recent/"):
        store.delete(key)
    calls, cursor, total = 0, None, 0
    while True:
        counts, cursor = sweep_conversations(store, now=T0 + 1, budget=4, cursor=cursor, turn_lease=LEASE)
        calls += 1
        total += counts.get("reindexed", 0)
        assert counts.get("reindexed", 0) <= 4  # at most one action per key examined
        if cursor is None:
            break
    assert calls >= 3 and total == 6  # 6 meta keys and 6 turn directories at least, 4 keys a call
    assert len(store.list(f"chat/{S}/{U}/recent/")) == 6


def test_the_settings_set_the_lease_and_the_retention_period(store: Store, tmp_path: Any) -> None:
    from bailian_fc.chat.housekeeping import sweep_with_settings
    from bailian_fc.settings import Settings

    day = 86_400.0
    finished(at(store, T0), "旧")
    keep = Settings(store_url=f"file://{tmp_path}", chat_turn_lease_seconds=LEASE)
    assert sweep_with_settings(store, keep, now=T0 + 1000 * day) == ({}, None)  # 0 days: kept
    expire = Settings(
        store_url=f"file://{tmp_path}", chat_turn_lease_seconds=LEASE, chat_turn_retention_days=30
    )
    assert sweep_with_settings(store, expire, now=T0 + 31 * day) == ({"expired": 1}, None)
