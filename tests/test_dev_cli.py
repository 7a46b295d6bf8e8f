"""The README's first command: `bailian-fc dev` serves s.yaml's functions and its curl line streams."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from support import SECRET, parse_frames

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dev_serves_chat_from_s_yaml_and_stops_on_ctrl_c(tmp_path):
    """dev starts the emulator, prints a working token and curl line, and exits cleanly on SIGINT."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHSCOPE_", "BAILIAN_APP_ID_"))}
    env.update(STORE_URL=f"file://{tmp_path}/data", AUTH_JWT_SECRET=SECRET)
    proc = subprocess.Popen([sys.executable, "-m", "bailian_fc.cli", "dev", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = ""
        deadline = time.monotonic() + 30
        while "Uvicorn running" not in banner and time.monotonic() < deadline:
            line = proc.stderr.readline()
            assert line or proc.poll() is None, f"dev exited: {banner}"
            banner += line
        assert "emulator at http://127.0.0.1:" in banner and "/chat/*" in banner
        curl = re.search(r"curl -N (\S+) -H 'Authorization: Bearer (\S+)'", banner)
        assert curl, banner
        url, token = curl.groups()
        resp = httpx.post(url, json={"message": "今晚八点还有包厢吗？"}, headers={"Authorization": f"Bearer {token}"},
                          timeout=20)
        events = parse_frames(resp.content)
        assert events[0].event == "meta" and events[-1].event == "done"
        assert httpx.get(f"http://127.0.0.1:{port}/nowhere").status_code == 404
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=15)
    assert code == 0
    assert any((tmp_path / "data").rglob("*.json")), "the turn went to the configured store"
