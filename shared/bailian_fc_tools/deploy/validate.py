"""``bailian-fc validate``: check s.yaml offline, before ``s deploy`` finds out the slow way.

``s deploy`` checks props against fc3's schema but only logs failures at debug level, and the schema
lets misspelled props and any trigger config through. So: render s.yaml (fake values for required
secrets) or read what ``s preview -o json`` rendered (``--rendered``), validate each fc3 resource's
props against the fc3 schema shipped in this package (``bailian_fc_tools/data/fc3-props.schema.json``,
MIT, devsapp/fc3; notice in ``data/NOTICE.md``), and add what the schema lacks: unknown keys
(``memorySzie``); trigger configs checked against their ``triggerType``'s definition
(``cronExpresion``, no ``methods``); FC's cron (``@every 5m`` or 6 fields, seconds first, optional
``CRON_TZ=``); custom runtimes' command and port; built-in handlers and initializers defined in
``functions/<name>/`` (and ``build/<name>/``, whose eager imports must resolve); ``code: ./build/<name>``,
``/code/python`` on PYTHONPATH, a ``bailian-fc build`` pre-deploy action; every route of the API
reachable with its method; no ``${...}``/``{{ }}`` left; every variable a function needs present and
taken from ``${env()}`` through ``vars``, never a literal.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bailian_fc_tools.builder.build import BUILD_INFO, RUNTIME_PYTHON, project_root
from bailian_fc_tools.builder.imports import check_imports
from bailian_fc_tools.builder.manifest import (
    Function,
    Manifest,
    ManifestError,
    from_rendered,
    load_manifest,
    parse_preview,
    route_matches,
)
from bailian_fc_tools.deploy.deploy_env import (
    check_build_matches,
    check_concurrency,
    check_function_env,
    check_https,
    missing_env,
)
from bailian_fc_tools.deploy.settings_check import check_settings, did_you_mean, grouped, zone_hint

# Shipped with the package (MIT, devsapp/fc3 src/schema.json; licence in data/NOTICE.md).
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "fc3-props.schema.json"
TRIGGER_DEFINITIONS = {
    "http": "IHttpTriggerConfig",
    "timer": "ITimerTriggerConfig",
    "oss": "IOssTriggerConfig",
    "log": "ILogTriggerConfig",
    "mns_topic": "IMnsTriggerConfig",
    "cdn_events": "ICdnTriggerConfig",
    "tablestore": "IOtsConfig",
    "eventbridge": "IEventBridge",
}
# The contract's routes (docs/contracts.md) as (method, sample path, function that must serve it).
DESIGN_ROUTES = [
    tuple(line.split())
    for line in """
    POST /chat/messages chat | GET /chat/conversations chat | GET /chat/conversations/c-1 chat
    DELETE /chat/conversations/c-1 chat | GET /apps apps | POST /apps/app2_finance apps | GET /clock apps
    GET /admin/runlogs admin | GET /admin/dashboard admin | GET /admin/triggers admin
    GET /admin/triggers/app2_prewarm admin | PUT /admin/triggers/app2_prewarm admin
    POST /admin/triggers/app2_prewarm/run admin | GET /admin/runtime-context admin
    PUT /admin/runtime-context admin | DELETE /admin/runtime-context admin | POST /admin/cache/purge admin
""".replace("|", "\n")
    .strip()
    .splitlines()
]
# Deploy wiring, not settings: literal or from other resources, never secret.
WIRING_ENV = {"PYTHONPATH", "PREWARM_FUNCTION_NAME", "PREWARM_FUNCTION_QUALIFIER"}
_EVERY = re.compile(r"^@every\s+(\d+[hm])+$")
_TZ = re.compile(r"^CRON_TZ=(\S+)\s+(.*)$")
_REQUIRED_ENV_CALL = re.compile(r"""env\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\)""")


@dataclass
class Result:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def required_env() -> dict[str, set[str]]:
    """The variables each function's settings need (app ids from the catalogue, by the apps it runs)."""
    from bailian_fc.catalogue.registry import CATALOGUE

    ids = {
        m: {spec.app_id_setting for spec in CATALOGUE.values() if spec.mode == m}
        for m in ("stream", "single")
    }
    base = {"STORE_URL", "BUSINESS_TZ", "BUSINESS_DAY_START"}
    auth = {"AUTH_JWT_SECRET", "AUTH_ISSUER", "AUTH_AUDIENCE"}
    upstream = {"DASHSCOPE_API_KEY", "DASHSCOPE_WORKSPACE"}
    data = {"DATA_URL"}  # venue data: App2/App3 and the prewarm's discovery
    return {
        "chat": base | auth | upstream | ids["stream"],
        "apps": base | auth | upstream | ids["single"] | data,
        "prewarm": base | upstream | ids["single"] | data,
        "admin": base | auth,
    }


def fake_env(manifest_path: Path) -> dict[str, str]:
    """Values for the ``${env('X')}`` calls without a default; defaults render as they are."""
    return {
        name: f"fake-{name.lower().replace('_', '-')}-0123456789abcdef0123456789"
        for name in _REQUIRED_ENV_CALL.findall(manifest_path.read_text(encoding="utf-8"))
    }


def load_schema(path: Path) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    # The schema marks all five provisionConfig keys required; the usual two-key form must pass.
    schema.get("definitions", {}).get("IProvisionConfig", {}).pop("required", None)
    return schema


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["definitions"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def unknown_keys(schema: dict[str, Any], node: dict[str, Any], value: Any, where: str) -> list[str]:
    """Keys of ``value`` not among the properties the schema lists (it never says additionalProperties)."""
    node = _resolve(schema, node)
    branches = [_resolve(schema, b) for b in node.get("anyOf", []) + node.get("oneOf", [])]
    props: dict[str, Any] = {k: v for b in [node, *branches] for k, v in b.get("properties", {}).items()}
    found: list[str] = []
    if isinstance(value, dict) and props:
        for key, item in value.items():
            if key not in props:
                found.append(f"{where}: unknown key {key!r}")
            elif not where.endswith("triggers[]") or key != "triggerConfig":  # checked by its type
                found += unknown_keys(schema, props[key], item, f"{where}.{key}")
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for item in value:
            found += unknown_keys(schema, node["items"], item, f"{where}[]")
    return found


def check_cron(expression: Any) -> str | None:
    """Why ``expression`` is not an FC timer cron, or None."""
    if not isinstance(expression, str):
        return "cronExpression must be a string"
    text = expression.strip()
    if tz := _TZ.match(text):
        try:
            ZoneInfo(tz.group(1))
        except Exception:
            return f"unknown CRON_TZ zone {tz.group(1)!r}{zone_hint(tz.group(1))}"
        text = tz.group(2).strip()
    if text.startswith("@"):
        return None if _EVERY.match(text) else f"{text!r}: FC accepts @every <n>m / <n>h here"
    if len(fields := text.split()) != 6:
        return f"{text!r} has {len(fields)} fields; FC wants 6 (seconds first: 'sec min hour dom month dow')"
    from croniter import croniter

    return (
        None
        if croniter.is_valid(text, second_at_beginning=True)
        else f"{text!r} is not a valid cron expression"
    )


def check_triggers(schema: dict[str, Any], function: Function) -> list[str]:
    import jsonschema

    where = f"{function.resource}.triggers"
    found: list[str] = []
    for trigger in function.triggers:
        name = f"{where}[{trigger.get('triggerName', '?')}]"
        kind, config = trigger.get("triggerType"), trigger.get("triggerConfig")
        if not isinstance(config, dict):
            found.append(f"{name}: triggerConfig must be an object")
            continue
        definition = TRIGGER_DEFINITIONS.get(str(kind))  # gap 2: triggerConfig's anyOf accepts any object
        if definition:
            node = {"$ref": f"#/definitions/{definition}", "definitions": schema["definitions"]}
            found += [
                f"{name}.triggerConfig: {e.message}"
                for e in jsonschema.Draft7Validator(node).iter_errors(config)
            ]
            found += unknown_keys(schema, node, config, f"{name}.triggerConfig")
        if kind == "http" and not config.get("methods"):
            found.append(f"{name}: an HTTP trigger needs a non-empty methods list")
        if kind == "timer" and "cronExpression" in config and (why := check_cron(config["cronExpression"])):
            found.append(f"{name}: {why}")
    return found


def defines(path: Path, name: str) -> bool:
    """Whether the module at ``path`` defines or imports ``name`` at top level (no import needed)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {a.asname or a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return name in names


def check_runtime(function: Function, root: Path, built: Path | None) -> list[str]:
    props, where = function.props, function.resource
    dirs = [root / function.source_dir, *([built / function.resource] if built else [])]
    dirs = [d for d in dirs if d == dirs[0] or d.is_dir()]  # a build dir is checked once it exists
    found: list[str] = []
    if function.is_web:
        config = props.get("customRuntimeConfig") or {}
        if not config.get("command"):
            found.append(f"{where}: a custom runtime needs customRuntimeConfig.command")
        if not isinstance(config.get("port"), int):
            found.append(f"{where}: a custom runtime needs customRuntimeConfig.port (an integer)")
        scripts = [a for a in [*config.get("command", []), *config.get("args", [])] if str(a).endswith(".py")]
        found += [f"{where}: {d}/{s} does not exist" for d in dirs for s in scripts if not (d / s).is_file()]
        return found
    initializer = ((props.get("instanceLifecycleConfig") or {}).get("initializer") or {}).get("handler")
    for label, ref in [
        ("handler", function.handler),
        *([("initializer", initializer)] if initializer else []),
    ]:
        module, _, attr = str(ref or "").rpartition(".")
        if not module or not attr:
            found.append(f"{where}: {label} {ref!r} is not 'file.function'")
            continue
        for directory in dirs:
            path = directory / f"{module.replace('.', '/')}.py"
            if not path.is_file():
                found.append(f"{where}: {label} {ref}: {path} does not exist")
            elif not defines(path, attr):
                found.append(f"{where}: {label} {ref}: {path} defines no {attr!r}")
    return found


def check_deploy_wiring(manifest: Manifest, function: Function, built: Path | None) -> list[str]:
    props, where = function.props, function.resource
    found: list[str] = []
    if function.code.rstrip("/") not in (f"./build/{where}", f"build/{where}"):
        found.append(f"{where}: code is {function.code!r}; `bailian-fc build` writes ./build/{where}")
    env = props.get("environmentVariables") or {}
    if "/code/python" not in str(env.get("PYTHONPATH", "")).split(":"):
        found.append(
            f"{where}: environmentVariables.PYTHONPATH must include /code/python (where deps are built)"
        )
    raw = manifest.raw
    hooks = [
        *(raw["resources"][where].get("actions") or {}).get("pre-deploy", []),
        *(raw.get("actions") or {}).get("pre-deploy", []),
    ]
    if not any("bailian-fc build" in str(h.get("run", "")) for h in hooks if isinstance(h, dict)):
        found.append(f"{where}: no pre-deploy action runs `bailian-fc build`")
    cpu, memory = props.get("cpu"), props.get("memorySize")
    if (
        isinstance(cpu, (int, float))
        and isinstance(memory, int)
        and cpu > 0
        and not 1 <= memory / 1024 / cpu <= 4
    ):
        found.append(f"{where}: memory/cpu is {memory / 1024 / cpu:.2f} GB per vCPU; FC3 wants 1 to 4")
    if built and (built / where / BUILD_INFO).is_file():  # a build dir: right Python, imports resolve
        built_py = json.loads((built / where / BUILD_INFO).read_text()).get("python_version")
        if RUNTIME_PYTHON.get(function.runtime) not in (None, built_py):
            found.append(
                f"{where}: built for Python {built_py}, {function.runtime} runs {RUNTIME_PYTHON[function.runtime]}"
            )
        found += [f"{where} (built): {p}" for p in check_imports(built / where)]
    return found


def check_environment(manifest: Manifest, function: Function) -> list[str]:
    where = function.resource
    needed = required_env().get(where, set())
    raw_env = (manifest.raw["resources"][where].get("props") or {}).get("environmentVariables") or {}
    raw_vars = (manifest.raw.get("vars") or {}).get("environment") or {}
    found = [f"{where}: environment lacks {name}" for name in sorted(needed - set(raw_env))]
    for name, value in raw_env.items():
        if name in WIRING_ENV:
            continue
        ref = re.fullmatch(r"\$\{\s*vars\.environment\.(\w+)\s*\}", str(value).strip())
        source = str(raw_vars.get(ref.group(1), "")) if ref else str(value)
        if not re.fullmatch(r"\$\{\s*env\(.*\)\s*\}", source.strip()):
            found.append(f"{where}: {name} must come from ${{env('{name}')}} through vars.environment")
    return found


def match_route(routes: list[dict[str, Any]], path: str) -> dict[str, Any] | None:
    """FC's choice: an exact path first, then the longest ``/prefix/*`` (which needs the slash)."""
    exact = [r for r in routes if r.get("path") == path]
    if exact:
        return exact[0]
    wild = [
        r
        for r in routes
        if str(r.get("path", "")).endswith("/*") and path != r["path"][:-2] and route_matches(r["path"], path)
    ]
    return max(wild, key=lambda r: len(r["path"]), default=None)


def check_routes(manifest: Manifest) -> list[str]:
    routes = [
        r
        for res in manifest.rendered["resources"].values()
        if str(res.get("component")).startswith("fc3-domain")
        for r in (res.get("props") or {}).get("routeConfig", {}).get("routes", [])
    ]
    by_name = {f.name: f for f in manifest.functions.values()}
    found: list[str] = []
    for method, path, expected in DESIGN_ROUTES:
        route = match_route(routes, path)
        if route is None:
            found.append(f"route {method} {path}: no custom-domain route matches")
            continue
        function = by_name.get(route.get("functionName", ""))
        if function is None or function.resource != expected:
            found.append(f"route {method} {path}: goes to {route.get('functionName')!r}, not {expected}")
            continue
        if method not in (route.get("methods") or []):
            found.append(f"route {method} {path}: domain route {route['path']} does not allow {method}")
        if not any(
            method in ((t.get("triggerConfig") or {}).get("methods") or [])
            for t in function.triggers
            if t.get("triggerType") == "http"
        ):
            found.append(f"route {method} {path}: {expected} has no HTTP trigger allowing {method}")
    return found


def check_alias(manifest: Manifest) -> list[str]:
    """Triggers, routes and async configs serve the release alias (``vars.alias``): one left on LATEST
    or another qualifier would bypass ``bailian-fc release`` and ``rollback``."""
    alias = (manifest.rendered.get("vars") or {}).get("alias")
    if not alias:
        return ["vars.alias is not set: triggers and routes must serve the release alias (e.g. live)"]
    found = []
    for function in manifest.functions.values():
        for trigger in function.triggers:
            if trigger.get("qualifier") != alias:
                found.append(
                    f"{function.resource}.triggers[{trigger.get('triggerName')}]: qualifier "
                    f"{trigger.get('qualifier', 'LATEST')!r}, not the release alias {alias!r} (${{vars.alias}})"
                )
        async_config = function.props.get("asyncInvokeConfig")
        if isinstance(async_config, dict) and async_config.get("qualifier") != alias:
            found.append(
                f"{function.resource}.asyncInvokeConfig: qualifier is not the release alias {alias!r}"
            )
    for name, res in manifest.rendered["resources"].items():
        if str(res.get("component", "")).startswith("fc3-domain"):
            for route in (res.get("props") or {}).get("routeConfig", {}).get("routes", []):
                if route.get("qualifier") != alias:
                    found.append(
                        f"{name}: route {route.get('path')} qualifier {route.get('qualifier', 'LATEST')!r}, "
                        f"not the release alias {alias!r} (${{vars.alias}})"
                    )
    return found


def leftovers(value: Any, where: str) -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in leftovers(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in leftovers(v, f"{where}[{i}]")]
    if isinstance(value, str) and ("${" in value or "{{" in value):
        return [f"{where}: unrendered placeholder in {value!r}"]
    return []


def check_schema(schema: dict[str, Any], function: Function) -> list[str]:
    """fc3's schema on the props, then the unknown keys it lets through (props and each trigger)."""
    import jsonschema

    found = []
    for error in jsonschema.Draft7Validator(schema).iter_errors(function.props):
        at = ".".join(str(p) for p in error.absolute_path) or "props"
        if error.validator == "enum" and isinstance(error.instance, str):  # not 26 names: the close ones
            if at == "region":
                continue  # the same FC_REGION in every function: fc_region_problems reports it once
            hint = did_you_mean(error.instance, error.validator_value)
            found.append(f"{function.resource}.{at}: {error.instance!r} is not an fc3 {at}{hint}")
            continue
        found.append(f"{function.resource}.{at}: {error.message}")
    found += unknown_keys(schema, {"properties": schema["properties"]}, function.props, function.resource)
    found += [
        p
        for t in function.triggers
        for p in unknown_keys(
            schema, {"$ref": "#/definitions/ITrigger"}, t, f"{function.resource}.triggers[]"
        )
    ]
    return found


def validate(
    manifest_path: Path | None = None,
    *,
    root: Path | None = None,
    env: dict[str, str] | None = None,
    schema_path: Path | None = None,
    built: Path | None = None,
    rendered: dict[str, Any] | None = None,
) -> Result:
    """Every check; ``built`` defaults to ``<root>/build`` when that directory exists.

    ``env`` is the environment ``s deploy`` would run with (default: this process's); a required
    ``${env()}`` missing there is a problem, then rendered with a fake value so the other checks run.
    ``rendered`` is s.yaml as another renderer produced it (``s preview -o json``).
    """
    root = root or project_root()
    manifest_path = manifest_path or root / "s.yaml"
    built = built if built is not None else (root / "build" if (root / "build").is_dir() else None)
    deploy_env = dict(os.environ if env is None else env)
    result = Result()
    if rendered is None:
        result.problems += missing_env(manifest_path, deploy_env)
    render_env = {**fake_env(manifest_path), **{k: v for k, v in deploy_env.items() if v}}
    try:
        manifest = (
            from_rendered(manifest_path, rendered)
            if rendered is not None
            else load_manifest(manifest_path, env=render_env)
        )
    except (ManifestError, KeyError, TypeError, AttributeError) as exc:
        result.problems.append(f"s.yaml does not render: {exc}")
        return result
    result.problems += leftovers(manifest.rendered["resources"], "resources")
    schema = load_schema(schema_path or SCHEMA_PATH)
    shared: list[tuple[str, str]] = []  # problems of a value several functions get: reported once
    for function in manifest.functions.values():
        result.problems += check_schema(schema, function)
        result.problems += check_triggers(schema, function)
        result.problems += check_runtime(function, root, built)
        result.problems += check_deploy_wiring(manifest, function, built)
        result.problems += check_environment(manifest, function)
        shared += check_function_env(function)
        result.problems += check_concurrency(function)
        result.problems += check_build_matches(function, built, root)
    result.problems += grouped(shared)
    result.problems += check_settings(manifest.functions.values(), required_env(), schema)
    result.problems += check_routes(manifest)
    result.problems += check_alias(manifest)
    result.problems += check_https(manifest.rendered["resources"])
    from bailian_fc_tools.db.venue_network import (  # DATA_URL, VPC, login
        check_data_login,
        check_venue_network,
    )

    result.problems += check_venue_network(manifest_path, render_env)
    problems, notes = check_data_login(render_env.get("DATA_URL", ""))
    result.problems += problems
    result.notes += notes
    return result


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "validate",
        help="check s.yaml offline (fc3 schema + the checks it lacks)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--manifest", type=Path, default=None, help="s.yaml to check (default: the project's)"
    )
    parser.add_argument(
        "--rendered",
        type=Path,
        default=None,
        metavar="JSON",
        help="check this rendering of the manifest instead (`s preview -o json > FILE`; log lines "
        "around the JSON, such as s's WARN as root, are skipped)",
    )
    parser.add_argument(
        "--schema",
        type=Path,
        default=None,
        help="fc3 props schema (default: the copy shipped in bailian_fc_tools/data/)",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    rendered = None
    if args.rendered is not None:
        try:
            rendered = parse_preview(args.rendered.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"validate: --rendered {args.rendered}: {exc}", file=sys.stderr)
            return 2
    result = validate(args.manifest, schema_path=args.schema, rendered=rendered)
    for note in result.notes:
        print(f"validate: note: {note}", file=sys.stderr)
    for problem in result.problems:
        print(f"validate: {problem}")
    print(f"validate: {len(result.problems) or 'no'} problem(s)", file=sys.stderr)
    return 1 if result.problems else 0
