"""Reading a conversation a page at a time, and the writes a turn now makes before its first byte.

Why: ``GET /chat/conversations/{id}`` used to return every turn (1.9 MB at 150 turns); it now
answers one page (20 turns, newest first) with one ordered read. This prints, on the file store,
for a short conversation (the baseline, measured in the same run) and a long one:

* the first page's read time (p50/p95) and body size, and the long/short ratio;
* the old whole read's time and body size on the long conversation, for comparison;
* ``begin_turn`` (the pending question, plus a new conversation's index entry and meta), which now
  precedes the ``meta`` event, against one plain create-only put (the floor of any durable write).

    python bench/chat_pages.py              # 20 vs 1000 turns, 200 reads each
    python bench/chat_pages.py --long 300 --n 50
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))  # works without `pip install -e .`
from bailian_fc.chat.conversations import ConversationStore
from bailian_fc.store import FileStore, dump_json

ANSWER = "本店周末营业到凌晨两点，包厢需提前预订。" * 40  # ~800 characters, a typical stored reply


def timed(fn: Callable[[], Any], n: int) -> dict[str, float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 3), "p95_ms": round(samples[int(0.95 * (n - 1))], 3)}


def conversation(store: ConversationStore, turns: int) -> str:
    conv = store.new_conversation_id()
    for i in range(turns):
        store.append_turn("s", "u", conv, {"message": f"问题{i}", "answer": ANSWER, "created_at": float(i)})
    return conv


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--short", type=int, default=20)
    parser.add_argument("--long", type=int, default=1000)
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = ConversationStore(FileStore(Path(tmp) / "store"))
        short, long = conversation(store, args.short), conversation(store, args.long)

        def page(conv: str) -> bytes:
            turns, next_before = store.turns_page("s", "u", conv, before=None, limit=20)
            return dump_json({"turns": turns, "next_before": next_before})

        def whole(conv: str) -> bytes:
            return dump_json({"turns": store.list_turns("s", "u", conv)})

        sizes = {"short": len(page(short)), "long": len(page(long)), "whole_long": len(whole(long))}
        base = timed(lambda: page(short), args.n)
        paged = timed(lambda: page(long), args.n)
        old = timed(lambda: whole(long), max(5, args.n // 20))
        raw = FileStore(Path(tmp) / "raw")
        counter = iter(range(10**9))
        put = timed(lambda: raw.put_if_absent(f"k/{next(counter)}.json", b'{"message":"q"}'), args.n)
        begin_new = timed(
            lambda: store.begin_turn("s", "b", store.new_conversation_id(), {"message": "q"}, title="q"),
            args.n,
        )
        begin_next = timed(lambda: store.begin_turn("s", "b", short, {"message": "q"}, title=None), args.n)
    print(
        json.dumps(
            {
                "store": "file",
                "turns": {"short": args.short, "long": args.long},
                "first_page": {
                    "short (baseline)": {**base, "bytes": sizes["short"]},
                    "long": {**paged, "bytes": sizes["long"]},
                    "ratio_p95_long_vs_short": round(paged["p95_ms"] / base["p95_ms"], 2),
                },
                "whole_long_conversation_as_before": {**old, "bytes": sizes["whole_long"]},
                "before_meta_event": {
                    "one create-only put (baseline)": put,
                    "begin_turn, new conversation (3 writes)": begin_new,
                    "begin_turn, existing conversation (1 write)": begin_next,
                },
            },
            indent=2,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
