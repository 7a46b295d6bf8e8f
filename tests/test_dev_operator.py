"""`bailian-fc dev` for an operator: a busy port fails before printing tokens; admin "run now" runs at once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from support import SECRET, running_dev
from test_verify_dev import admin_token

ROOT = Path(__file__).resolve().parents[1]


def test_dev_on_a_busy_port_fails_before_printing_anything(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {**os.environ, "STORE_URL": f"file://{tmp_path}", "AUTH_JWT_SECRET": SECRET}
        run = subprocess.run(
            [sys.executable, "-m", "bailian_fc_tools.cli", "dev", "--port", str(port)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert run.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in run.stderr
    assert "token" not in run.stderr and "curl" not in run.stderr and "emulator at" not in run.stderr


def test_run_now_under_dev_runs_the_job_in_process_at_once(tmp_path: Path) -> None:
    """No tick needed: the run is recorded while dev's timer (5 min) has not fired."""
    with running_dev(tmp_path / "data", PREWARM_QPS="1000") as (base, banner, _):
        headers = {"Authorization": f"Bearer {admin_token(banner)}"}
        started = httpx.post(
            f"{base}/admin/triggers/app2_prewarm/run",
            headers=headers,
            json={"site_id": "site-001", "force": True},
            timeout=30,
        )
        assert started.status_code == 202 and started.json()["started"] == "now", started.text
        deadline, last = time.monotonic() + 120, None
        seen = set()
        while (last is None or last["status"] == "running") and time.monotonic() < deadline:
            view = httpx.get(f"{base}/admin/triggers/app2_prewarm", headers=headers, timeout=30).json()
            last = view.get("last_run")
            seen.add(last and last["status"])
            time.sleep(0.2)
    # the run is recorded from its start (running), then with how it ended
    assert last is not None and last["trigger"] == "manual" and last["status"] == "ok", last
    assert last["id"] == started.json()["run_id"] and seen <= {None, "running", "ok"}
