"""`bailian-fc release` / `rollback`: the fc3 commands they print, and the alias they leave behind.

The dry runs are checked as printed. The decisions (which version the alias gets, a canary's weights,
what a rollback picks) run against ``tests/fake_s.py``, which keeps an account's versions and aliases
the way FC answers them (FC has no local server). s.yaml serving the alias is checked by the fc3 schema
here and by the real ``s preview`` in tests/test_serverless_devs.py.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bailian_fc_tools.builder.manifest import load_manifest
from bailian_fc_tools.deploy.validate import validate

ROOT = Path(__file__).resolve().parents[1]
FAKE = Path(__file__).resolve().parent / "fake_s.py"


def _cli(*args: str, state: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **({"FAKE_S_STATE": str(state)} if state else {})}
    return subprocess.run(
        [sys.executable, "-m", "bailian_fc_tools.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def commands(out: str) -> list[list[str]]:
    """The `$ s …` lines of a release/rollback output, without their `# why` comments."""
    return [shlex.split(line[2:].split("    # ")[0]) for line in out.splitlines() if line.startswith("$ ")]


@pytest.fixture
def fake_s(tmp_path: Path) -> tuple[str, Path]:
    script = tmp_path / "s"
    script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(str(FAKE))} "$@"\n')
    script.chmod(0o755)
    return str(script), tmp_path / "account.json"


def test_release_dry_run_prints_each_fc3_command_in_order() -> None:
    done = _cli("release", "--dry-run", "--function", "apps", "--note", "r1")
    assert done.returncode == 0, done.stderr
    where = ["--function-name", "bailian-fc-apps", "--region", "cn-hangzhou"]
    assert commands(done.stdout) == [
        ["s", "apps", "deploy", "-y", "--function"],
        ["s", "apps", "version", "publish", *where, "--description", "r1", "-o", "json", "--silent"],
        ["s", "apps", "alias", "publish", "--alias-name", "live", *where, "--version-id",
         "<new version of apps>", "--vw", "{}"],
        ["s", "apps", "deploy", "-y", "--trigger", "http"],
        ["s", "domain", "deploy", "-y"],
    ]  # fmt: skip


def test_release_canary_dry_run_keeps_the_alias_on_its_version_and_weights_the_new_one() -> None:
    done = _cli("release", "--dry-run", "--function", "chat", "--canary", "10%")
    (publish,) = [c for c in commands(done.stdout) if c[2:4] == ["alias", "publish"]]
    assert publish[publish.index("--version-id") + 1] == "<live version of chat>"
    assert json.loads(publish[publish.index("--vw") + 1]) == {"<new version of chat>": 0.1}
    assert ["s", "chat", "alias", "get"] == next(c for c in commands(done.stdout) if "get" in c)[:4]


def test_rollback_dry_run_reads_the_alias_and_the_versions_then_moves_it() -> None:
    done = _cli("rollback", "--dry-run", "--function", "admin")
    steps = [c[2:4] for c in commands(done.stdout)]
    assert steps == [["alias", "get"], ["version", "list"], ["alias", "publish"]], done.stdout


def alias(state: Path, resource: str) -> Any:
    return json.loads(state.read_text())["functions"][resource]["alias"]


def test_release_canary_promote_and_rollback_move_the_alias(fake_s: tuple[str, Path]) -> None:
    s_bin, state = fake_s
    run = lambda *a: _cli(*a, "--function", "apps", "--s-bin", s_bin, state=state)  # noqa: E731
    assert run("release", "--canary", "0.2").returncode == 1  # no alias yet: a canary has nothing to share
    first = run("release")
    assert first.returncode == 0, first.stderr
    assert alias(state, "apps") == {"aliasName": "live", "versionId": "2", "additionalVersionWeight": {}}
    assert run("release").returncode == 0
    assert alias(state, "apps")["versionId"] == "3"
    back = run("rollback")
    assert back.returncode == 0, back.stderr
    assert alias(state, "apps") == {"aliasName": "live", "versionId": "2", "additionalVersionWeight": {}}
    assert run("release", "--canary", "10%").returncode == 0
    assert alias(state, "apps")["versionId"] == "2"
    assert alias(state, "apps")["additionalVersionWeight"] == {"4": 0.1}
    assert run("rollback").returncode == 0  # a canary on: withdrawn, the stable version keeps all
    assert alias(state, "apps") == {"aliasName": "live", "versionId": "2", "additionalVersionWeight": {}}
    assert run("release", "--canary", "0.5").returncode == 0
    assert run("release", "--promote").returncode == 0
    assert alias(state, "apps") == {"aliasName": "live", "versionId": "5", "additionalVersionWeight": {}}
    assert run("rollback", "--to", "1").returncode == 0
    assert alias(state, "apps")["versionId"] == "1"
    calls = json.loads(state.read_text())["calls"]
    assert ["apps", "deploy", "-y", "--trigger", "http"] in calls and ["domain", "deploy", "-y"] in calls


def test_a_failed_step_stops_the_release_with_its_command(fake_s: tuple[str, Path]) -> None:
    s_bin, state = fake_s
    done = _cli("rollback", "--function", "admin", "--s-bin", s_bin, state=state)
    assert done.returncode == 1
    assert "s admin alias get --alias-name live" in done.stderr and "AliasNotFound" in done.stderr
    assert "Traceback" not in done.stderr


def test_triggers_routes_and_async_config_serve_the_alias_and_pass_the_fc3_schema(tmp_path: Path) -> None:
    rendered = load_manifest(ROOT / "s.yaml", strict=False).rendered
    alias_name = rendered["vars"]["alias"]
    assert alias_name == "live"
    resources = rendered["resources"]
    triggers = [t for r in resources.values() for t in (r.get("props") or {}).get("triggers") or []]
    routes = resources["domain"]["props"]["routeConfig"]["routes"]
    assert len(triggers) == 4 and {t["qualifier"] for t in triggers} == {alias_name}
    assert len(routes) == 5 and {r["qualifier"] for r in routes} == {alias_name}
    assert resources["prewarm"]["props"]["asyncInvokeConfig"]["qualifier"] == alias_name
    # And validate refuses a trigger or route left on LATEST (it would bypass releases).
    raw = yaml.safe_load((ROOT / "s.yaml").read_text(encoding="utf-8"))
    raw["resources"]["apps"]["props"]["triggers"][0]["qualifier"] = "LATEST"
    raw["resources"]["domain"]["props"]["routeConfig"]["routes"][0]["qualifier"] = "LATEST"
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    from test_deploy import DEPLOY_ENV

    found = [
        p for p in validate(path, root=ROOT, env=DEPLOY_ENV, built=tmp_path / "nb").problems if "alias" in p
    ]
    assert any(p.startswith("apps.triggers[http]: qualifier 'LATEST'") for p in found), found
    assert any(p.startswith("domain: route /chat/* qualifier 'LATEST'") for p in found), found
