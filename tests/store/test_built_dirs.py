"""Built code dirs serve a real request on every store, under Python 3.10, with only the dir on sys.path.

``bailian-fc build --store S`` for S in file, s3, oss, ots; then each function's code dir runs one request
(``tests/lean_probe.py``: initializer + handler, or chat's server.py under uvicorn) against a live store:
moto's S3 server, the OSS- and Tablestore-protocol servers of this folder, or a directory. The
emulator answers Bailian. A stand-in or lazy root that a new SDK release touches fails here (and at
build time: ``bailian_fc_tools/builder/built_probe.py``), not in FC's initializer.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from test_lean_build import EVENTS, SECRET

from bailian_fc.catalogue.registry import app_keys
from bailian_fc.store import open_store
from bailian_fc_tools.builder.slim import find_interpreter
from bailian_fc_tools.demo.finance import generate
from bailian_fc_tools.emulator import EmulatorThread
from bailian_fc_tools.local.invoke import with_token

pytestmark = [pytest.mark.build, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
STORES = ["file", "s3", "oss", "ots"]
UPSTREAM = {"chat": "app1_chat", "apps": "app2_finance"}  # the app each function's event asks
_BUILT: dict[str, Path] = {}


def built_dir(store: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every function built once per store (on first use), for FC's Python 3.10."""
    if store not in _BUILT:
        out = tmp_path_factory.mktemp(f"built-{store}")
        done = subprocess.run(
            [sys.executable, "-m", "bailian_fc_tools.cli", "build", "--out", str(out), "--store", store],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        _BUILT[store] = out
    return _BUILT[store]


def live_store_url(store: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store of this kind, with its bucket or table created."""
    name = f"t-{uuid.uuid4().hex[:12]}"
    if store == "file":
        return f"file://{tmp_path}/store"
    if store == "s3":
        endpoint = request.getfixturevalue("moto_endpoint")
        request.getfixturevalue("s3_admin").create_bucket(Bucket=name)
        return f"s3://{name}/built?endpoint_url={endpoint}&region=us-east-1"
    if store == "oss":
        server = request.getfixturevalue("oss_server")
        server.create_bucket(name)
        return f"oss://{name}/built?endpoint={server.endpoint}"
    from bailian_fc.store.ots import create_table

    server = request.getfixturevalue("ots_server")
    url = f"ots://{server.instance}/{name.replace('-', '_')}?endpoint={server.endpoint}"
    create_table(open_store(url))  # type: ignore[arg-type]
    return url


def probe(code: Path, event: bytes, env: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "event").write_bytes(event)
    done = subprocess.run(
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
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.mark.parametrize("function", list(EVENTS))
@pytest.mark.parametrize("store", STORES)
def test_a_built_function_answers_a_request_on_each_store(
    store: str,
    function: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    assert find_interpreter("3.10"), "these tests need a Python 3.10 (FC's runtime); pyenv install 3.10"
    code = built_dir(store, tmp_path_factory) / function
    assert json.loads((code / ".bailian-build.json").read_text())["store"] == store
    url = live_store_url(store, request, tmp_path)
    generate(open_store(url), sites=1, days=30, end=dt.date.today())  # App2's finance data
    with EmulatorThread() as emu:
        env = {
            "PATH": os.environ["PATH"],
            "STORE_URL": url,
            "AUTH_JWT_SECRET": SECRET,
            "DASHSCOPE_API_KEY": "k",
            "DASHSCOPE_BASE_URL": emu.base_url,
            "PREWARM_QPS": "1000",
            "NO_PROXY": "127.0.0.1",
            # The functions' role credentials on FC; the test servers accept these.
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "test-ak",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "test-sk",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
            **{f"BAILIAN_APP_ID_{key.upper()}": f"emu-{key}" for key in app_keys()},
        }
        os.environ["AUTH_JWT_SECRET"] = SECRET
        try:
            event = with_token((ROOT / "events" / EVENTS[function]).read_bytes(), "admin", "site-001")
        finally:
            del os.environ["AUTH_JWT_SECRET"]
        result = probe(code, event, env, tmp_path)
        asked = {app: len(emu.requests_for(f"emu-{app}")) for app in ("app1_chat", "app2_finance")}
    assert result["status"] in (200, 202), result
    loaded = set(result["modules"])
    adapter = {"file": set(), "s3": {"boto3", "botocore"}, "oss": {"oss2"}, "ots": {"tablestore"}}[store]
    assert adapter <= loaded, f"{function} on {store} never loaded {adapter - loaded}"
    if function != "admin":
        assert "dashscope" in loaded
    if function in UPSTREAM:  # the answer came from the (emulated) Bailian, through the built dir's client
        assert asked[UPSTREAM[function]] >= 1, asked


def test_the_build_time_probe_fails_a_dir_whose_stand_in_an_sdk_needs(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """What `bailian-fc build` runs after installing: the oss build's clients construct; without the
    Crypto stand-in (what a new oss2 that imports more at `import oss2` would look like) they do not."""
    import shutil

    from bailian_fc_tools.builder.built_probe import probe_built

    python = find_interpreter("3.10")
    assert python
    code = tmp_path / "apps"
    shutil.copytree(built_dir("oss", tmp_path_factory) / "apps", code, symlinks=True)
    assert probe_built(code, "oss", True, python) == []
    shutil.rmtree(code / "python" / "Crypto")
    (problem,) = probe_built(code, "oss", True, python)
    assert "constructing the store client (oss)" in problem and "No module named 'Crypto'" in problem, problem
    assert probe_built(code, "file", True, python) == []  # the Bailian client does not need oss2
