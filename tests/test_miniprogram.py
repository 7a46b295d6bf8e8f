"""The WeChat miniprogram (clients/miniprogram): its pages rendered by miniprogram-simulate under
``node --test``, against a running ``bailian-fc dev`` over real HTTP, plus its type check."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from support import SECRET, running_dev
from test_js_client import banner_tokens

from bailian_fc.auth import Authenticator

pytestmark = pytest.mark.node

ROOT = Path(__file__).resolve().parents[1]
MINIPROGRAM = ROOT / "clients" / "miniprogram"
ARTIFACTS = ROOT / "tests" / "artifacts" / "miniprogram"  # git-ignored: the pages as HTML and PNG


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


def extra_tokens() -> dict[str, str]:
    """A staff token and an expired one, signed with the secret `running_dev` gives the server."""
    auth = Authenticator(SECRET, "bailian-fc", "bailian-fc")
    return {
        "BAILIAN_STAFF_TOKEN": auth.mint("staff-1", "site-001", "staff"),
        "BAILIAN_EXPIRED_TOKEN": auth.mint("dev-user", "site-001", "manager", ttl_seconds=-120),
    }


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
            **extra_tokens(),
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
    assert int(re.search(r"^# pass (\d+)$", result.stdout, re.M).group(1)) >= 34, summary


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


MAIN_PACKAGE_LIMIT = 1536 * 1024  # WeChat's main package limit (1.5 MB), also checkCodeQuality's
NPM_TOOLS = ROOT / "build" / "npm-tools"  # git-ignored: npm tools the shared node_modules lacks


def miniprogram_ci() -> Path:
    """The miniprogram-ci package: from clients/miniprogram's devDependencies (.ci/run installs them), or
    installed from npm into build/npm-tools on first use (git-ignored, no lock file)."""
    installed = MINIPROGRAM / "node_modules" / "miniprogram-ci"
    if installed.exists():
        return installed
    fallback = NPM_TOOLS / "node_modules" / "miniprogram-ci"
    if not (fallback / "package.json").exists():
        npm = shutil.which("npm")
        assert npm, "npm is required for miniprogram-ci"
        spec = json.loads((MINIPROGRAM / "package.json").read_text())["devDependencies"]["miniprogram-ci"]
        NPM_TOOLS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--no-package-lock",
                "--prefix",
                str(NPM_TOOLS),
                f"miniprogram-ci@{spec}",
            ],
            check=True,
            capture_output=True,
            timeout=900,
        )
    return fallback


def test_miniprogram_ci_offline_checks_pass():
    """Tencent's own checks (DevTools' 代码质量): npm pack, every checkCodeQuality item, analyseCode
    with no unresolved dependency, and a main package under 1.5 MB."""
    npm_installed()
    result = subprocess.run(
        ["node", "ci/check.cjs", str(miniprogram_ci())],
        cwd=MINIPROGRAM,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["pack"] == {"miniProgramPackNum": 1, "warnings": []}, report["pack"]
    failed = [item for item in report["quality"] if not item["success"]]
    assert failed == [], failed
    names = {item["name"] for item in report["quality"]}
    assert {
        "WXML_COMPRESS_OPEN",
        "WXSS_COMPRESS_OPEN",
        "LAZYCODE_LOADING_OPEN",
        "PACKAGE_SIZE_LIMIT",
    } <= names
    assert report["analyseErrors"] == []
    assert 0 < report["mainPackageBytes"] <= MAIN_PACKAGE_LIMIT, report["mainPackageBytes"]


@pytest.mark.browser
def test_every_page_photographed_at_375px(tmp_path):
    """Every page rendered by miniprogram-simulate against dev, as HTML with its WXSS, then photographed by
    headless Chromium at 375 px into tests/artifacts/miniprogram/ (git-ignored) for a person to look at."""
    from console_browser import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    npm_installed()
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
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
            "BAILIAN_ARTIFACTS": str(ARTIFACTS),
            **extra_tokens(),
        }
        result = subprocess.run(
            ["node", "--test", "--test-force-exit", "test/screenshots.test.mjs"],
            cwd=MINIPROGRAM,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    pages = sorted(ARTIFACTS.glob("*.html"))
    assert len(pages) == 8, pages
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 375, "height": 667}, device_scale_factor=2)
            for html in pages:
                tab.goto(html.as_uri())
                png = html.with_suffix(".png")
                tab.screenshot(path=str(png), full_page=True)
                width = tab.evaluate("document.querySelector('.frame').getBoundingClientRect().width")
                assert width == 375, (html.name, width)
                assert png.stat().st_size > 10_000, png
        finally:
            browser.close()
