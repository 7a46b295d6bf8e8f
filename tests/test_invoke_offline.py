"""`bailian-fc invoke --emulator` as a new user runs it: no key, no app ids, no AUTH_JWT_SECRET.

Every event file in events/ goes through the CLI in a fresh directory (its own .bailian-data/ dev
store and dev secret) and must give a meaningful answer: a 2xx with the expected body, a streamed
chat that ends with ``done``, prewarm runs whose outcome is ``ok``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
EVENTS = sorted(p.name for p in (ROOT / "events").glob("*.json"))


def invoke(cwd: Path, function: str, event: str, *extra: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("BAILIAN_APP_ID_", "AUTH_JWT", "DASHSCOPE"))
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "bailian_fc_tools.cli",
            "invoke",
            function,
            "--event",
            str(ROOT / "events" / event),
            *extra,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**clean, "PYTHONPATH": str(ROOT / "shared"), **env},
    )


def _prewarm_runs(result: dict) -> list[dict]:
    return [*result["results"], *(r for q in result.get("queued", []) for r in q["results"])]


@pytest.mark.parametrize("event", EVENTS)
def test_every_event_runs_offline_with_the_emulator(tmp_path: Path, event: str) -> None:
    function = event.split("-")[0]
    # The cap is lifted so the 112-item manual prewarm takes a second; its outcome is what is checked.
    run = invoke(tmp_path, function, event, "--emulator", PREWARM_QPS="1000")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "AUTH_JWT_SECRET is unset; using the dev secret" in run.stderr
    if function == "chat":
        assert "HTTP 200" in run.stderr
        if event == "chat-message.json":
            assert "event: delta" in run.stdout and "event: done" in run.stdout
        return
    result = json.loads(run.stdout)
    if function == "prewarm":
        runs = [r for r in _prewarm_runs(result) if r["status"] == "ran"]
        assert all(r["outcome"] == "ok" for r in runs), runs
        if event == "prewarm-manual.json":
            (ran,) = runs
            assert ran["summary"]["computed"] == ran["summary"]["total"] > 0
        return
    assert 200 <= result["statusCode"] < 300, result
    if event == "apps-run-app2-finance.json":
        assert result["body"]["app"] == "app2_finance" and result["body"]["result"]["summary"]
        assert result["body"]["meta"]["days_with_data"] > 0  # the demo sample seeded into the empty store


def test_a_prewarm_without_app_ids_fails_at_once_and_exits_non_zero(tmp_path: Path) -> None:
    """Without --emulator and with no app id: no calls, a failed run, exit 3, the reason on stderr."""
    run = invoke(
        tmp_path,
        "prewarm",
        "prewarm-manual.json",
        DASHSCOPE_API_KEY="k",
        DASHSCOPE_BASE_URL="http://127.0.0.1:9/api/v1",
        STORE_URL=f"file://{tmp_path}/store",
    )
    assert run.returncode == 3, run.stdout + run.stderr
    (item,) = json.loads(run.stdout)["results"]
    assert item["outcome"] == "failed" and "BAILIAN_APP_ID_APP2_FINANCE" in item["error"]
    assert item["summary"]["done"] == 0
    assert "invoke: job failed: app2_prewarm" in run.stderr


def test_apps_without_a_secret_uses_the_dev_secret_instead_of_crashing(tmp_path: Path) -> None:
    run = invoke(tmp_path, "apps", "apps-list.json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["statusCode"] == 200
    assert (tmp_path / ".bailian-data" / ".dev-jwt-secret").is_file()
