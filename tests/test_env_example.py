"""`.env.example` lists every setting with its default, every app id and every variable s.yaml reads."""

from __future__ import annotations

import re
from pathlib import Path

from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
LINES = dict(
    re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", (ROOT / ".env.example").read_text(encoding="utf-8"), re.M)
)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_every_setting_is_listed_with_its_default() -> None:
    for name, field in Settings.model_fields.items():
        assert name.upper() in LINES, name
        assert LINES[name.upper()] == _text(field.default), name
        # and the default written there parses back to the same setting
        assert getattr(Settings.from_env({name.upper(): LINES[name.upper()]}), name) == field.default


def test_every_app_id_and_every_s_yaml_variable_is_listed() -> None:
    assert {spec.app_id_setting for spec in CATALOGUE.values()} <= set(LINES)
    manifest_vars = set(re.findall(r"env\(\s*'([A-Z0-9_]+)'", (ROOT / "s.yaml").read_text(encoding="utf-8")))
    assert manifest_vars <= set(LINES), manifest_vars - set(LINES)


def test_the_example_holds_no_secret() -> None:
    for name in ("DASHSCOPE_API_KEY", "AUTH_JWT_SECRET"):
        assert LINES[name] == ""
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
