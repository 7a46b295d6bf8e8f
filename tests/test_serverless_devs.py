"""s.yaml through the real Serverless Devs CLI: ``s preview`` renders it, ``validate`` accepts the result.

``s preview`` runs offline: it renders ``${vars}``/``${env()}`` itself and loads no component.
``s plan``/``deploy``/``verify`` need the fc3 component from Serverless Devs' own registry, which is
not reachable here, so the fc3 schema check runs on preview's output with the schema we ship.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import serverless_devs

from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc_tools.builder.manifest import load_manifest
from bailian_fc_tools.deploy.validate import fake_env, validate

pytestmark = pytest.mark.node

ROOT = Path(__file__).resolve().parents[1]
APP_IDS = {spec.app_id_setting: f"app-{spec.key}" for spec in CATALOGUE.values()}


@pytest.fixture(scope="session")
def s_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    serverless_devs.ensure_cli()
    return tmp_path_factory.mktemp("s-home")


def _copy(tmp_path: Path, edit: Any = None) -> Path:
    text = (ROOT / "s.yaml").read_text(encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(edit(text) if edit else text, encoding="utf-8")
    return path


def test_s_preview_renders_s_yaml_into_props_that_pass_validate(tmp_path: Path, s_home: Path) -> None:
    template = _copy(tmp_path)
    env = fake_env(template)  # placeholders for the ${env()} calls without a default
    assert {"DASHSCOPE_API_KEY", "AUTH_JWT_SECRET", "STORE_URL"} <= set(env)
    env |= APP_IDS  # an empty app id is a problem (unless its app is in BAILIAN_APPS_DISABLED)
    rendered = serverless_devs.preview(template, env, s_home)
    assert set(rendered["resources"]) == {"chat", "apps", "prewarm", "admin", "domain"}
    assert rendered["resources"]["apps"]["props"]["region"] == "cn-hangzhou"  # the env() default
    # Releases: every trigger and route serves the alias, as s renders it (bailian-fc release moves it).
    routes = rendered["resources"]["domain"]["props"]["routeConfig"]["routes"]
    triggers = [t for r in rendered["resources"].values() for t in r["props"].get("triggers", [])]
    assert {x["qualifier"] for x in [*routes, *triggers]} == {"live"} and len(triggers) == 4
    result = validate(template, root=ROOT, built=tmp_path / "no-build", rendered=rendered)
    assert result.problems == []


def test_our_rendering_matches_serverless_devs(tmp_path: Path, s_home: Path) -> None:
    """dev and validate read s.yaml with our renderer; it must agree with the tool that deploys."""
    template = _copy(tmp_path)
    env = {**fake_env(template), "FC_REGION": "cn-shanghai", "BAILIAN_APP_ID_APP2_FINANCE": "app-2"}
    theirs = serverless_devs.preview(template, env, s_home)
    ours = load_manifest(template, env=env).rendered
    assert ours["resources"] == theirs["resources"]


def test_a_typo_rendered_by_s_preview_fails_validate(tmp_path: Path, s_home: Path) -> None:
    template = _copy(tmp_path, lambda t: t.replace("      memorySize: 512\n", "      memorySzie: 512\n", 1))
    rendered = serverless_devs.preview(template, fake_env(template), s_home)
    problems = validate(template, root=ROOT, built=tmp_path / "no-build", rendered=rendered).problems
    assert any("unknown key 'memorySzie'" in p for p in problems), problems


def test_validate_reads_s_preview_output_as_the_docs_run_it(tmp_path: Path, s_home: Path) -> None:
    """``s preview -o json > r.json && bailian-fc validate --rendered r.json``: without --silent (and as
    root, which CI is, with a WARN line before the JSON)."""
    template = _copy(tmp_path)
    out = serverless_devs.preview_output(template, fake_env(template) | APP_IDS, s_home, silent=False)
    if os.geteuid() == 0:
        assert out.splitlines()[0].startswith("[") and "WARN" in out.splitlines()[0], out[:200]
    (tmp_path / "r.json").write_text(out, encoding="utf-8")
    rendered = ["--rendered", str(tmp_path / "r.json")]
    done = subprocess.run(
        [sys.executable, "-m", "bailian_fc_tools.cli", "validate", "--manifest", str(template), *rendered],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": os.environ.get("PYTHONPATH", "")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
