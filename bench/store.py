"""Per-operation latency of each store adapter, offline, as JSON on stdout.

Why: the adapters share one contract but not one cost. This shows what a put, get,
create-only put or listing costs on the file store, on S3 (moto's in-process server), on
OSS (tests/store/oss_server.py) and on Tablestore (tests/store/ots_server.py, the real
``tablestore`` SDK), and how far each network adapter is from the file baseline. The
servers run in this process on 127.0.0.1, so the numbers are client + protocol overhead on
loopback, not cloud latency.

Two read paths of the chat function are measured too: a user's 50 newest conversations
(of 200) and a conversation's last 20 turns (of 100), with the requests each one sends:
Tablestore serves each with one ordered range read, object stores list keys and then GET
each record (1 + N).

    python bench/store.py            # N=200 ops per operation per adapter
    python bench/store.py --n 50
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))  # works without `pip install -e .`
from bailian_fc.chat.conversations import ConversationStore
from bailian_fc.store import FileStore, Store, open_store

ROOT = Path(__file__).resolve().parents[1]

OPS = ("put", "get", "put_if_absent", "list")
READS = ("newest_50_conversations", "last_20_turns")
VALUE = os.urandom(512)
LIST_KEYS = 100  # keys under the listed prefix
CONVERSATIONS, TURNS = 200, 100  # the user behind the read paths


def _load_test_module(name: str) -> ModuleType:
    """The protocol test servers live with the tests; load them by path rather than ship them."""
    path = ROOT / "tests" / "store" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _offline_env() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "bench",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "bench",
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    for name in (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
    ):
        os.environ.pop(name, None)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("tablestore").setLevel(logging.ERROR)  # "native codec not available" on import


@contextmanager
def _stores() -> Iterator[tuple[dict[str, Store], dict[str, Callable[[], int]]]]:
    """A fresh store per adapter and a request counter per network adapter; servers live as long."""
    import boto3
    from moto.server import ThreadedMotoServer

    _load_test_module("loopback")
    oss_server = _load_test_module("oss_server").OssServer().start()
    _load_test_module("plainbuffer")
    _load_test_module("ots_state")
    ots_server = _load_test_module("ots_server").OtsServer().start()
    ots_server.secrets["bench"] = "bench"
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    moto_url = "http://{}:{}".format(*moto.get_host_and_port())
    bucket = f"bench-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1").create_bucket(Bucket=bucket)
    oss_server.create_bucket(bucket)
    with tempfile.TemporaryDirectory(prefix="store-bench-") as tmp:
        stores = {
            "file": FileStore(tmp),
            "s3": open_store(f"s3://{bucket}/bench?endpoint_url={moto_url}&region=us-east-1"),
            "oss": open_store(f"oss://{bucket}/bench?endpoint={oss_server.endpoint}"),
            "ots": open_store(f"ots://{ots_server.instance}/bench/bench?endpoint={ots_server.endpoint}"),
        }
        from bailian_fc.store.ots import create_table

        create_table(stores["ots"])  # type: ignore[arg-type]
        s3_sent = [0]
        stores["s3"]._client.meta.events.register(  # type: ignore[attr-defined]
            "before-send.s3", lambda **_: s3_sent.__setitem__(0, s3_sent[0] + 1)
        )
        counters = {
            "s3": lambda: s3_sent[0],
            "oss": lambda: int(oss_server.request_count),
            "ots": lambda: int(ots_server.request_count),
        }
        try:
            yield stores, counters
        finally:
            for store in stores.values():
                store.close()
            moto.stop()
            oss_server.stop()
            ots_server.stop()


def _timed(n: int, op: Callable[[int], object]) -> list[float]:
    samples = []
    for i in range(n):
        started = time.perf_counter()
        op(i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _measure(store: Store, n: int) -> dict[str, dict[str, float]]:
    for i in range(5):  # warm up connections and lazily built server state
        store.put(f"warm/{i}", VALUE)
        store.get(f"warm/{i}")
    for i in range(LIST_KEYS):
        store.put(f"listed/{i:04d}", VALUE)
    samples = {
        "put": _timed(n, lambda i: store.put(f"put/{i:05d}", VALUE)),
        "get": _timed(n, lambda i: store.get(f"put/{i:05d}")),
        "put_if_absent": _timed(n, lambda i: store.put_if_absent(f"claim/{i:05d}", VALUE)),
        "list": _timed(n, lambda i: store.list_page("listed/")),
    }
    return {op: _summary(values) for op, values in samples.items()}


def _measure_reads(store: Store, n: int, sent: Callable[[], int] | None) -> dict[str, dict[str, float]]:
    """The chat function's read paths on a user with 200 conversations, one of them 100 turns long."""
    ticks = iter(range(10**9))
    conversations = ConversationStore(store, clock=lambda: 1_700_000_000.0 + next(ticks))
    convs = [conversations.new_conversation_id() for _ in range(CONVERSATIONS)]
    for conv in convs:
        conversations.touch("site-1", "user-1", conv, title="包厢怎么订？", last_turn_id="t")
    for i in range(TURNS):
        conversations.append_turn("site-1", "user-1", convs[0], {"message": f"第{i}条", "answer": "好" * 200})
    calls = {
        "newest_50_conversations": lambda i: conversations.list_conversations("site-1", "user-1", limit=50),
        "last_20_turns": lambda i: conversations.list_turns("site-1", "user-1", convs[0], last=20),
    }
    out = {}
    for name, call in calls.items():
        assert len(call(0)) == (50 if name.startswith("newest") else 20)  # also warms up
        before = sent() if sent else 0
        samples = _timed(n, call)
        per_call = (sent() - before) / n if sent else None
        out[name] = {**_summary(samples), "requests_per_call": per_call}
    return out


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p90_ms": round(ordered[int(0.9 * len(ordered))], 3),
    }


def run(n: int) -> dict[str, Any]:
    _offline_env()
    started = time.perf_counter()
    with _stores() as (stores, counters):
        results = {
            name: {**_measure(store, n), **_measure_reads(store, max(5, n // 10), counters.get(name))}
            for name, store in stores.items()
        }
    base = results["file"]
    ratios = {
        name: {op: round(res[op]["median_ms"] / max(base[op]["median_ms"], 1e-6), 1) for op in OPS + READS}
        for name, res in results.items()
        if name != "file"
    }
    return {
        "n_per_op": n,
        "n_per_read_path": max(5, n // 10),
        "value_bytes": len(VALUE),
        "list_keys": LIST_KEYS,
        "read_paths": f"{CONVERSATIONS} conversations, list the newest 50; one of {TURNS} turns, read the last 20",
        "median_ms": {
            name: {op: res[op]["median_ms"] for op in OPS + READS} for name, res in results.items()
        },
        "p90_ms": {name: {op: res[op]["p90_ms"] for op in OPS + READS} for name, res in results.items()},
        "requests_per_call": {
            name: {op: res[op]["requests_per_call"] for op in READS}
            for name, res in results.items()
            if name != "file"
        },
        "ratio_vs_file": ratios,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "wall_s": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="operations per kind per adapter")
    print(json.dumps(run(parser.parse_args().n), indent=2))


if __name__ == "__main__":
    main()
