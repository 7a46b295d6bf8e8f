"""The deploy path: s.yaml validation, `bailian-fc build` code dirs, `bailian-fc invoke` in fresh processes.

The build tests need PyPI once; wheels are cached in build/.wheels (git-ignored), so reruns resolve
offline in seconds.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from certs import self_signed
from support import SECRET

from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc_tools.builder import build as build_mod
from bailian_fc_tools.builder.imports import check_imports
from bailian_fc_tools.builder.manifest import load_manifest
from bailian_fc_tools.builder.slim import find_interpreter
from bailian_fc_tools.deploy.validate import SCHEMA_PATH, check_cron, match_route, validate

ROOT = Path(__file__).resolve().parents[1]
RAW = yaml.safe_load((ROOT / "s.yaml").read_text(encoding="utf-8"))
# The environment `s deploy` would run with (validate checks it: tests/test_validate_deploy_env.py).
CERT_PEM, KEY_PEM = self_signed("ai.venue.example.cn")
DEPLOY_ENV = {
    "DASHSCOPE_API_KEY": "sk-0123456789abcdef",
    "STORE_URL": "oss://bailian-bucket/prod?endpoint=https://oss-cn-hangzhou-internal.aliyuncs.com",
    "AUTH_JWT_SECRET": "x" * 48,
    "BAILIAN_FC_DOMAIN": "ai.venue.example.cn",
    "BAILIAN_FC_CERT_PEM": CERT_PEM,
    "BAILIAN_FC_CERT_KEY_PEM": KEY_PEM,
    # Every app id: an empty one is a problem unless its app is in BAILIAN_APPS_DISABLED.
    **{spec.app_id_setting: f"app-{spec.key}" for spec in CATALOGUE.values()},
}


def _validate_mutated(tmp_path: Path, mutate: Any) -> list[str]:
    raw = copy.deepcopy(RAW)
    mutate(raw)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return validate(path, root=ROOT, env=DEPLOY_ENV, built=tmp_path / "no-build").problems


# -- s.yaml ---------------------------------------------------------------------------------------


def test_s_yaml_validates_clean(tmp_path: Path) -> None:
    result = validate(
        root=ROOT, env=DEPLOY_ENV, built=tmp_path / "no-build"
    )  # a local build/ is checked by the build tests
    assert result.problems == [] and result.notes == []


def test_schema_ships_inside_the_package_with_its_licence() -> None:
    data = SCHEMA_PATH.parent
    assert SCHEMA_PATH.is_relative_to(ROOT / "shared" / "bailian_fc_tools")
    assert json.loads(SCHEMA_PATH.read_text())["properties"]["memorySize"]["multipleOf"] == 64
    notice = (data / "NOTICE.md").read_text()
    assert "MIT License" in notice and "Copyright (c) 2020 Serverless Devs" in notice
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'bailian_fc_tools = ["data/*.json", "data/*.md"]' in pyproject


def test_readme_typo_fails_validate_on_a_fresh_copy_of_s_yaml(tmp_path: Path) -> None:
    """The README's example, run as a user would: a copy of the project outside this checkout's parent."""
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in ("s.yaml", "pyproject.toml"):
        (clone / name).write_bytes((ROOT / name).read_bytes())
    import shutil

    shutil.copytree(ROOT / "functions", clone / "functions", ignore=shutil.ignore_patterns("__pycache__"))
    text = (clone / "s.yaml").read_text(encoding="utf-8")
    assert "      memorySize: 512\n" in text
    (clone / "s.yaml").write_text(text.replace("      memorySize: 512\n", "      memorySzie: 512\n", 1))
    run = subprocess.run(
        [sys.executable, "-m", "bailian_fc_tools.cli", "validate"],
        cwd=clone,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT / "shared")},
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "unknown key 'memorySzie'" in run.stdout
    assert "skipped" not in run.stderr


def test_manifest_lists_four_functions_with_their_runtimes_and_routes() -> None:
    manifest = load_manifest(ROOT / "s.yaml", strict=False)
    assert {f: (fn.runtime, fn.code) for f, fn in manifest.functions.items()} == {
        "chat": ("custom.debian10", "./build/chat"),
        "apps": ("python3.10", "./build/apps"),
        "prewarm": ("python3.10", "./build/prewarm"),
        "admin": ("python3.10", "./build/admin"),
    }
    assert ("/chat/*", "chat") in manifest.routes and ("/clock", "apps") in manifest.routes
    timer = manifest.functions["prewarm"].triggers[0]["triggerConfig"]
    assert timer["cronExpression"] == "@every 5m" and json.loads(timer["payload"]) == {"source": "timer"}


def _set(path: str, value: Any) -> Any:
    def mutate(raw: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = raw
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return mutate


_DELETE = object()
PREWARM_TIMER = "resources.prewarm.props.triggers.0.triggerConfig"


def _rename_cron(raw: dict[str, Any]) -> None:
    config = raw["resources"]["prewarm"]["props"]["triggers"][0]["triggerConfig"]
    config["cronExpresion"] = config.pop("cronExpression")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(
            _set("resources.apps.props.memorySzie", 512), "unknown key 'memorySzie'", id="misspelled-prop"
        ),
        pytest.param(_rename_cron, "cronExpression", id="timer-cronExpresion"),
        pytest.param(
            _set("resources.admin.props.triggers.0.triggerConfig.methods", _DELETE),
            "methods",
            id="http-without-methods",
        ),
        pytest.param(
            _set("resources.apps.props.handler", "main.handler"),
            "functions/apps/main.py does not exist",
            id="missing-handler-file",
        ),
        pytest.param(
            _set("resources.admin.props.instanceLifecycleConfig.initializer.handler", "index.init"),
            "defines no 'init'",
            id="initializer-not-defined",
        ),
        pytest.param(
            _set(f"{PREWARM_TIMER}.cronExpression", "0 */5 * * *"), "FC wants 6", id="cron-5-fields"
        ),
        pytest.param(
            _set(f"{PREWARM_TIMER}.cronExpression", "CRON_TZ=Mars/Base 0 0 8 * * *"),
            "unknown CRON_TZ",
            id="cron-bad-zone",
        ),
        pytest.param(
            _set("resources.chat.props.customRuntimeConfig.port", _DELETE),
            "customRuntimeConfig.port",
            id="custom-without-port",
        ),
        pytest.param(
            _set("resources.admin.props.environmentVariables.AUTH_JWT_SECRET", "hunter2"),
            "must come from ${env('AUTH_JWT_SECRET')}",
            id="literal-secret",
        ),
        pytest.param(
            _set("resources.apps.props.environmentVariables.STORE_URL", _DELETE),
            "lacks STORE_URL",
            id="missing-env",
        ),
        pytest.param(
            _set("resources.domain.props.routeConfig.routes.1.path", "/apps-list"),
            "GET /apps: no custom-domain route",
            id="route-unreachable",
        ),
        pytest.param(
            _set("resources.domain.props.routeConfig.routes.4.methods", ["GET"]),
            "does not allow PUT",
            id="route-method",
        ),
        pytest.param(_set("resources.apps.props.code", "./src/apps"), "writes ./build/apps", id="code-dir"),
        pytest.param(_set("resources.apps.actions", _DELETE), "pre-deploy", id="no-pre-deploy"),
        pytest.param(
            _set("resources.admin.props.description", "{{ projectName }}"),
            "unrendered placeholder",
            id="template-leftover",
        ),
        pytest.param(_set("resources.apps.props.memorySize", 100), "multiple of 64", id="schema-range"),
    ],
)
def test_validate_catches(tmp_path: Path, mutate: Any, expected: str) -> None:
    problems = _validate_mutated(tmp_path, mutate)
    assert any(expected in p for p in problems), problems


def test_fc_cron_forms() -> None:
    for ok in (
        "@every 5m",
        "@every 1h",
        "0 0 4 * * *",
        "CRON_TZ=Asia/Shanghai 0 30 7 * * *",
        "0 0/5 * * * *",
    ):
        assert check_cron(ok) is None, ok
    for bad in ("@daily", "@every 5s", "0 0 4 * *", "0 0 25 * * *", "CRON_TZ= 0 0 4 * * *"):
        assert check_cron(bad) is not None, bad


def test_domain_matching_is_exact_first_then_longest_prefix() -> None:
    routes = [
        {"path": "/apps/*", "functionName": "a"},
        {"path": "/apps", "functionName": "b"},
        {"path": "/apps/x/*", "functionName": "c"},
    ]
    assert (match_route(routes, "/apps") or {}).get("functionName") == "b"
    assert (match_route(routes, "/apps/x/y") or {}).get("functionName") == "c"
    assert match_route(routes[:1], "/apps") is None  # `/apps/*` needs the slash


def test_every_http_event_reaches_its_function() -> None:
    manifest = load_manifest(ROOT / "s.yaml", strict=False)
    domain = manifest.rendered["resources"]["domain"]["props"]["routeConfig"]["routes"]
    by_name = {f.name: f.resource for f in manifest.functions.values()}
    events = sorted((ROOT / "events").glob("*.json"))
    assert {p.name.split("-")[0] for p in events} == {"chat", "apps", "prewarm", "admin"}
    for path in events:
        event = json.loads(path.read_text(encoding="utf-8"))
        if "requestContext" not in event:
            continue
        http = event["requestContext"]["http"]
        route = match_route(domain, event["rawPath"])
        assert route and by_name[route["functionName"]] == path.name.split("-")[0], path.name
        assert http["method"] in route["methods"] and http["path"] == event["rawPath"], path.name
        assert event["headers"]["Authorization"] == "Bearer ${TOKEN}"


# -- build ----------------------------------------------------------------------------------------


def test_requirements_table_splits_pyproject_by_function() -> None:
    project = build_mod.read_pyproject(ROOT)
    names = {
        f: {build_mod._req_name(r) for r in build_mod.requirements_for(f, project, "file")}
        for f in build_mod.EXCLUDED_DEPS
    }
    everything = {build_mod._req_name(r) for r in project["project"]["dependencies"]} - {
        "packaging"
    }  # tooling
    # PyYAML is tooling's; dashscope's import of it is a stand-in (slim.STUBS)
    assert names["chat"] == everything - {"croniter", "pyyaml"}
    assert names["apps"] == everything - {"starlette", "uvicorn", "croniter", "pyyaml"}
    assert names["prewarm"] == everything - {"starlette", "uvicorn", "pyyaml"}
    assert not names["admin"] & {"dashscope", "httpx", "sniffio", "starlette", "uvicorn", "pyyaml", "tomli"}
    oss = {build_mod._req_name(r) for r in build_mod.requirements_for("admin", project, "oss")}
    assert oss - names["admin"] == {"oss2"}
    ots = {build_mod._req_name(r) for r in build_mod.requirements_for("chat", project, "ots")}
    assert ots - names["chat"] == {"tablestore"}


def test_import_check_follows_module_level_imports_only(tmp_path: Path) -> None:
    code = tmp_path / "code"
    (code / "python" / "pkg").mkdir(parents=True)
    (code / "python" / "present").mkdir()
    (code / "index.py").write_text("from pkg.a import handler\n")
    (code / "python" / "pkg" / "__init__.py").write_text("")
    (code / "python" / "pkg" / "a.py").write_text(
        textwrap.dedent("""
        from typing import TYPE_CHECKING
        import present
        from . import b
        if TYPE_CHECKING:
            import uvicorn
        try:
            import ujson
        except ImportError:
            ujson = None
        def handler(event, context):
            import dashscope
    """)
    )
    (code / "python" / "pkg" / "b.py").write_text("import starlette.types\nfrom .gone import x\n")
    problems = check_imports(code, first_party=("pkg",))
    assert len(problems) == 2, problems
    assert "'starlette'" in problems[0] and "index -> pkg.a -> pkg.b" in problems[0]
    assert "pkg.gone does not exist" in problems[1]


def _build(out: Path, version: str) -> Path:
    """``bailian-fc build admin`` into ``out``; the code dir it wrote."""
    lock = [] if version == "3.10" else ["--no-lock"]  # requirements/functions.lock is for FC's 3.10
    done = _cli(
        "build",
        "admin",
        "--out",
        str(out),
        "--python-version",
        version,
        "--store",
        "file",
        *lock,
        timeout=170,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"^admin\s+\d+\s+[\d.]+ MB\s+[\d.]+ MB", done.stdout, re.M), done.stdout  # size report
    return out / "admin"


@pytest.fixture(scope="module")
def admin_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("build"), "3.10")


def test_build_admin_code_dir(admin_build: Path) -> None:
    code = admin_build
    assert (code / "index.py").is_file() and not (code / "server.py").exists()
    package = code / "python" / "bailian_fc"
    assert (package / "settings.py").is_file() and (package / "store" / "file.py").is_file()
    assert not (package / "emulator").exists() and not (package / "local").exists()
    assert not (package / "cli.py").exists()
    installed = {p.name.lower() for p in (code / "python").iterdir()}
    assert installed & {"dashscope", "starlette", "uvicorn", "httpx", "sniffio"} == set()
    assert any(
        ".cpython-310-x86_64-linux-gnu.so" in p.name for p in (code / "python" / "pydantic_core").iterdir()
    )
    info = json.loads((code / build_mod.BUILD_INFO).read_text())
    assert info["python_version"] == "3.10" and info["platform"] == "manylinux2014_x86_64"


def test_built_admin_imports_with_only_its_code_dir(
    admin_build: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Nothing from this venv: ``-I -S`` drops site-packages, sys.path is the code dir + stdlib."""
    interpreter, code = find_interpreter("3.10"), admin_build
    if interpreter is None:  # compiled wheels are for cp310: rebuild the same dir for this Python
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        interpreter, code = sys.executable, _build(tmp_path_factory.mktemp("host"), version)
    modules = ["bailian_fc.settings", "bailian_fc.store", "bailian_fc.auth", "index"]
    script = (
        f"import sys; sys.path[:0] = [{str(code / 'python')!r}, {str(code)!r}]\n"
        f"import importlib; mods = [importlib.import_module(m) for m in {modules!r}]\n"
        "print(mods[0].__file__)"
    )
    done = subprocess.run([interpreter, "-I", "-S", "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(code))


def test_built_admin_has_no_import_problems(admin_build: Path) -> None:
    assert check_imports(admin_build) == []


# -- invoke ---------------------------------------------------------------------------------------


def _cli(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bailian_fc_tools.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


@pytest.fixture
def local_env(tmp_path: Path) -> dict[str, str]:
    return {"AUTH_JWT_SECRET": SECRET, "STORE_URL": f"file://{tmp_path}/store"}


def test_invoke_apps_list_with_a_minted_token(local_env: dict[str, str]) -> None:
    done = _cli("invoke", "apps", "--event", "events/apps-list.json", env=local_env)
    assert done.returncode == 0, done.stderr
    response = json.loads(done.stdout)
    assert response["statusCode"] == 200
    assert "app2_finance" in {app["key"] for app in response["body"]["apps"]}  # body decoded
    assert "FC Invoke Start RequestId: 1-" in done.stderr


def test_invoke_without_secret_signs_with_the_dev_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "AUTH_JWT_SECRET"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bailian_fc_tools.cli",
            "invoke",
            "apps",
            "--event",
            str(ROOT / "events" / "apps-clock.json"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**env, "STORE_URL": f"file://{tmp_path}/s"},
        timeout=60,
    )
    assert done.returncode == 0 and "using the dev secret" in done.stderr, done.stderr
    assert json.loads(done.stdout)["statusCode"] == 200


def test_invoke_chat_starts_the_web_function(local_env: dict[str, str]) -> None:
    done = _cli("invoke", "chat", "--event", "events/chat-conversations.json", env=local_env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"conversations": [], "next_before": None, "skipped": 0}
    assert "HTTP 200" in done.stderr
    ping = _cli("invoke", "chat", "--event", "events/prewarm-manual.json", env=local_env)  # not HTTP: /invoke
    assert ping.returncode == 0 and json.loads(ping.stdout)["status"] == "ok", ping.stderr


@pytest.fixture
def toy_project(tmp_path: Path) -> Path:
    """A project with one python3.10 function, to drive invoke's contract without the real handlers."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'toy'\n")
    (tmp_path / "s.yaml").write_text(
        textwrap.dedent("""
        edition: 3.0.0
        name: toy
        resources:
          toy:
            component: fc3
            props: {region: cn-shanghai, functionName: toy-fn, runtime: python3.10, code: ./build/toy,
                    handler: index.handler, memorySize: 256, timeout: 7,
                    instanceLifecycleConfig: {initializer: {handler: index.initialize, timeout: 3}}}
    """)
    )
    (tmp_path / "functions" / "toy").mkdir(parents=True)
    (tmp_path / "functions" / "toy" / "index.py").write_text(
        textwrap.dedent("""
        import time
        STATE = {}
        def initialize(context):
            STATE["initialized"] = context.request_id
        def handler(event, context):
            data = __import__("json").loads(event)
            if data.get("boom"):
                raise ValueError("boom: " + data["boom"])
            time.sleep(data.get("sleep", 0))
            return {"event_type": type(event).__name__, "event": event.decode(), "init": STATE.get("initialized"),
                    "fn": [context.function.name, context.function.handler, context.function.memory,
                           context.function.timeout], "region": context.region,
                    "cred": context.credentials.access_key_id, "service": context.service.name}
    """)
    )
    return tmp_path


def test_invoke_passes_bytes_and_an_fc_context(toy_project: Path) -> None:
    done = _cli(
        "invoke",
        "toy",
        "--event",
        '{"a": 1}',
        cwd=toy_project,
        env={"ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.test"},
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["event_type"] == "bytes" and result["event"] == '{"a": 1}'
    assert result["init"] and result["init"].startswith("1-")  # initialize ran first, same context
    assert result["fn"] == ["toy-fn", "index.handler", 256, 7] and result["region"] == "cn-shanghai"
    assert result["cred"] == "STS.test" and result["service"] == "toy"


def test_invoke_prints_fc_error_shape_and_fails(toy_project: Path) -> None:
    done = _cli("invoke", "toy", "--event", '{"boom": "bad input"}', cwd=toy_project)
    assert done.returncode == 1
    error = json.loads(done.stdout)
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "boom: bad input"
    assert error["stackTrace"][-1][0].endswith('index.py"') and error["stackTrace"][-1][2] == "in handler"


def test_invoke_times_out(toy_project: Path) -> None:
    done = _cli("invoke", "toy", "--event", '{"sleep": 30}', "--timeout", "1", cwd=toy_project)
    assert done.returncode == 124 and "timed out" in json.loads(done.stdout)["errorMessage"]


def test_every_store_scheme_and_data_kind_packages_a_declared_extra() -> None:
    """store.SCHEMES and venue.DATA_KINDS are the one list: the build packages each one's pyproject extra."""
    from bailian_fc.store import SCHEMES
    from bailian_fc.venue import DATA_KINDS, DATA_SCHEMES, data_kind_of

    project = build_mod.read_pyproject(ROOT)
    extras = project["project"]["optional-dependencies"]
    for scheme, spec in SCHEMES.items():
        assert build_mod.store_kind("auto", {"STORE_URL": f"{scheme}://x/y"}) == scheme
        reqs = build_mod.requirements_for("chat", project, scheme)
        assert spec.extra is None or set(extras[spec.extra]) <= set(reqs), scheme
    assert {data_kind_of(f"{scheme}://h/db") for scheme in DATA_SCHEMES} <= set(DATA_KINDS)
    assert build_mod.data_kind("auto", {"DATA_URL": "postgres://h/db"}) == "postgresql"
    assert build_mod.data_kind("auto", {"DATA_URL": ""}) == "embedded"
    pg = build_mod.requirements_for("apps", project, "file", "postgresql")
    assert set(extras["pg"]) <= set(pg) and not set(extras["pg"]) & set(
        build_mod.requirements_for("apps", project, "file")
    )
