"""The JS client (clients/js) tested by Node's own test runner against a running `bailian-fc dev`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from support import running_dev

pytestmark = pytest.mark.node

ROOT = Path(__file__).resolve().parents[1]
CLIENT = ROOT / "clients" / "js"


def banner_tokens(banner: str) -> tuple[str, str]:
    user = re.search(r"token \(dev-user[^)]*\):\s*\n\s*(\S+)", banner)
    admin = re.search(r"admin token[^\n]*:\s*\n\s*(\S+)", banner)
    assert user and admin, banner
    return user.group(1), admin.group(1)


def test_js_client_passes_node_tests_against_dev(tmp_path):
    node = shutil.which("node")
    assert node, "node is required (CI installs it)"
    with running_dev(tmp_path / "store") as (base, banner, _proc):
        token, admin = banner_tokens(banner)
        env = {**os.environ, "BAILIAN_BASE_URL": base, "BAILIAN_TOKEN": token, "BAILIAN_ADMIN_TOKEN": admin}
        result = subprocess.run(
            [node, "--test", "test/"], cwd=CLIENT, env=env, capture_output=True, text=True, timeout=300
        )
    summary = "\n".join(line for line in result.stdout.splitlines() if line.startswith(("# ", "not ok")))
    assert result.returncode == 0, f"{summary}\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    assert re.search(r"^# fail 0$", result.stdout, re.M), summary
    assert int(re.search(r"^# pass (\d+)$", result.stdout, re.M).group(1)) >= 12, summary


def typescript_compiler() -> Path:
    """clients/js/node_modules/.bin/tsc, installed from npm on first use (git-ignored; .ci/run does it too)."""
    tsc = CLIENT / "node_modules" / ".bin" / "tsc"
    if not tsc.exists():
        npm = shutil.which("npm")
        assert npm, "npm is required to install TypeScript for the type check (CI installs nodejs)"
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--no-package-lock"],
            cwd=CLIENT,
            check=True,
            capture_output=True,
            timeout=600,
        )
    return tsc


def test_js_client_types_agree_with_the_exported_catalogue_types():
    """typecheck/usage.ts compiles (apps.run typed from types/bailian-apps.d.ts), and each misuse it
    marks with @ts-expect-error is really an error (tsc reports an unused expectation otherwise)."""
    result = subprocess.run(
        [str(typescript_compiler()), "-p", "typecheck/tsconfig.json"],
        cwd=CLIENT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_consoles_chat_page_type_checks_against_the_generated_chat_events():
    """pages/chat.js (// @ts-check) reads done.usage.tokens_used through the client's ChatEvent, whose
    shapes are generated from the server's models (types/chat-events.d.ts)."""
    result = subprocess.run(
        [str(typescript_compiler()), "-p", "typecheck/console.json"],
        cwd=CLIENT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "tokens_used" in (ROOT / "shared" / "bailian_fc" / "admin" / "ui" / "pages" / "chat.js").read_text()
    )
