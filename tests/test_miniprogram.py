"""The WeChat miniprogram (clients/miniprogram): its pages rendered by miniprogram-simulate under
``node --test``, against a running ``bailian-fc dev`` over real HTTP, plus its type check."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from support import running_dev
from test_js_client import banner_tokens

pytestmark = pytest.mark.node

ROOT = Path(__file__).resolve().parents[1]
MINIPROGRAM = ROOT / "clients" / "miniprogram"


def npm_installed() -> None:
    """clients/miniprogram/node_modules from npm on first use (git-ignored; .ci/run does it too)."""
    if (MINIPROGRAM / "node_modules" / "miniprogram-simulate").exists():
        return
    npm = shutil.which("npm")
    assert npm, "npm is required for the miniprogram tests (CI installs nodejs)"
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--no-package-lock"],
        cwd=MINIPROGRAM,
        check=True,
        capture_output=True,
        timeout=600,
    )


def node_version(node: str) -> tuple[int, ...]:
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout
    return tuple(int(part) for part in out.strip().lstrip("v").split("."))


def test_miniprogram_pages_pass_node_tests_against_dev(tmp_path):
    node = shutil.which("node")
    assert node, "node is required (CI installs it)"
    # require() of the client's ES modules from the pages' CommonJS, and jsdom, need 20.19.
    assert node_version(node) >= (20, 19), f"Node >= 20.19 is required, found {node_version(node)}"
    npm_installed()
    tests = sorted(str(p.relative_to(MINIPROGRAM)) for p in (MINIPROGRAM / "test").glob("*.test.mjs"))
    # One upstream attempt: the retry test scripts an upstream error and wants it at once.
    with running_dev(tmp_path / "store", BAILIAN_MAX_ATTEMPTS="1") as (base, banner, _proc):
        token, admin = banner_tokens(banner)
        emulator = re.search(r"emulator at (http://\S+?)/api/v1", banner)
        assert emulator, banner
        env = {
            **os.environ,
            "BAILIAN_BASE_URL": base,
            "BAILIAN_TOKEN": token,
            "BAILIAN_ADMIN_TOKEN": admin,
            "BAILIAN_EMULATOR_URL": emulator.group(1),
        }
        # One file at a time: the sandbox-clock test changes what every page sees.
        result = subprocess.run(
            [node, "--test", "--test-force-exit", "--test-concurrency=1", *tests],
            cwd=MINIPROGRAM,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    summary = "\n".join(line for line in result.stdout.splitlines() if line.startswith(("# ", "not ok")))
    assert result.returncode == 0, f"{summary}\n{result.stdout[-8000:]}\n{result.stderr[-2000:]}"
    assert re.search(r"^# fail 0$", result.stdout, re.M), summary
    assert int(re.search(r"^# pass (\d+)$", result.stdout, re.M).group(1)) >= 18, summary


def test_miniprogram_type_checks_against_miniprogram_api_typings():
    """tsc --checkJs over the pages and lib/, with wx/Component/Behavior from miniprogram-api-typings."""
    npm_installed()
    result = subprocess.run(
        [str(MINIPROGRAM / "node_modules" / ".bin" / "tsc"), "-p", "typecheck/tsconfig.json"],
        cwd=MINIPROGRAM,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
