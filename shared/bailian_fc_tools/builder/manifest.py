"""Reading ``s.yaml``: render its ``${...}`` variables and list functions and routes.

``bailian-fc dev`` serves what this reads, and the deploy checks validate the same
rendering, so local and cloud cannot drift. Supported magic variables (the subset
Serverless Devs documents that a static reader can resolve): ``${vars.x}``,
``${env('X')}`` / ``${env('X', 'default')}``, ``${json(env(...))}`` (parsed, keeping its type, as
Serverless Devs' ``json()`` does), and ``${resources.NAME.props.KEY}``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_VAR = re.compile(r"\$\{\s*([^{}]+?)\s*\}")
_JSON = re.compile(r"^json\((.*)\)$")
_ENV = re.compile(r"""^env\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]*)['"]\s*)?\)$""")


class ManifestError(ValueError):
    pass


@dataclass
class Function:
    resource: str
    name: str
    runtime: str
    code: str
    handler: str | None
    props: dict[str, Any]
    triggers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_web(self) -> bool:
        return self.runtime.startswith("custom")

    @property
    def source_dir(self) -> str:
        """Where the function's source lives in the repo (``code:`` points at the build output)."""
        return f"functions/{self.resource}"


@dataclass
class Manifest:
    path: Path
    raw: dict[str, Any]
    rendered: dict[str, Any]
    functions: dict[str, Function]
    routes: list[tuple[str, str]]  # (path pattern, resource name), in manifest order


def render(value: Any, context: dict[str, Any], env: dict[str, str]) -> Any:
    """Substitute ``${...}`` in ``value``; ``env`` may be a :class:`LenientEnv` for local reads."""
    if isinstance(value, dict):
        return {k: render(v, context, env) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, context, env) for v in value]
    if not isinstance(value, str):
        return value
    whole = _VAR.fullmatch(value.strip())
    if whole:  # a value that is only one variable keeps its type
        return _resolve(whole.group(1), context, env)
    return _VAR.sub(lambda m: str(_resolve(m.group(1), context, env)), value)


def _resolve(expr: str, context: dict[str, Any], env: dict[str, str]) -> Any:
    json_match = _JSON.match(expr)
    if json_match:
        text = _resolve(json_match.group(1).strip(), context, env)
        try:
            return json.loads(text)
        except (TypeError, ValueError) as exc:
            raise ManifestError(f"${{{expr}}}: {text!r} is not JSON") from exc
    env_match = _ENV.match(expr)
    if env_match:
        name, default = env_match.groups()
        value = env.get(name)
        if value is not None:
            return value
        if default is not None:
            return default
        if isinstance(env, LenientEnv):
            return ""
        raise ManifestError(f"environment variable {name} is not set (s.yaml uses ${{env('{name}')}})")
    node: Any = context
    for part in expr.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ManifestError(f"cannot resolve ${{{expr}}}")
        node = node[part]
    if isinstance(node, str) and _VAR.search(node):
        node = render(node, context, env)
    return node


class LenientEnv(dict[str, str]):
    """An environment where unset variables read as "" (for ``dev``, which needs names, not secrets)."""


def load_manifest(
    path: str | os.PathLike[str] = "s.yaml", env: dict[str, str] | None = None, strict: bool = True
) -> Manifest:
    """Read and render ``s.yaml``; ``strict=False`` renders unset ``${env()}`` as "" instead of failing."""
    path = Path(path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or str(raw.get("edition")) != "3.0.0":
        raise ManifestError(f"{path} is not a Serverless Devs 3.0.0 manifest")
    env = dict(os.environ if env is None else env)
    if not strict:
        env = LenientEnv(env)
    context = {"vars": render(raw.get("vars") or {}, {}, env), "resources": raw.get("resources") or {}}
    rendered = {**raw, "vars": context["vars"], "resources": {}}
    for name, resource in (raw.get("resources") or {}).items():
        rendered["resources"][name] = render(resource, context, env)
    functions = _functions(rendered["resources"])
    return Manifest(path, raw, rendered, functions, _routes(rendered["resources"], functions))


def from_rendered(path: str | os.PathLike[str], rendered: dict[str, Any]) -> Manifest:
    """A manifest whose rendering another tool did (``s preview -o json``); ``raw`` is still read from ``path``."""
    path = Path(path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(rendered, dict) or not isinstance(rendered.get("resources"), dict):
        raise ManifestError("the rendered manifest has no resources")
    functions = _functions(rendered["resources"])
    return Manifest(path, raw, rendered, functions, _routes(rendered["resources"], functions))


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def first_json(text: str, accept: Any = None) -> Any:
    """The first JSON object or array that opens a line of ``text`` (and that ``accept`` takes), past
    any log lines and ANSI colour ``s`` prints around it; None when there is none."""
    text = _ANSI.sub("", text)
    decoder = json.JSONDecoder()
    for match in re.finditer(r"^[ \t]*[{\[]", text, re.M):
        try:
            value, _ = decoder.raw_decode(text, match.end() - 1)
        except ValueError:
            continue
        if accept is None or accept(value):
            return value
    return None


def parse_preview(text: str) -> dict[str, Any]:
    """The manifest in what ``s preview -o json`` printed: it may put log lines around the JSON (as root,
    ``[…][WARN][s_cli] It is not recommended to run the command as root user.`` comes first) and colour
    them. The first line opening a JSON object that holds ``resources`` is the rendering."""
    value = first_json(text, lambda v: isinstance(v, dict) and isinstance(v.get("resources"), dict))
    if value is not None:
        return dict(value)
    first = next((line for line in _ANSI.sub("", text).splitlines() if line.strip()), "")
    raise ManifestError(
        "no rendered manifest (a JSON object with resources) in the s preview output"
        + (f"; it begins {first[:120]!r}" if first else "; it is empty")
    )


def _functions(resources: dict[str, Any]) -> dict[str, Function]:
    out = {}
    for name, res in resources.items():
        props = res.get("props") or {}
        if res.get("component", "").split("@")[0] != "fc3":
            continue
        out[name] = Function(
            resource=name,
            name=props["functionName"],
            runtime=props["runtime"],
            code=str(props.get("code", "")),
            handler=props.get("handler"),
            props=props,
            triggers=props.get("triggers") or [],
        )
    return out


def _routes(resources: dict[str, Any], functions: dict[str, Function]) -> list[tuple[str, str]]:
    by_name = {f.name: f.resource for f in functions.values()}
    routes = []
    for res in resources.values():
        if res.get("component", "").split("@")[0] != "fc3-domain":
            continue
        for route in (res.get("props") or {}).get("routeConfig", {}).get("routes", []):
            if route.get("functionName") not in by_name:
                raise ManifestError(
                    f"domain route {route.get('path')} names unknown function {route.get('functionName')}"
                )
            routes.append((route["path"], by_name[route["functionName"]]))
    return routes


def route_matches(pattern: str, path: str) -> bool:
    """FC custom-domain path matching: exact, or ``/prefix/*`` for everything under it."""
    if pattern.endswith("/*"):
        base = pattern[:-2]
        return path == base or path.startswith(base + "/")
    return path == pattern
