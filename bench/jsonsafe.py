"""What the bounded JSON parser costs over plain ``json.loads``, as JSON on stdout.

Why: every body, token and cursor now goes through ``bailian_fc.jsonsafe.loads`` (number hooks,
a depth walk when the text could nest deeply). This measures it on the shapes the functions see,
against ``json.loads`` on the same bytes in the same run (the baseline).

    python bench/jsonsafe.py           # N=2000 parses per shape
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from bailian_fc import jsonsafe

SHAPES: dict[str, bytes] = {
    "chat body": json.dumps({"message": "今晚八点还有包厢吗？" * 10, "context": {"page": "home"}}).encode(),
    "token claims": json.dumps(
        {
            "sub": "u-1",
            "site_id": "site-001",
            "role": "staff",
            "iss": "bailian-fc",
            "aud": "bailian-fc",
            "iat": 1795885304,
            "exp": 1795928504,
        }
    ).encode(),
    "apps body (60 KB, 1,500 numbers)": json.dumps(
        {
            "customer_id": "cu-1",
            "purchases": [{"date": "2026-10-01", "amount": 200.5, "items": [1, 2, 3]} for _ in range(300)],
            "note": "x" * 40000,
        }
    ).encode(),
}


def per_call_us(fn: Callable[[bytes], Any], raw: bytes, n: int) -> float:
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n // 5):
            fn(raw)
        samples.append((time.perf_counter() - start) / (n // 5) * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    n = parser.parse_args().n
    results = {}
    for name, raw in SHAPES.items():
        base = per_call_us(json.loads, raw, n)
        ours = per_call_us(jsonsafe.loads, raw, n)
        results[name] = {
            "bytes": len(raw),
            "json_loads_us": round(base, 2),
            "jsonsafe_us": round(ours, 2),
            "ratio": round(ours / base, 2),
        }
    print(
        json.dumps(
            {"bench": "jsonsafe", "n": n, "baseline": "json.loads on the same bytes", "results": results},
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
