"""Apps function latency: warm cache hit, cache-miss overhead, and a cold cache hit from process start.

* warm hit: one FC HTTP event through ``handler`` in a warm process, median of 300;
* miss overhead: handler wall time minus the upstream time in the run log, for distinct
  inputs against the emulator (instant replies), p50 and p95 over 100;
* cold hit: a fresh interpreter that imports ``functions/apps/index.py`` and serves one
  cached request, timed from spawn to its answer, median of 10 — once as shipped, and
  once with ``import dashscope`` on the path (the baseline a naive handler would pay);
* App7 by id: the customer loader (``catalogue/customer.py``) (customer, visits, purchases, clues with follow-ups,
  staff) plus the prompt build, for every customer of 3 sites, on PostgreSQL (a throwaway local
  cluster over loopback TCP, the function's login, RLS on) beside the embedded dataset (file
  store) measured in the same run; target PostgreSQL p95 ≤ 15 ms.

    python bench/apps.py [--only app7]
    python bench/apps.py --baseline-tree /tmp/base [--rounds 3]

With ``--baseline-tree`` (an earlier commit's worktree, in its own venv: _trees.py) it prints
instead, for both trees in paired alternating rounds, the warm cache hit p50 on the file store and
on ``oss://`` (the repo's OSS-protocol server) and the store operations of one hit.
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "shared"))

from bailian_fc.apps import function as apps_function  # noqa: E402
from bailian_fc.apps.function import AppsFunction  # noqa: E402
from bailian_fc.auth import Authenticator  # noqa: E402
from bailian_fc.catalogue.registry import CATALOGUE  # noqa: E402
from bailian_fc.settings import Settings  # noqa: E402
from bailian_fc.store import FileStore  # noqa: E402
from bailian_fc_tools.emulator import EmulatorThread  # noqa: E402
from bailian_fc_tools.local.fc_context import fake_context  # noqa: E402

SECRET = "bench-secret-0123456789abcdefghijklmnop"
NOTE = {"note": "王先生下周想带同事团建，要三个包厢，问能不能打折。"}

CHILD = r"""
import json, sys, time
sys.path[:0] = [sys.argv[1], sys.argv[2]]
if sys.argv[3] == "with-dashscope":
    import dashscope  # noqa: F401  -- what an eager `from dashscope import Application` costs
import index
out = index.handler(sys.stdin.buffer.read(), None)
heavy = sorted(m for m in ("dashscope", "httpx", "anyio", "boto3", "oss2", "starlette", "cryptography")
               if m in sys.modules)
print(json.dumps({"status": out["statusCode"], "heavy": heavy}))
"""


def event(path: str, body: dict | None, token: str) -> bytes:
    raw = json.dumps(body).encode() if body is not None else b""
    return json.dumps(
        {
            "version": "v1",
            "rawPath": path,
            "headers": {"Authorization": f"Bearer {token}"},
            "queryParameters": {},
            "body": base64.b64encode(raw).decode(),
            "isBase64Encoded": True,
            "requestContext": {"requestId": "bench", "http": {"method": "POST", "path": path}},
        }
    ).encode()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))], 3)


def app7_by_id(passes: int = 5, days: int = 120, clues: int = 40) -> dict[str, object]:
    import psycopg

    from bailian_fc.apps.service import AppsService
    from bailian_fc.catalogue.inputs import CustomerRef
    from bailian_fc.clock import SandboxClock
    from bailian_fc.venue.embedded import EmbeddedVenueData
    from bailian_fc.venue.postgres import PostgresVenueData
    from bailian_fc_tools.db.migrations import migrate
    from bailian_fc_tools.db.pg_writer import PostgresWriter
    from bailian_fc_tools.db.pgtemp import TempCluster
    from bailian_fc_tools.demo.finance import generate

    app7 = CATALOGUE["app7_customer_insight"]
    assert app7.prompt is not None
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp, TempCluster() as cluster:
        store = FileStore(tmp)
        settings = Settings(store_url=f"file://{tmp}", auth_jwt_secret=SECRET)
        clock = SandboxClock.from_settings(store, settings)
        end = clock.business_date()
        generate(store, sites=3, days=days, end=end, clues=clues)
        with psycopg.connect(cluster.url(), autocommit=True) as admin:
            migrate(admin, ROOT / "db" / "migrations")
            admin.execute("CREATE ROLE bench_reader LOGIN IN ROLE bailian_ai_read")
            generate(PostgresWriter(admin), sites=3, days=days, end=end, clues=clues)
            admin.execute("VACUUM ANALYZE")
        pg = PostgresVenueData(cluster.url("bench_reader"))
        for name, venue in (("embedded", EmbeddedVenueData(store)), ("postgresql", pg)):
            service = AppsService(settings, store, clock, venue=venue)
            refs = [
                (site, CustomerRef(customer_id=c.customer_id))
                for site in ("site-001", "site-002", "site-003")
                for c in venue.customers(site, upper_bound=end, limit=100)[0]
            ]
            times = []
            for _ in range(passes):
                for site, ref in refs:
                    started = time.perf_counter()
                    app7.prompt(ref, service.context.load(app7, ref, site))
                    times.append((time.perf_counter() - started) * 1000)
            results[name] = {"n": len(times), "p50": pct(times, 50), "p95": pct(times, 95)}
        pg.close()
    base, pgr = results["embedded"], results["postgresql"]
    assert isinstance(base, dict) and isinstance(pgr, dict)
    return {
        **results,
        "ratio_postgresql_over_embedded_p95": round(pgr["p95"] / base["p95"], 3),
        "target_p95_ms": 15,
        "postgresql_meets_target": pgr["p95"] <= 15,
        # Round trips on a loaded host queue behind other processes: say how loaded it was.
        "host": {"cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)},
    }


def compare_trees(baseline: str, rounds: int) -> dict[str, object]:
    import _trees
    from _common import child, free_port

    trees = [_trees.this_tree(), _trees.baseline_tree(baseline)]
    emu_port = free_port()
    env = {
        "DASHSCOPE_API_KEY": "bench",
        "DASHSCOPE_BASE_URL": f"http://127.0.0.1:{emu_port}/api/v1",
        "BAILIAN_APP_ID_APP6_NOTE_ANALYSIS": "emu-app6_note_analysis",
        "AUTH_JWT_SECRET": SECRET,
        "LOG_LEVEL": "warning",
        **_trees.OSS_CREDENTIALS,
    }
    with (
        tempfile.TemporaryDirectory() as tmp,
        _trees.oss_server() as endpoint,
        child(
            ["-m", "bailian_fc_tools.cli", "emulator", "--port", str(emu_port)],
            f"http://127.0.0.1:{emu_port}/_emulator/health",
        ),
    ):

        def measure(tree: _trees.Tree, r: int) -> dict[str, object]:
            stores = {
                "file": f"file://{tmp}/{tree.name}-{r}",
                "oss": _trees.oss_url(endpoint, f"{tree.name}-{r}"),
            }
            return {
                name: tree.run_probe("apps-hit", {**env, "STORE_URL": url}) for name, url in stores.items()
            }

        return {"baseline_tree": baseline, **_trees.compare(trees, rounds, measure)}


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["app7"], help="run only the App7-by-id measurement")
    parser.add_argument("--baseline-tree", help="a git worktree of an earlier commit to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.baseline_tree:
        print(json.dumps(compare_trees(args.baseline_tree, args.rounds), indent=2))
        return
    if args.only == "app7":
        print(json.dumps({"app7_by_id_read_and_prompt_ms": app7_by_id()}, indent=2))
        return
    for key in CATALOGUE:
        os.environ[f"BAILIAN_APP_ID_{key.upper()}"] = f"emu-{key}"
    token = Authenticator(SECRET, "bailian-fc", "bailian-fc").mint("bench", "site-001", "manager")
    with tempfile.TemporaryDirectory() as tmp, EmulatorThread() as emu:
        settings = Settings(
            dashscope_api_key="bench",
            dashscope_base_url=emu.base_url,
            store_url=f"file://{tmp}",
            auth_jwt_secret=SECRET,
        )
        runtime = AppsFunction.build(settings, FileStore(tmp))
        apps_function.configure(runtime)
        hit_event = event("/apps/app6_note_analysis", NOTE, token)
        assert apps_function.handler(hit_event, fake_context())["statusCode"] == 200  # the miss that fills it

        warm = []
        for _ in range(300):
            started = time.perf_counter()
            apps_function.handler(hit_event, fake_context())
            warm.append((time.perf_counter() - started) * 1000)

        overhead = []
        for i in range(100):
            started = time.perf_counter()
            apps_function.handler(
                event("/apps/app6_note_analysis", {"note": f"第{i}条笔记：客人想办卡"}, token), fake_context()
            )
            total = (time.perf_counter() - started) * 1000
            records = [runtime.store.get_json(k) for k in runtime.store.list("runlogs/")]
            last = max(records, key=lambda r: r["id"])
            overhead.append(total - (last["latency_ms"]["upstream"] or 0))
        runtime.service.upstream.close()
        apps_function.configure(None)

        cold = {variant: cold_hit(tmp, hit_event, variant) for variant in ("as-shipped", "with-dashscope")}
    floors = {
        "bare_interpreter": spawn_ms("pass"),
        "pydantic_one_model": spawn_ms("from pydantic import BaseModel\nclass M(BaseModel):\n    x: int"),
    }
    result = {
        "warm_hit_ms": {"p50": pct(warm, 50), "p99": pct(warm, 99)},
        "miss_overhead_ms": {"p50": pct(overhead, 50), "p95": pct(overhead, 95), "target_p50": 5},
        "cold_hit_ms": {k: v["median_ms"] for k, v in cold.items()},
        "cold_hit_heavy_modules": {k: v["heavy"] for k, v in cold.items()},
        "cold_hit_target_ms": 150,
        "floor_ms": floors,
        "cold_hit_ratio_vs_dashscope_on_path": round(
            cold["as-shipped"]["median_ms"] / cold["with-dashscope"]["median_ms"], 3
        ),
        "app7_by_id_read_and_prompt_ms": app7_by_id(),
    }
    print(json.dumps(result, indent=2))


def spawn_ms(code: str) -> float:
    """Median spawn-to-exit time of ``python -c code``: the floors a cold start cannot beat."""
    times = []
    for _ in range(10):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def cold_hit(store_dir: str, hit_event: bytes, variant: str) -> dict[str, object]:
    env = {
        **os.environ,
        "STORE_URL": f"file://{store_dir}",
        "AUTH_JWT_SECRET": SECRET,
        "DASHSCOPE_API_KEY": "bench",
    }
    times, heavy = [], []
    for _ in range(10):
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(ROOT / "functions" / "apps"), str(ROOT / "shared"), variant],
            input=hit_event,
            capture_output=True,
            env=env,
            check=True,
        )
        times.append((time.perf_counter() - started) * 1000)
        answer = json.loads(out.stdout)
        assert answer["status"] == 200, out.stderr
        heavy = answer["heavy"]
    return {"median_ms": round(statistics.median(times), 1), "heavy": heavy}


if __name__ == "__main__":
    main()
