"""Operator-facing CLI messages: one line instead of a traceback, help texts that say what a flag does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path


def _cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bailian_fc_tools.cli", *args],
        env={**os.environ, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_short_secret_is_one_line(tmp_path: Path) -> None:
    done = _cli("token", env={"AUTH_JWT_SECRET": "short"}, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == "bailian-fc token: AUTH_JWT_SECRET must be at least 32 bytes"


def test_unreachable_data_url_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = _cli(
        "demo-data",
        "--sites",
        "1",
        "--days",
        "1",
        env={
            "DATA_URL": f"postgresql://u:p@127.0.0.1:{port}/db",
            "DATA_ADMIN_URL": f"postgresql://o:p@127.0.0.1:{port}/db",
        },
        cwd=tmp_path,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("demo-data: cannot connect to DATA_ADMIN_URL:"), lines


def test_help_texts() -> None:
    token = _cli("token", "--help").stdout
    assert "staff, manager, admin, service" in token and "{staff,manager,admin,service}" in token
    migrate = _cli("db", "migrate", "--help").stdout
    assert "Apply the versioned SQL files of db/migrations/" in migrate
    store = _cli("store", "init", "--help").stdout
    assert "``" not in store and ":func:" not in store and "STORE_URL" in store
    demo = _cli("demo-data", "--help").stdout
    assert "venues to generate" in demo and "business days of finance rows" in demo and "same seed" in demo


def test_demo_data_on_postgresql_needs_the_admin_url(tmp_path: Path) -> None:
    """DATA_URL is the functions' read login (RLS-bound): demo-data never writes through it."""
    done = _cli(
        "demo-data", "--sites", "1", "--days", "1",
        env={"DATA_URL": "postgresql://u:p@127.0.0.1:9/db", "DATA_ADMIN_URL": ""}, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines() == [
        "demo-data: set DATA_ADMIN_URL to the schema owner's URL to write the DWS"
    ]


def test_a_negative_token_ttl_is_refused(tmp_path: Path) -> None:
    done = _cli("token", "--ttl", "-5", env={"AUTH_JWT_SECRET": "x" * 40}, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == "bailian-fc token: --ttl must be a positive number of seconds, not -5"


_LISTENER = """
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(); print(s.getsockname()[1], flush=True)
conn, _ = s.accept(); conn.sendall(b"x"); sys.stdin.read()
"""


def test_the_dev_port_check_accepts_a_port_whose_server_was_killed_but_not_one_in_use() -> None:
    import signal

    import pytest

    from bailian_fc_tools.local.server import check_port

    child = subprocess.Popen(
        [sys.executable, "-c", _LISTENER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        with pytest.raises(OSError, match="cannot listen"):
            check_port("127.0.0.1", port)  # a server is listening there
        with socket.create_connection(("127.0.0.1", port)) as client:
            assert client.recv(1) == b"x"
            child.send_signal(signal.SIGKILL)  # as kill -9: the kernel closes the server's side first
            child.wait()
            assert client.recv(1) == b""
        check_port("127.0.0.1", port)  # its connection in TIME_WAIT does not block a new server
    finally:
        child.kill()
        child.wait()
        if child.stdin:
            child.stdin.close()
        if child.stdout:
            child.stdout.close()
