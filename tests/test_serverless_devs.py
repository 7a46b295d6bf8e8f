"""s.yaml through the real Serverless Devs CLI: ``s preview`` renders it, ``validate`` accepts the result.

``s preview`` runs offline: it renders ``${vars}``/``${env()}`` itself and loads no component.
``s plan``/``deploy``/``verify`` need the fc3 component from Serverless Devs' own registry, which is
not reachable here, so the fc3 schema check runs on preview's output with the schema we ship.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import serverless_devs

from bailian_fc_tools.builder.manifest import load_manifest
from bailian_fc_tools.deploy.validate import fake_env, validate

pytestmark = pytest.mark.node

ROOT = Path(__file__).resolve().parents[1]


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
    rendered = serverless_devs.preview(template, env, s_home)
    assert set(rendered["resources"]) == {"chat", "apps", "prewarm", "admin", "domain"}
    assert rendered["resources"]["apps"]["props"]["region"] == "cn-hangzhou"  # the env() default
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
