"""`bailian-fc validate` catches what would fail only at run time, and `build` follows the deploy environment.

Each case is a configuration that renders and passes fc3's schema but breaks on FC: the environment
``s deploy`` would use is passed as ``env`` (as the CLI reads its own), with s.yaml otherwise unchanged.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from certs import self_signed

from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc_tools.builder import build as build_mod
from bailian_fc_tools.deploy.deploy_env import required_env_calls
from bailian_fc_tools.deploy.validate import validate

ROOT = Path(__file__).resolve().parents[1]
CERT_PEM, KEY_PEM = self_signed("ai.venue.example.cn")
GOOD = {
    "DASHSCOPE_API_KEY": "sk-0123456789abcdef",
    "STORE_URL": "oss://bailian-bucket/prod?endpoint=https://oss-cn-hangzhou-internal.aliyuncs.com",
    "AUTH_JWT_SECRET": "x" * 48,
    "BAILIAN_FC_DOMAIN": "ai.venue.example.cn",
    "BAILIAN_FC_CERT_PEM": CERT_PEM,
    "BAILIAN_FC_CERT_KEY_PEM": KEY_PEM,
    # Every app id: an empty one is a problem unless its app is in BAILIAN_APPS_DISABLED.
    **{spec.app_id_setting: f"app-{spec.key}" for spec in CATALOGUE.values()},
}


def problems(
    tmp_path: Path, env: dict[str, str], *, built: Path | None = None, mutate: Any = None
) -> list[str]:
    path = ROOT / "s.yaml"
    if mutate is not None:
        raw = copy.deepcopy(yaml.safe_load(path.read_text(encoding="utf-8")))
        mutate(raw)
        path = tmp_path / "s.yaml"
        path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return validate(path, root=ROOT, env=env, built=built or tmp_path / "no-build").problems


def test_a_complete_environment_validates_clean(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD) == []


def test_no_environment_names_every_missing_variable(tmp_path: Path) -> None:
    found = problems(tmp_path, {})
    needed = required_env_calls(ROOT / "s.yaml")
    assert {
        "DASHSCOPE_API_KEY",
        "STORE_URL",
        "AUTH_JWT_SECRET",
        "BAILIAN_FC_DOMAIN",
        "BAILIAN_FC_CERT_PEM",
    } <= set(needed)
    for name in needed:
        assert any(p.startswith(f"environment variable {name} is not set") for p in found), (name, found)
    # Empty counts as unset: `${env('X')}` renders "" and the functions read "" as unset.
    assert any("STORE_URL is not set" in p for p in problems(tmp_path, {**GOOD, "STORE_URL": ""}))


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"STORE_URL": "file://.bailian-data"}, "a file store lives on one instance's disk"),
        ({"STORE_URL": "oss://bailian-bucket/prod"}, "oss:// needs ?endpoint="),
        ({"STORE_URL": "ots://inst/table"}, "ots:// needs ?endpoint="),
        (
            {"STORE_URL": "ots://inst?endpoint=https://inst.cn-hangzhou.ots.aliyuncs.com"},
            "ots:// needs a table",
        ),
        ({"STORE_URL": "redis://h/0"}, "unsupported scheme 'redis'"),
        ({"AUTH_JWT_SECRET": "short"}, "AUTH_JWT_SECRET is 5 bytes; HS256 needs at least 32"),
    ],
    ids=[
        "file-store",
        "oss-no-endpoint",
        "ots-no-endpoint",
        "ots-no-table",
        "unknown-scheme",
        "short-secret",
    ],
)
def test_runtime_failures_are_reported_once_naming_every_function(
    tmp_path: Path, override: dict[str, str], expected: str
) -> None:
    found = [p for p in problems(tmp_path, {**GOOD, **override}) if expected in p]
    # One line, naming each function that receives the variable (admin has no DASHSCOPE key but a
    # store and a secret).
    assert len(found) == 1, found
    assert set(found[0].split(":", 1)[0].split(", ")) >= {"chat", "admin"}, found


def test_instance_concurrency_on_a_built_in_runtime(tmp_path: Path) -> None:
    def mutate(raw: dict[str, Any]) -> None:
        raw["resources"]["apps"]["props"]["instanceConcurrency"] = 20

    found = problems(tmp_path, GOOD, mutate=mutate)
    assert [p for p in found if "instanceConcurrency" in p] == [
        "apps: instanceConcurrency is ignored by FC's built-in python3.10 runtime (one request per instance); remove it"
    ]
    assert problems(tmp_path, GOOD) == []  # chat's (custom runtime) is honoured: no problem


@pytest.mark.parametrize(
    ("override", "mutate", "expected"),
    [
        ({}, lambda raw: raw["resources"]["domain"]["props"].update(protocol="HTTP"), "needs HTTP,HTTPS"),
        ({"BAILIAN_FC_CERT_PEM": "cert.pem"}, None, "BAILIAN_FC_CERT_PEM) is not a PEM certificate chain"),
        ({"BAILIAN_FC_CERT_KEY_PEM": "key"}, None, "BAILIAN_FC_CERT_KEY_PEM) is not a PEM private key"),
        ({"BAILIAN_FC_DOMAIN": "auto"}, None, "domainName is 'auto'"),
    ],
    ids=["http-only", "cert-not-pem", "key-not-pem", "test-domain"],
)
def test_the_custom_domain_serves_https_with_a_certificate(
    tmp_path: Path, override: dict[str, str], mutate: Any, expected: str
) -> None:
    found = problems(tmp_path, {**GOOD, **override}, mutate=mutate)
    assert [p for p in found if expected in p and p.startswith("domain: ")], found
    rendered = yaml.safe_load((ROOT / "s.yaml").read_text(encoding="utf-8"))["resources"]["domain"]["props"]
    assert rendered["protocol"] == "HTTP,HTTPS" and rendered["certConfig"] == "${vars.cert}"


def _fake_build(root: Path, store: str, data: str) -> Path:
    for name in ("chat", "apps", "prewarm", "admin"):
        (root / name).mkdir(parents=True)
        info = {"function": name, "python_version": "3.10", "store": store, "data": data}
        (root / name / build_mod.BUILD_INFO).write_text(json.dumps(info))
    return root


def test_a_build_for_another_store_or_data_adapter_is_refused(tmp_path: Path) -> None:
    built = _fake_build(tmp_path / "build", "file", "embedded")
    found = problems(tmp_path, GOOD, built=built)
    mismatch = [p for p in found if "store adapter but STORE_URL is oss://" in p]
    assert {p.split(":", 1)[0] for p in mismatch} == {"chat", "apps", "prewarm", "admin"}, found
    pg = {**GOOD, "DATA_URL": "postgresql://u:p@pgm-1.pg.rds.aliyuncs.com/venue"}
    data = [p for p in problems(tmp_path, pg, built=built) if "venue data 'embedded' but DATA_URL means" in p]
    assert {p.split(":", 1)[0] for p in data} == {"apps", "prewarm"}  # chat/admin never read venue data
    matching = _fake_build(tmp_path / "build2", "oss", "embedded")
    assert not [p for p in problems(tmp_path, GOOD, built=matching) if "adapter" in p or "venue data" in p]


def test_validate_cli_prints_one_line_per_problem_without_traceback(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], **GOOD, "AUTH_JWT_SECRET": "short", "STORE_URL": "file://x"}
    done = subprocess.run(
        [sys.executable, "-m", "bailian_fc_tools.cli", "validate"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": os.environ.get("PYTHONPATH", "")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for text in ("AUTH_JWT_SECRET is 5 bytes", "STORE_URL=file://x"):
        (line,) = [ln for ln in lines if text in ln]  # once, not once per function
        assert line.startswith("validate: chat, apps, "), line


def test_build_refuses_to_guess_the_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("STORE_URL", raising=False)
    with pytest.raises(build_mod.BuildError, match=r"STORE_URL is unset.*--store"):
        build_mod.build(["admin"], root=ROOT, out=tmp_path)
    monkeypatch.setenv("STORE_URL", "redis://h/0")
    with pytest.raises(build_mod.BuildError, match="scheme 'redis'"):
        build_mod.build(["admin"], root=ROOT, out=tmp_path)
    assert not any(tmp_path.iterdir())  # refused before installing anything
    assert build_mod.store_kind("auto", {"STORE_URL": "ots://i/t?endpoint=https://e"}) == "ots"
    assert build_mod.store_kind("s3", {}) == "s3"  # an explicit --store needs no environment
    assert build_mod.data_kind("auto", {"DATA_URL": "postgresql://u@h/db"}) == "postgresql"
    assert build_mod.data_kind("auto", {"DATA_URL": ""}) == "embedded"
