"""The README's first command: `bailian-fc dev` serves s.yaml's functions and its curl line streams."""

from __future__ import annotations

import re

import httpx
from support import parse_frames, running_dev


def test_dev_serves_chat_from_s_yaml_and_stops_on_ctrl_c(tmp_path):
    """dev starts the emulator, prints a working token and curl line, and exits cleanly on SIGINT."""
    with running_dev(tmp_path / "data") as (base, banner, proc):
        assert "emulator at http://127.0.0.1:" in banner and "/chat/*" in banner
        curl = re.search(r"curl -N (\S+) -H 'Authorization: Bearer (\S+)'", banner)
        assert curl, banner
        url, token = curl.groups()
        resp = httpx.post(
            url,
            json={"message": "今晚八点还有包厢吗？"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=20,
        )
        events = parse_frames(resp.content)
        assert events[0].event == "meta" and events[-1].event == "done"
        assert httpx.get(f"{base}/nowhere").status_code == 404
    assert proc.returncode == 0
    assert any((tmp_path / "data").rglob("*.json")), "the turn went to the configured store"
