"""Cold start per function: a fresh interpreter, from process start to the first response. Prints JSON.

    python bench/coldstart.py [--runs 10] [--built DIR] [--source-only] [--store file|oss]

``--store oss`` runs every function on ``oss://`` (the repo's OSS-protocol server on 127.0.0.1):
build the code dirs with ``bailian-fc build --store oss --out DIR`` and pass ``--built DIR``, so
the store SDK's import (and its bytecode) is on the measured path.

Each function runs from the source tree (this venv's Python) and from its ``bailian-fc build`` code
dir (under Python 3.10, FC's runtime), runs interleaved so both see the same machine load; the
report gives both medians, built/source ratios (target ≤ 1.0 for the apps hit and the admin
dashboard), the built chat's first byte over the built apps cache hit (target ≤ 1.5) and each code
dir's zipped size (target ≤ 12 MB for every function).

Each run is what ``bailian-fc invoke`` does (a new Python process, the event file's bytes, an FC
context), timed from just before the fork to the handler's return (event functions) or to the
first byte of the answer (chat, a Web function, so the server's start-up is included):

* apps    — ``POST /apps/app2_finance`` served from a cache entry seeded beforehand (a hit);
* admin   — ``GET /admin/dashboard?days=7`` over an empty run log;
* chat    — ``POST /chat/messages`` until the first SSE byte (the emulator answers upstream);
* prewarm — a timer tick on an empty store (nothing due unless the job seed says otherwise).

Per function: median / min / max over ``--runs``, the heavy modules the path imported (dashscope,
boto3, oss2, starlette, uvicorn, httpx), and the size of ``build/<name>`` when it was built. A
function whose handler module is not there yet is reported as "not available", not a crash.
Build first (``bailian-fc build``); without a build dir only the source tree is timed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "shared"))

from bailian_fc_tools.builder.manifest import Function, load_manifest  # noqa: E402
from bailian_fc_tools.local.invoke import Outcome, run_event, run_web, with_token  # noqa: E402

HEAVY = ("dashscope", "boto3", "oss2", "starlette", "uvicorn", "httpx")
SECRET = "bench-secret-not-for-production-0123456789"
# function -> (event file, the module its handler lives in, what the run measures, token role)
CASES = {
    "apps": (
        "apps-run-app2-finance.json",
        "bailian_fc.apps.function",
        "POST /apps/app2_finance, cache hit",
        "manager",
    ),
    "admin": ("admin-dashboard.json", "bailian_fc.admin.function", "GET /admin/dashboard?days=7", "admin"),
    "chat": ("chat-message.json", "bailian_fc.chat.function", "POST /chat/messages, first byte", "staff"),
    "prewarm": ("prewarm-timer.json", "bailian_fc.scheduled.function", "timer tick, nothing due", "admin"),
}


def seed_cache(store_url: str) -> None:
    """A fresh App2 entry for the apps event's filter, written through the public cache API."""
    from bailian_fc.cache import Entry, ResultCache, cache_key
    from bailian_fc.catalogue.inputs import FinanceFilter
    from bailian_fc.catalogue.registry import CATALOGUE
    from bailian_fc.clock import SandboxClock
    from bailian_fc.settings import Settings
    from bailian_fc.store import open_store

    spec = CATALOGUE["app2_finance"]
    body = json.loads(json.loads((ROOT / "events" / CASES["apps"][0]).read_text())["body"])
    store = open_store(store_url)
    reading = SandboxClock.from_settings(store, Settings.from_env()).reading("site-001")  # today, live
    payload = FinanceFilter(**body).model_dump(mode="json")
    key = cache_key(spec.key, spec.prompt_version, "site-001", payload, reading)
    value = {
        "summary": "近7天营收环比上升",
        "insights": [{"title": "包厢", "detail": "晚场满座", "level": "positive"}],
        "suggestions": ["周末加开夜场"],
    }
    ResultCache(store).put(key, Entry(value, time.time(), spec.prompt_version, {}))


def package_size(built: Path, name: str) -> dict[str, Any] | str:
    from bailian_fc_tools.builder.build import Report
    from bailian_fc_tools.builder.build import measure as zip_measure

    code = built / name
    if not code.is_dir():
        return "not built (bailian-fc build)"
    report = Report(name, code, [])
    zip_measure(report)
    return {
        "files": report.files,
        "unzipped_mb": round(report.unzipped_bytes / 1e6, 1),
        "zipped_mb": round(report.zipped_bytes / 1e6, 1),
    }


def _status(outcome: Outcome) -> int | None:
    if outcome.status is not None:
        return outcome.status
    value = (outcome.result or {}).get("json")
    return value.get("statusCode") if isinstance(value, dict) else None


def _imports_of_web(function: Function, event: bytes, built: Path | None) -> list[str]:
    """Heavy modules a web function imported, from ``-X importtime`` (its process is not ours to inspect)."""
    with tempfile.TemporaryFile("w+") as log:
        os.environ["PYTHONPROFILEIMPORTTIME"] = "1"
        try:
            run_web(function, ROOT, event, built=built, quiet=True, output=log)
        finally:
            del os.environ["PYTHONPROFILEIMPORTTIME"]
        log.seek(0)
        names = {
            line.rsplit("|", 1)[-1].strip().split(".")[0] for line in log if line.startswith("import time:")
        }
    return sorted(set(HEAVY) & names)


def _one(function: Function, event: bytes, built: Path | None) -> tuple[Outcome, float | None]:
    if function.is_web:
        outcome = run_web(function, ROOT, event, built=built, quiet=True)
        return outcome, outcome.first_byte_at
    outcome = run_event(function, ROOT, event, built=built, quiet=True, watch=HEAVY)
    return outcome, outcome.done_at


def _stats(times: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(times), 1),
        "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
    }


def measure(function: Function, runs: int, modes: dict[str, Path | None]) -> dict[str, Any]:
    """``runs`` cold starts per mode (source / built), interleaved run by run."""
    event_file, module, path, role = CASES[function.resource]
    try:
        available = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        available = False
    if not available:
        return {"path": path, "available": False, "reason": f"{module} is not written yet"}
    event = with_token((ROOT / "events" / event_file).read_bytes(), role, "site-001")
    if function.resource == "prewarm":  # a tick between every seeded job's slots: the dispatch path only
        event = json.dumps({**json.loads(event), "triggerTime": "2026-11-27T20:07:13Z"}).encode()
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    last: dict[str, Outcome] = {}
    for _ in range(runs):
        for mode, built in modes.items():
            outcome, end = _one(function, event, built)
            if not outcome.ok or end is None:
                return {
                    "path": path,
                    "available": True,
                    "mode": mode,
                    "error": outcome.error or outcome.result,
                    "status": _status(outcome),
                }
            times[mode].append((end - outcome.spawned_at) * 1000)
            last[mode] = outcome
    out: dict[str, Any] = {"path": path, "available": True}
    for mode, built in modes.items():
        outcome = last[mode]
        heavy = _imports_of_web(function, event, built) if function.is_web else outcome.modules
        result = (outcome.result or {}).get("json") or {}
        body = result.get("body") if isinstance(result, dict) else None
        try:
            summary = json.loads(body) if isinstance(body, str) else result
        except ValueError:
            summary = body
        out[mode] = {
            "status": _status(outcome),
            **_stats(times[mode]),
            "heavy_modules": heavy,
            "cached": summary.get("cached") if isinstance(summary, dict) else None,
        }
    if "source" in out and "built" in out:
        out["built_vs_source_median"] = round(out["built"]["median_ms"] / out["source"]["median_ms"], 3)
    return out


def _ratio(functions: dict[str, Any], over: str, under: str, mode: str) -> float | None:
    """``over``'s median / ``under``'s median in ``mode``, when both ran."""
    a, b = functions.get(over, {}).get(mode), functions.get(under, {}).get(mode)
    if not a or not b:
        return None
    return round(a["median_ms"] / b["median_ms"], 3)


@contextlib.contextmanager
def store_url(kind: str, tmp: str) -> Iterator[str]:
    """``file://`` under ``tmp``, or a bucket of the OSS-protocol test server (tests/store)."""
    if kind == "file":
        yield f"file://{tmp}/store"
        return
    sys.path.insert(0, str(ROOT / "tests" / "store"))
    from oss_server import OssServer

    os.environ.update(
        {"ALIBABA_CLOUD_ACCESS_KEY_ID": "cold-ak", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "cold-sk"}
    )
    with OssServer() as server:
        server.create_bucket("coldstart")
        yield f"oss://coldstart/cs?endpoint={server.endpoint}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--built", default="build", metavar="DIR", help="code dirs of `bailian-fc build`")
    parser.add_argument("--source-only", action="store_true")
    parser.add_argument("--store", choices=["file", "oss"], default="file")
    args = parser.parse_args()
    built = (ROOT / args.built).resolve()
    from bailian_fc.catalogue.registry import CATALOGUE
    from bailian_fc_tools.builder.slim import find_interpreter
    from bailian_fc_tools.emulator.server import EmulatorThread

    manifest = load_manifest(ROOT / "s.yaml", strict=False)
    with (
        tempfile.TemporaryDirectory(prefix="coldstart-") as tmp,
        EmulatorThread() as emulator,
        store_url(args.store, tmp) as url,
    ):
        os.environ.update(
            {
                "STORE_URL": url,
                "AUTH_JWT_SECRET": SECRET,
                "DASHSCOPE_API_KEY": "bench-key",
                "DASHSCOPE_BASE_URL": emulator.base_url,
                "NO_PROXY": "127.0.0.1,localhost",
            }
        )
        for key in CATALOGUE:
            os.environ[f"BAILIAN_APP_ID_{key.upper()}"] = f"emu-{key}"
        seed_cache(os.environ["STORE_URL"])
        functions = {}
        for name, function in manifest.functions.items():
            modes: dict[str, Path | None] = {"source": None}
            if not args.source_only and (built / name).is_dir():
                modes["built"] = built
            print(f"coldstart: {name} x{args.runs} ({', '.join(modes)})", file=sys.stderr, flush=True)
            functions[name] = {**measure(function, args.runs, modes), "package": package_size(built, name)}
    report = {
        "runs": args.runs,
        "store": args.store,
        # Chat's process start to first byte against the apps cache hit, both built, same run (≤ 1.5).
        "built_chat_vs_apps_hit": _ratio(functions, "chat", "apps", "built"),
        "source_python": sys.version.split()[0],
        "built_python": find_interpreter("3.10"),
        "built_dir": str(built),
        "functions": functions,
        "targets": {
            "zipped_mb_max": {"chat": 12, "apps": 12, "prewarm": 12, "admin": 12},
            "built_vs_source_max": {"apps": 1.0, "admin": 1.0},
            "built_chat_vs_apps_hit_max": 1.5,
        },
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
