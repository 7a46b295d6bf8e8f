"""Per-operation latency of each store adapter, offline, as JSON on stdout.

Why: the adapters share one contract but not one cost. This shows what a put, get,
create-only put or listing costs on the file store, on S3 (moto's in-process server) and
on OSS (the OSS-protocol test server from tests/store/oss_server.py), and how far each
network adapter is from the file baseline. Both servers run in this process on 127.0.0.1,
so the numbers are client + protocol overhead on loopback, not cloud latency.

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
from bailian_fc.store import FileStore, Store, open_store

ROOT = Path(__file__).resolve().parents[1]

OPS = ("put", "get", "put_if_absent", "list")
VALUE = os.urandom(512)
LIST_KEYS = 100  # keys under the listed prefix


def _load_oss_server() -> ModuleType:
    """The OSS test server lives with the tests; load it by path rather than ship it."""
    path = ROOT / "tests" / "store" / "oss_server.py"
    spec = importlib.util.spec_from_file_location("oss_server", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["oss_server"] = module  # dataclasses look their module up while the class is built
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


@contextmanager
def _stores() -> Iterator[dict[str, Store]]:
    """A fresh store per adapter; the servers live as long as the context."""
    import boto3
    from moto.server import ThreadedMotoServer

    oss_server = _load_oss_server().OssServer().start()
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
        }
        try:
            yield stores
        finally:
            for store in stores.values():
                store.close()
            moto.stop()
            oss_server.stop()


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


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p90_ms": round(ordered[int(0.9 * len(ordered))], 3),
    }


def run(n: int) -> dict[str, Any]:
    _offline_env()
    started = time.perf_counter()
    with _stores() as stores:
        results = {name: _measure(store, n) for name, store in stores.items()}
    base = results["file"]
    ratios = {
        name: {op: round(res[op]["median_ms"] / max(base[op]["median_ms"], 1e-6), 1) for op in OPS}
        for name, res in results.items()
        if name != "file"
    }
    return {
        "n_per_op": n,
        "value_bytes": len(VALUE),
        "list_keys": LIST_KEYS,
        "median_ms": {name: {op: res[op]["median_ms"] for op in OPS} for name, res in results.items()},
        "p90_ms": {name: {op: res[op]["p90_ms"] for op in OPS} for name, res in results.items()},
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
