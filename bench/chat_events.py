"""What a chat ``delta`` frame costs through its model (``chat/events.py``), as JSON on stdout.

Why: every upstream increment becomes one ``delta`` frame, so building it must not add pydantic
validation per increment. Baseline (same run): the hand-built frame the server wrote before,
``json.dumps({"text": ...})`` in an f-string. Measured: a validated ``Delta(text=...)`` written by
pydantic-core's compiled serializer (what the server does), and the same model built without
validation (``model_construct``, Python-level), which turned out slower.

    python bench/chat_events.py          # N=50000 frames of a 12-character Chinese increment
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from bailian_fc.chat.events import Delta

TEXT = "今晚八点还有包厢吗？好的"


def hand_built(text: str) -> bytes:
    payload = json.dumps({"text": text}, ensure_ascii=False, separators=(",", ":"))
    return f"event: delta\ndata: {payload}\n\n".encode()


def constructed(text: str) -> bytes:
    return Delta.model_construct(text=text).frame()


def validated(text: str) -> bytes:
    return Delta(text=text).frame()


def per_frame_us(fn: Callable[[str], bytes], n: int, repeats: int = 5) -> float:
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n):
            fn(TEXT)
        runs.append((time.perf_counter() - start) / n * 1e6)
    return round(statistics.median(runs), 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=50000)
    n = parser.parse_args().n
    assert hand_built(TEXT) == constructed(TEXT) == validated(TEXT), "the model writes the same bytes"
    baseline = per_frame_us(hand_built, n)
    results = {
        name: per_frame_us(fn, n) for name, fn in (("model_construct", constructed), ("validated", validated))
    }
    print(
        json.dumps(
            {
                "bench": "chat delta frame",
                "n": n,
                "us_per_frame": {"baseline_hand_built_json_dumps": baseline, **results},
                "ratio_to_baseline": {k: round(v / baseline, 2) for k, v in results.items()},
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
