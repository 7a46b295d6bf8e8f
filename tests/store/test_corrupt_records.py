"""One truncated record never stops a read or a sweep: it is left out, counted and passed."""

from __future__ import annotations

from bailian_fc.chat.conversations import ConversationStore
from bailian_fc.chat.housekeeping import sweep_conversations
from bailian_fc.store import Store

T0 = 1_700_000_000.0
LEASE = 600.0
S, U = "site-001", "user-1"


def _conversation(conversations: ConversationStore, message: str) -> str:
    conv = conversations.new_conversation_id()
    turn_id, meta = conversations.begin_turn(S, U, conv, {"message": message}, title=message)
    record = {"turn_id": turn_id, "message": message, "answer": "好", "created_at": T0, "finished_at": T0}
    conversations.finish_turn(S, U, conv, record, title=message, created_at=None, previous=meta)
    return conv


def _truncate(store: Store, key: str) -> None:
    raw = store.get(key) or b"{}"
    store.put(key, raw[: len(raw) // 2])


def test_a_truncated_turn_is_skipped_by_the_page_and_counted(store: Store) -> None:
    conversations = ConversationStore(store, clock=lambda: T0, turn_lease=LEASE)
    conv = _conversation(conversations, "第一问")
    turn_keys = conversations.turn_keys(S, U, conv)
    _truncate(store, turn_keys[0])

    skipped: list[str] = []
    turns, cursor = conversations.turns_page(S, U, conv, before=None, limit=10, skipped=skipped)
    assert turns == [] and cursor is None and skipped == [turn_keys[0]]
    assert conversations.list_turns(S, U, conv) == []


def test_a_truncated_index_entry_is_left_out_of_the_listing(store: Store) -> None:
    conversations = ConversationStore(store, clock=lambda: T0, turn_lease=LEASE)
    kept, broken = _conversation(conversations, "留下"), _conversation(conversations, "坏了")
    entry = next(k for k in store.list(f"chat/{S}/{U}/recent/") if k.endswith(f"-{broken}.json"))
    _truncate(store, entry)

    skipped: list[str] = []
    listed = conversations.list_conversations(S, U, 10, skipped_keys=skipped)
    assert kept in [m["conversation_id"] for m in listed] and skipped == [entry]


def test_a_truncated_meta_reads_as_missing_not_as_an_error(store: Store) -> None:
    conversations = ConversationStore(store, clock=lambda: T0, turn_lease=LEASE)
    conv = _conversation(conversations, "元数据")
    _truncate(store, f"chat/{S}/{U}/meta/{conv}.json")
    assert conversations.get_meta(S, U, conv) is None


def test_the_sweep_moves_past_a_truncated_orphan_turn_and_names_it(store: Store) -> None:
    conversations = ConversationStore(store, clock=lambda: T0, turn_lease=LEASE)
    orphan = conversations.new_conversation_id()
    conversations.append_turn(S, U, orphan, {"message": "孤儿", "answer": "嗯", "created_at": T0})
    (bad,) = conversations.turn_keys(S, U, orphan)
    _truncate(store, bad)
    _conversation(conversations, "后面的")

    cursor: str | None = None
    positions: list[str] = []
    skipped = 0
    for _ in range(100):  # one key per call: every resume point is saved and moves forward
        counts, cursor = sweep_conversations(
            store, now=T0 + LEASE + 1, budget=1, cursor=cursor, turn_lease=LEASE
        )
        skipped += counts.get("skipped", 0)
        if cursor is None:
            break
        positions.append(cursor)
    assert cursor is None, "the sweep finished"
    assert skipped == 1
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    # The next cycle passes it again without stopping (the record stays for an operator to look at).
    counts, cursor = sweep_conversations(store, now=T0 + LEASE + 2, budget=10_000, turn_lease=LEASE)
    assert cursor is None and counts.get("skipped") == 1


def test_the_conversation_listing_pages_with_a_cursor_past_the_newest_page(store: Store) -> None:
    made = []
    for n in range(5):
        conversations = ConversationStore(store, clock=lambda n=n: T0 + n, turn_lease=LEASE)
        made.append(_conversation(conversations, f"第{n}个"))
    reader = ConversationStore(store, clock=lambda: T0 + 10, turn_lease=LEASE)
    pages: list[list[str]] = []
    before = ""
    for _ in range(10):
        cursor: list[str] = []
        page = reader.list_conversations(S, U, 2, before=before, cursor=cursor)
        pages.append([m["conversation_id"] for m in page])
        if not cursor:
            break
        before = cursor[-1]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [c for p in pages for c in p] == list(reversed(made))  # newest first, each once
