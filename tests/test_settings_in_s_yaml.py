"""Every setting a function reads reaches it on FC: s.yaml passes it, with .env.example's default.

Driven by settings.py and the code, not a list: a function "reads" a setting when a module it can
import (any import statement, function-local ones included, from ``functions/<name>/*.py`` through
``bailian_fc``, the runtime package) mentions ``.<field>``. So a setting added to settings.py and used by a
function fails here until s.yaml hands it to that function.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from bailian_fc.scheduled import housekeeping
from bailian_fc.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "shared"
RAW = yaml.safe_load((ROOT / "s.yaml").read_text(encoding="utf-8"))
EXAMPLE = dict(
    re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", (ROOT / ".env.example").read_text(encoding="utf-8"), re.M)
)
_ENV_CALL = re.compile(r"""^\$\{env\('([A-Z0-9_]+)'(?:,\s*'([^']*)')?\)\}$""")


def _module_file(name: str) -> Path | None:
    path = PACKAGE.joinpath(*name.split("."))
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path, module: str) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            found |= {target, *(f"{target}.{alias.name}" for alias in node.names)}
    return {n for n in found if n.startswith("bailian_fc") and not n.startswith("bailian_fc_tools")}


def reachable(function: str) -> list[Path]:
    queue = [m for entry in (ROOT / "functions" / function).glob("*.py") for m in _imports(entry, entry.stem)]
    seen: dict[str, Path | None] = {}
    while queue:
        name = queue.pop()
        if name not in seen:
            seen[name] = path = _module_file(name)
            queue += sorted(_imports(path, name)) if path else []
    return sorted({p for p in seen.values() if p})


def settings_read_by(function: str) -> set[str]:
    paths = reachable(function)
    text = "\n".join(p.read_text(encoding="utf-8") for p in paths)
    read = {name.upper() for name in Settings.model_fields if re.search(rf"\.{name}\b", text)}
    if Path(housekeeping.__file__).resolve() in {p.resolve() for p in paths}:
        read |= retention_settings()  # the rules name their period's setting; housekeeping reads it
    return read


def retention_settings() -> set[str]:
    """The settings the rooms' retention rules name (``RetentionRule.setting``)."""
    return {rule.setting.upper() for room in housekeeping.ROOMS for rule in room if rule.setting}


FUNCTIONS = [
    n for n, r in RAW["resources"].items() if str(r.get("component")).startswith("fc3") and n != "domain"
]


# Text the scan finds in a reachable module that the function never runs. The prewarm serves no HTTP
# route: it reaches auth.py only for require_role (through the apps' service), never builds an
# Authenticator, and so must not hold the JWT secrets.
NOT_READ = {
    "prewarm": {"AUTH_AUDIENCE", "AUTH_ISSUER", "AUTH_JWT_KID", "AUTH_JWT_KID_PREVIOUS", "AUTH_JWT_SECRET",
                "AUTH_JWT_SECRET_PREVIOUS"},
}  # fmt: skip


@pytest.mark.parametrize("function", FUNCTIONS)
def test_s_yaml_passes_every_setting_the_function_reads(function: str) -> None:
    read = settings_read_by(function) - NOT_READ.get(function, set())
    assert {"STORE_URL"} <= read  # the scan sees through the entry files
    passed = set(RAW["resources"][function]["props"]["environmentVariables"])
    assert read <= passed, f"{function} reads {sorted(read - passed)} but s.yaml does not pass them"


def test_every_retention_rule_names_a_setting_the_housekeeping_function_is_passed() -> None:
    assert retention_settings() >= {"RETENTION_RUN_LOG_DAYS", "RETENTION_AUDIT_DAYS", "RETENTION_TMP_HOURS"}
    assert retention_settings() <= {name.upper() for name in Settings.model_fields}
    runs_housekeeping = [f for f in FUNCTIONS if retention_settings() <= settings_read_by(f)]
    assert runs_housekeeping == ["prewarm"]


def test_each_passed_setting_defaults_as_in_env_example() -> None:
    environment = RAW["vars"]["environment"]
    settings = {name.upper() for name in Settings.model_fields}
    for function in FUNCTIONS:
        for name, value in RAW["resources"][function]["props"]["environmentVariables"].items():
            if name not in settings:
                continue
            assert value == f"${{vars.environment.{name}}}", (function, name)
            call = _ENV_CALL.match(str(environment[name]))
            assert call and call.group(1) == name, environment[name]
            default = call.group(2)
            if default is not None:  # no default: required (a secret or STORE_URL), validate checks it
                assert default == EXAMPLE[name], (
                    f"{name}: s.yaml default {default!r}, .env.example {EXAMPLE[name]!r}"
                )


def test_every_setting_in_env_example_reaches_some_function() -> None:
    read = set().union(*(settings_read_by(f) for f in FUNCTIONS))
    tunable = {name.upper() for name in Settings.model_fields} & set(EXAMPLE)
    assert tunable - read == set(), "settings no function reads (drop them, or pass them in s.yaml)"
