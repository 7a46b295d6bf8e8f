"""Lean code dirs: each function ships only the distributions a real request loads, under Python 3.10.

``bailian-fc build`` installs dashscope without its CLI/tokenizer dependencies (NO_DEPS in build.py).
Here every built dir runs one real request under pyenv's Python 3.10 with nothing but the code dir on
sys.path (the emulator answers upstream calls): it must succeed, every shipped distribution must be
loaded by it (a few data-only or build-only ones aside), and chat/apps/prewarm must zip to ≤ 12 MB.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bailian_fc.catalogue.registry import app_keys
from bailian_fc.store import open_store
from bailian_fc_tools.builder.slim import find_interpreter
from bailian_fc_tools.demo.finance import generate
from bailian_fc_tools.emulator import EmulatorThread
from bailian_fc_tools.local.invoke import with_token

pytestmark = [pytest.mark.build, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SECRET = "lean-build-secret-0123456789abcdef0123"
ZIP_BUDGET_MB = 12 * 10**6 / 2**20  # 12 MB (10^6 bytes); the build prints MiB
# Shipped on purpose although a request does not import it: nothing. The client reads dashscope's public
# root (dashscope.AsyncClient), which imports requests, attrs, tenacity, opentelemetry and httpx-sse
# itself; what only a path never taken here needs is a stand-in (slim.STUBS), not shipped.
NOT_IMPORTED_OK: set[str] = set()
EVENTS = {
    "chat": "chat-message.json",
    "apps": "apps-run-app2-finance.json",
    "prewarm": "prewarm-manual.json",
    "admin": "admin-dashboard.json",
}


@pytest.fixture(scope="module", params=["file", "oss"])
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, float], str]:
    """Every function built for one store: the file store, and oss:// (its SDK on every cold start)."""
    assert find_interpreter("3.10"), "these tests need a Python 3.10 (FC's runtime); pyenv install 3.10"
    out = tmp_path_factory.mktemp(f"lean-{request.param}")
    done = subprocess.run(
        [sys.executable, "-m", "bailian_fc_tools.cli", "build", "--out", str(out), "--store", request.param],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    sizes = {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"^(\w+)\s+\d+\s+[\d.]+ MB\s+([\d.]+) MB", done.stdout, re.M)
    }
    return out, sizes, request.param


@pytest.fixture(scope="module")
def oss_endpoint() -> Any:
    sys.path.insert(0, str(ROOT / "tests" / "store"))
    from oss_server import OssServer

    with OssServer() as server:
        server.create_bucket("lean")
        yield server.endpoint


def distributions(site_packages: Path) -> dict[str, set[str]]:
    """Distribution name -> the top-level import names its RECORD installs."""
    out: dict[str, set[str]] = {}
    for record in site_packages.glob("*.dist-info/RECORD"):
        name = record.parent.name.split("-")[0].lower().replace("_", "-")
        tops = {line.split(",")[0].split("/")[0] for line in record.read_text().splitlines() if line}
        out[name] = {
            t.removesuffix(".py").split(".")[0]
            for t in tops
            if not t.endswith((".dist-info", ".data")) and t not in ("..", "__pycache__")
        }
    return out


@pytest.mark.parametrize("function", list(EVENTS))
def test_built_function_runs_a_request_and_ships_only_what_it_loads(
    built, function, tmp_path, request, monkeypatch
):
    out, sizes, kind = built
    code = out / function
    credentials = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "lean-ak", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "lean-sk"}
    if kind == "oss":
        for name, value in credentials.items():  # for the seeding below (this process's oss2)
            monkeypatch.setenv(name, value)
        store = f"oss://lean/{tmp_path.name}?endpoint={request.getfixturevalue('oss_endpoint')}"
    else:
        store = f"file://{tmp_path}/store"
    generate(open_store(store), sites=1, days=30, end=dt.date.today())
    with EmulatorThread() as emu:
        env = {
            "PATH": os.environ["PATH"],
            "STORE_URL": store,
            "AUTH_JWT_SECRET": SECRET,
            "DASHSCOPE_API_KEY": "k",
            "DASHSCOPE_BASE_URL": emu.base_url,
            "PREWARM_QPS": "1000",
            "NO_PROXY": "127.0.0.1",
            **(credentials if kind == "oss" else {}),
            **{f"BAILIAN_APP_ID_{key.upper()}": f"emu-{key}" for key in app_keys()},
        }
        os.environ["AUTH_JWT_SECRET"] = SECRET
        try:
            event = with_token((ROOT / "events" / EVENTS[function]).read_bytes(), "admin", "site-001")
        finally:
            del os.environ["AUTH_JWT_SECRET"]
        (tmp_path / "event").write_bytes(event)
        compiled_before = set((code / "python").rglob("*.pyc"))
        probe = subprocess.run(
            [
                find_interpreter("3.10"),
                "-I",
                "-S",
                str(ROOT / "tests" / "lean_probe.py"),
                str(code),
                str(tmp_path / "event"),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert probe.returncode == 0, probe.stderr[-3000:]
    result = json.loads(probe.stdout.splitlines()[-1])
    assert result["status"] in (200, 202) or (function == "prewarm" and result["status"] == 200), result
    loaded = set(result["modules"])
    # Python writes a .pyc for each module it had to compile: on FC (/code is read-only) that would be
    # a compile on every cold start, so the build's trace must have covered the request's imports
    # (on oss:// the adapter's SDK too: oss2, requests, urllib3 — the build imports the adapter).
    compiled_now = sorted(
        str(p.relative_to(code)) for p in set((code / "python").rglob("*.pyc")) - compiled_before
    )
    assert compiled_now == [], f"{function} compiled at run time: {compiled_now}"
    unused = {
        name
        for name, tops in distributions(code / "python").items()
        if not tops & loaded and name not in NOT_IMPORTED_OK
    }
    assert unused == set(), f"{function} ships distributions a request never imports: {sorted(unused)}"
    if function != "admin":
        assert "dashscope" in loaded and not {"tiktoken", "fastapi", "typer"} & {
            p.name for p in (code / "python").iterdir()
        }
        assert sizes[function] <= ZIP_BUDGET_MB, sizes


def test_every_module_a_request_loads_has_bytecode(built):
    """The traced precompile covered the hot path: each imported dashscope/bailian_fc file has a .pyc."""
    code = built[0] / "apps" / "python"
    sdk = ("oss2", "requests", "urllib3") if built[2] == "oss" else ()
    for package in ("dashscope", "bailian_fc", "pydantic", *sdk):
        pycs = list((code / package).rglob("__pycache__/*.cpython-310.pyc"))
        assert pycs, package
    # dashscope.assistants loads lazily (PEP 562 in dashscope/__init__): shipped, never imported here
    unused_module = code / "dashscope" / "assistants" / "files.py"
    assert unused_module.exists() and not list(unused_module.parent.glob("__pycache__/files.*.pyc"))
    assert not (code / "dashscope" / "acli").exists()  # the SDK's terminal UI is pruned (slim.PRUNE_FILES)
