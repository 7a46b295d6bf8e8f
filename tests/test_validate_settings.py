"""`bailian-fc validate` loads the functions' own settings: each bad value is one problem with its fix.

Every case below renders and passes fc3's schema, yet would crash every instance at start (a
pydantic error in the initializer), leave an app answering 503, or break HTTPS or the store: the
environment ``s deploy`` would use is passed as ``env``, s.yaml itself unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from certs import self_signed
from test_validate_deploy_env import GOOD

from bailian_fc_tools.builder.manifest import ManifestError, parse_preview
from bailian_fc_tools.deploy.settings_check import covers
from bailian_fc_tools.deploy.validate import validate

ROOT = Path(__file__).resolve().parents[1]
OTHER_CERT, OTHER_KEY = self_signed("www.other.example.cn", "other.example.cn")
OLD_CERT, OLD_KEY = self_signed("ai.venue.example.cn", expired=True)
SHANGHAI_OSS = "oss://bailian-bucket/prod?endpoint=https://oss-cn-shanghai-internal.aliyuncs.com"


def problems(tmp_path: Path, env: dict[str, str]) -> list[str]:
    return validate(ROOT / "s.yaml", root=ROOT, env=env, built=tmp_path / "no-build").problems


CASES = {
    "zone": ({"BUSINESS_TZ": "China/Beijing"}, ["BUSINESS_TZ='China/Beijing'", "unknown time zone", "fix:"]),
    "zone-typo": ({"BUSINESS_TZ": "Asia/Shanghia"}, ["did you mean 'Asia/Shanghai'?"]),
    "attempts": (
        {"BAILIAN_MAX_ATTEMPTS": "three"},
        ["BAILIAN_MAX_ATTEMPTS='three'", "valid integer", "fix: a whole number >= 1 <= 10 (default 3)"],
    ),
    "attempts-range": ({"BAILIAN_MAX_ATTEMPTS": "0"}, ["greater than or equal to 1", ">= 1"]),
    "day-start": ({"BUSINESS_DAY_START": "8am"}, ["BUSINESS_DAY_START='8am'", "'HH:MM'", "e.g. 08:00"]),
    "app-id": (
        {"BAILIAN_APP_ID_APP3_CLUE_DETAIL": ""},
        ["BAILIAN_APP_ID_APP3_CLUE_DETAIL is empty", "503 AppNotConfigured", "BAILIAN_APPS_DISABLED"],
    ),
    "disabled-typo": (
        {"BAILIAN_APPS_DISABLED": "app7_customer_insigth"},
        ["'app7_customer_insigth'", "did you mean 'app7_customer_insight'?"],
    ),
    "domain-scheme": (
        {"BAILIAN_FC_DOMAIN": "https://ai.venue.example.cn/"},
        ["not a bare host name", "fix: BAILIAN_FC_DOMAIN=ai.venue.example.cn"],
    ),
    "cert-names": (
        {"BAILIAN_FC_CERT_PEM": OTHER_CERT, "BAILIAN_FC_CERT_KEY_PEM": OTHER_KEY},
        ["www.other.example.cn, other.example.cn, not ai.venue.example.cn"],
    ),
    "cert-expired": ({"BAILIAN_FC_CERT_PEM": OLD_CERT, "BAILIAN_FC_CERT_KEY_PEM": OLD_KEY}, ["expired on"]),
    "key-mismatch": ({"BAILIAN_FC_CERT_KEY_PEM": OTHER_KEY}, ["not the private key"]),
    "oss-region": (
        {"STORE_URL": SHANGHAI_OSS},
        ["endpoint is in cn-shanghai", "FC_REGION=cn-hangzhou", "set FC_REGION=cn-shanghai"],
    ),
    "region-typo": ({"FC_REGION": "cn-hangzou"}, ["'cn-hangzou' (FC_REGION)", "did you mean 'cn-hangzhou'"]),
}


@pytest.mark.parametrize(("override", "expected"), CASES.values(), ids=CASES.keys())
def test_each_bad_setting_is_one_problem_with_its_fix(
    tmp_path: Path, override: dict[str, str], expected: list[str]
) -> None:
    found = problems(tmp_path, {**GOOD, **override})
    assert len(found) == 1, found  # once, not once per function that gets the value
    for text in expected:
        assert text in found[0], found[0]


def test_a_bad_value_names_every_function_that_reads_it(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, {**GOOD, "BUSINESS_TZ": "China/Beijing"})
    assert found.startswith("chat, apps, prewarm, admin: "), found
    (found,) = problems(tmp_path, {**GOOD, "BAILIAN_APP_ID_APP2_FINANCE": ""})
    assert found.startswith("apps, prewarm: "), found  # chat serves App1 only, admin no app


def test_a_disabled_app_needs_no_id(tmp_path: Path) -> None:
    env = {**GOOD, "BAILIAN_APP_ID_APP7_CUSTOMER_INSIGHT": "", "BAILIAN_APP_ID_APP1_CHAT": ""}
    assert len(problems(tmp_path, env)) == 2
    assert problems(tmp_path, {**env, "BAILIAN_APPS_DISABLED": "app7_customer_insight, app1_chat"}) == []


def test_wildcard_names_cover_one_label_only() -> None:
    assert covers("*.venue.example.cn", "ai.venue.example.cn")
    assert not covers("*.venue.example.cn", "a.b.venue.example.cn")
    assert not covers("*.venue.example.cn", "venue.example.cn")
    assert covers("AI.venue.example.cn", "ai.venue.example.cn")


def _cli(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bailian_fc_tools.cli", "validate", "--manifest", str(ROOT / "s.yaml")],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": os.environ.get("PYTHONPATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_validate_cli_exits_1_with_one_line_per_bad_setting_then_0_when_fixed(tmp_path: Path) -> None:
    bad = {"BUSINESS_TZ": "China/Beijing", "BAILIAN_MAX_ATTEMPTS": "three", "BUSINESS_DAY_START": "8am"}
    done = _cli(tmp_path, {**GOOD, **bad})
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3, lines
    for name in bad:
        assert len([ln for ln in lines if f"{name}=" in ln]) == 1, lines
    fixed = _cli(tmp_path, GOOD)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


PREVIEW = json.dumps({"edition": "3.0.0", "resources": {"chat": {"component": "fc3", "props": {}}}}, indent=2)


@pytest.mark.parametrize(
    "text",
    [
        "[2026-12-08 01:11:39][WARN][s_cli] It is not recommended to run the command as root user.\n"
        + PREVIEW,
        "\x1b[33m[WARN]\x1b[0m update available {see https://x}\n" + PREVIEW + "\n[INFO] done\n",
        PREVIEW,
    ],
    ids=["warn-first", "colour-and-trailer", "plain"],
)
def test_s_preview_output_is_read_past_log_lines(text: str) -> None:
    assert parse_preview(text)["resources"]["chat"]["component"] == "fc3"


def test_s_preview_output_without_a_manifest_says_what_it_began_with() -> None:
    with pytest.raises(ManifestError, match="begins '\\[ERROR\\] boom'"):
        parse_preview("[ERROR] boom\n{not json}\n")
