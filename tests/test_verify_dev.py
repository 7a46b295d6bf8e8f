"""`bailian-fc verify` against `bailian-fc dev`: the P0–P3 checklist passes on a fresh bundle."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from support import SECRET, running_dev

from bailian_fc.auth import Authenticator

pytestmark = pytest.mark.slow


def verify(base: str, token: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bailian_fc.dev.cli", "verify", "--base-url", base, "--token", token],
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
    assert len(rows) == 8 and all(" ok " in row for row in rows), out.stdout
    assert any("DATA_URL login" in row and "embedded dataset" in row for row in rows), out.stdout
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
