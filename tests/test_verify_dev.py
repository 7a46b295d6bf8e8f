"""`bailian-fc verify` against `bailian-fc dev`: the P0–P3 checklist passes on a fresh bundle."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from support import SECRET, running_dev

from bailian_fc.auth import Authenticator

pytestmark = pytest.mark.slow


def verify(base: str, token: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "bailian_fc_tools.cli",
            "verify",
            "--base-url",
            base,
            "--token",
            token,
            *flags,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def admin_token(banner: str) -> str:
    match = re.search(r"admin token \([^)]*\):\s+(\S+)", banner)
    assert match, banner
    return match.group(1)


def test_verify_passes_against_dev(tmp_path):
    """Every check from P0 to P3 passes on `bailian-fc dev` with the emulator, and exits 0."""
    with running_dev(tmp_path / "data") as (base, banner, _):
        assert "/apps/*" in banner and "/admin/*" in banner and "timer prewarm" in banner
        assert "demo finance data: 3 sites" in banner, "an empty store gets finance data for App2"
        out = verify(base, admin_token(banner))
        site_admin = Authenticator(SECRET, "bailian-fc", "bailian-fc").mint("adm-1", "site-001", "admin")
        as_site_admin = verify(base, site_admin)
    assert out.returncode == 0, out.stdout + out.stderr
    rows = [line for line in out.stdout.splitlines() if line.startswith("P")]
    assert len(rows) == 11 and all(" ok " in row for row in rows), out.stdout  # loopback: writes too
    assert any("DATA_URL login" in row and "embedded dataset" in row for row in rows), out.stdout
    assert any("business day rolls over" in row for row in rows), out.stdout
    assert as_site_admin.returncode == 0, (
        "a site admin (not platform) can verify its own site: " + as_site_admin.stdout
    )


def test_verify_exit_code_is_the_worst_failed_priority(tmp_path):
    """An unconfigured app fails a P1 check: exit code 3 (4 − priority), and the table says which."""
    with running_dev(tmp_path / "data", BAILIAN_APP_ID_APP3_CLUE_DETAIL="") as (base, banner, _):
        out = verify(base, admin_token(banner))
    assert out.returncode == 3, out.stdout + out.stderr
    assert "BAILIAN_APP_ID_APP3_CLUE_DETAIL" in out.stdout


def test_verify_with_a_non_admin_token_fails_p0(tmp_path):
    """A staff token cannot reach the admin routes: a P0 failure, exit code 4."""
    with running_dev(tmp_path / "data") as (base, banner, _):
        staff = re.search(r"token \(dev-user, site-001, manager; not admin\):\s+(\S+)", banner).group(1)  # type: ignore[union-attr]
        out = verify(base, staff)
    assert out.returncode == 4, out.stdout
    assert out.stderr.startswith("verify: ") and "ADMIN token" in out.stderr.splitlines()[0]
    assert "is --token an admin token?" in out.stdout


def rows_of(out: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """check name → its table row."""
    found = {}
    for line in out.stdout.splitlines():
        match = re.match(r"^P\d\s+(.+?)\s{2,}(ok|FAIL|skip)\s", line)
        if match:
            found[match.group(1).strip()] = line
    return found


def emulator_url(banner: str) -> str:
    match = re.search(r"emulator at (http://127\.0\.0\.1:\d+)", banner)
    assert match, banner
    return match.group(1)


def test_verify_fails_when_bailian_fails_even_with_everything_cached(tmp_path):
    """A first verify fills the cache; then the emulator answers every call 500. The sandbox,
    rollover and app-answer checks ask anew and reject stale, so they fail instead of passing on
    cached or stale answers."""
    with running_dev(tmp_path / "data") as (base, banner, _):
        token = admin_token(banner)
        assert verify(base, token).returncode == 0
        failing = {"behaviour": {"kind": "http_error", "status": 500, "code": "InternalError"}}
        assert (
            httpx.post(f"{emulator_url(banner)}/_emulator/default", json=failing, timeout=10).status_code
            == 200
        )
        out = verify(base, token)
    rows = rows_of(out)
    for name in ("sandbox clock reaches App2", "business day rolls over", "app answers and caches"):
        assert " FAIL " in rows[name], out.stdout
    assert " ok " in rows["functions answer"] and " ok " in rows["app ids configured"], out.stdout
    assert out.returncode != 0


def test_verify_p1_names_the_function_whose_app_id_is_missing(tmp_path):
    """Without the chat app's id the chat function refuses its turn: P1 says so by function."""
    with running_dev(tmp_path / "data", BAILIAN_APP_ID_APP1_CHAT="") as (base, banner, _):
        out = verify(base, admin_token(banner))
    rows = rows_of(out)
    assert out.returncode == 3, out.stdout
    assert " ok " in rows["app ids configured"], "the apps function does not need the chat app's id"
    assert (
        " FAIL " in rows["store round-trips"]
        and "chat function: AppNotConfigured" in rows["store round-trips"]
    )


WRITE_CHECKS = (
    "store round-trips",
    "sandbox clock reaches App2",
    "business day rolls over",
    "app answers and caches",
)


def _stored(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_verify_read_only_sends_gets_only_and_changes_nothing(tmp_path):
    """--read-only (the default for a production URL) runs every check that only reads, skips the four
    that write, and the store holds the same bytes afterwards; the emulator saw no call."""
    with running_dev(tmp_path / "data") as (base, banner, _):
        token = admin_token(banner)
        emulator = emulator_url(banner)
        httpx.get(f"{base}/clock", timeout=10)  # the first request seeds what a fresh store lacks
        before = _stored(tmp_path / "data")
        out = verify(base, token, "--read-only")
        after = _stored(tmp_path / "data")
        calls = httpx.get(f"{emulator}/_emulator/requests", timeout=10).json()
    assert out.returncode == 0, out.stdout + out.stderr
    assert "read-only" in out.stderr
    rows = rows_of(out)
    assert {name for name, row in rows.items() if " skip " in row} == set(WRITE_CHECKS), out.stdout
    assert all(" ok " in rows[name] for name in rows if name not in WRITE_CHECKS), out.stdout
    assert " ok " in rows["store reads"] and " ok " in rows["live clock"], out.stdout
    assert after == before
    assert calls == [], calls  # no Bailian call: no tokens spent


def test_a_production_url_defaults_to_read_only():
    from bailian_fc_tools.deploy.verify import is_local

    assert is_local("http://127.0.0.1:9000") and is_local("http://localhost:9000/")
    assert not is_local("https://ai.venue.example.cn")
