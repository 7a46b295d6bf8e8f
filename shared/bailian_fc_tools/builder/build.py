"""``bailian-fc build``: deployable code dirs for FC's Python, with pip alone (no Docker).

FC unpacks the code to ``/code``. ``build/<name>/`` holds the entry files of ``functions/<name>/``
(``index.py`` / ``server.py``), ``python/bailian_fc`` (the runtime package only: the tools
are ``bailian_fc_tools``, never copied), ``python/<deps>``
with only this function's third-party wheels, and ``.bailian-build.json`` (what was built). Hence
``PYTHONPATH=/code/python:/code`` in s.yaml, the layout ``s build`` uses too.

Wheels are cross-installed for the target (``--platform manylinux2014_x86_64 --only-binary=:all:
--python-version 3.10 --implementation cp``: FC is Debian >= 10 on x86_64 whatever builds it) from
``build/.wheels``, filled from the index once and then resolved with ``--no-index``: rebuilds are fast
and offline. An sdist-only requirement (oss2, crcmod) becomes a pure wheel built with the C compiler
disabled; one that can only build a binary wheel is an error (it would be for this machine's Python).
pip evaluates environment markers with *this* interpreter even under ``--python-version``, so markers
are re-evaluated for the target and what they add is installed too (on 3.10: exceptiongroup,
async-timeout; tomli via ``TARGET_FIXUPS``).
Each entry's eager import graph is then checked against the code dir: a module missing on that path
would be an ImportError at FC's first call, so the build fails instead.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bailian_fc.store import SCHEMES as STORE_SCHEMES
from bailian_fc.venue import DATA_KINDS, data_kind_of
from bailian_fc_tools.builder.lazy_roots import write_lazy_inits
from bailian_fc_tools.builder.slim import (
    NO_DEPS,
    PRUNE_FILES,
    WARM_IMPORTS,
    drop_unrequired,
    find_interpreter,  # also re-exported: callers use build.find_interpreter
    precompile,
    prune,
    req_name,
    split_no_deps,
    strip_binaries,
    write_stubs,
)

# Third-party requirements per function, by distribution name from pyproject's `dependencies`.
# Each function lists what it LEAVES OUT; a dependency not named here goes to every function, so
# adding one to pyproject can never silently break a deploy (it only makes a package bigger).
EXCLUDED_DEPS: dict[str, tuple[str, ...]] = {
    # Web function: SSE through starlette + uvicorn, App1 through dashscope/httpx: needs everything.
    # No jobs run here (croniter is the jobs' cron parser).
    # PyYAML is local tooling's s.yaml reader; dashscope's import of it is a stand-in (slim.STUBS).
    "chat": ("croniter", "PyYAML"),
    # Built-in python3.10 runtime: FC hands the handler events, so no ASGI server or framework.
    "apps": ("starlette", "uvicorn", "croniter", "PyYAML"),
    "prewarm": ("starlette", "uvicorn", "PyYAML"),
    # Reads the store and the run logs; never calls Bailian, never serves ASGI.
    # (PyYAML is local tooling's s.yaml reader, tomli dashscope's: neither runs here.)
    "admin": ("dashscope", "httpx", "sniffio", "starlette", "uvicorn", "PyYAML", "tomli"),
}
# Dependencies of the local tooling (`bailian-fc build` itself): never in a code dir.
TOOLING_DEPS = ("packaging",)
# Store adapters import boto3 / oss2 / tablestore lazily, so they are extras chosen by the STORE_URL
# scheme the function will run with (store.SCHEMES: scheme -> adapter and extra). FC's python3.10
# image ships oss2 2.16, but custom.debian10 has none and we pin >=2.18 (x-oss-forbid-overwrite
# semantics): always package it.
# Venue data: with DATA_URL=postgresql://… the functions that read it (App2/App3 in apps, site
# discovery in prewarm) get psycopg[binary] (~10 MB: libpq and OpenSSL in the wheel, so nothing
# from the FC image). Only then: an embedded deployment keeps its smaller code dir and cold start,
# and admin never reads venue data. Chat does, for the page a question is asked from (a clue or
# customer id is checked against the caller's site, chat/page.py), on the first turn that names one.
# The adapter imports it lazily (venue.DATA_KINDS: kind -> extra).
DATA_FUNCTIONS = ("apps", "prewarm", "chat")
# Requirements the target needs although no metadata declares them: dashscope 2.0.2's v2/_config.py
# imports tomli on Python < 3.11 but lists it only under its [acli] extra, so `import dashscope`
# fails on FC's 3.10 without it.
TARGET_FIXUPS = {"dashscope": ["tomli>=2.0; python_version < '3.11'"]}
# The tools (bailian_fc_tools) are another package, never copied: left out by construction.
PACKAGE_EXCLUDES = {"tests"}
RUNTIME_PYTHON = {
    "python3.9": "3.9",
    "python3.10": "3.10",
    "python3.12": "3.12",
    "custom.debian10": "3.10",
    "custom.debian11": "3.12",
    "custom.debian12": "3.11",
}
ZIP_LIMIT_MB = 500  # FC3: zipped code package via console / Serverless Devs / OSS
API_ZIP_LIMIT_MB = 100  # FC3: zipped + Base64 package sent inline through the SDK / OpenAPI
UNZIPPED_BUDGET_MB = 500  # project budget for the unpacked dir (cold start reads it)
BUILD_INFO = ".bailian-build.json"
_NO_DIST = re.compile(r"No matching distribution found for ([^\s]+)")
# The same, said by the resolver when a lock's constraint pins the version (``-c``).
_NO_DIST_PINNED = re.compile(r"no matching distributions available for your environment:\s+(\S+)")
_CONSTRAINT = re.compile(r"The user requested \(constraint\) (\S+)")


FROM_SDIST = ".from-sdist"  # beside a wheel the build made from an sdist (its hash is not the index's)


def _sdist_only(text: str) -> str | None:
    """The requirement pip found no wheel for, with the lock's pin when one applies."""
    if found := _NO_DIST.search(text):
        return found.group(1)
    if not (found := _NO_DIST_PINNED.search(text)):
        return None
    from bailian_fc_tools.builder.lock import canonical

    name = canonical(found.group(1))
    pins = [c for c in _CONSTRAINT.findall(text) if canonical(re.split("[=<>!~]", c)[0]) == name]
    return pins[0] if pins else found.group(1)


class BuildError(RuntimeError):
    """A build that cannot produce a working code dir; the message says what to do."""


@dataclass
class Report:
    function: str
    code_dir: Path
    requirements: list[str]
    files: int = 0
    unzipped_bytes: int = 0
    zipped_bytes: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def progress(message: str) -> None:
    print(f"build: {message}", file=sys.stderr, flush=True)


def project_root(start: Path | None = None) -> Path:
    """The directory holding s.yaml and pyproject.toml: the cwd or above, else this checkout."""
    start = (start or Path.cwd()).resolve()
    for candidate in (start, *start.parents):
        if (candidate / "s.yaml").is_file() and (candidate / "pyproject.toml").is_file():
            return candidate
    return Path(__file__).resolve().parents[3]


_req_name = req_name  # tests and the tables below use the short name


def read_pyproject(root: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: pytest (the [test] extra) brings tomli
        import tomli as tomllib  # type: ignore[no-redef,unused-ignore]
    with (root / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)


def requirements_for(function: str, project: dict[str, Any], store: str, data: str = "embedded") -> list[str]:
    """pyproject's dependencies minus what ``function`` leaves out, plus the store's and data's extras."""
    excluded = {_req_name(n) for n in (*EXCLUDED_DEPS.get(function, ()), *TOOLING_DEPS)}
    reqs = [r for r in project["project"]["dependencies"] if _req_name(r) not in excluded]
    extras = [STORE_SCHEMES[store].extra, DATA_KINDS[data] if function in DATA_FUNCTIONS else None]
    for extra in filter(None, extras):
        reqs += project["project"].get("optional-dependencies", {}).get(extra, [])
    return reqs


def data_kind(choice: str, env: dict[str, str] | None = None) -> str:
    """``auto`` reads DATA_URL, which s.yaml hands the apps and prewarm functions at deploy time
    (unset or empty: the embedded dataset, s.yaml's default)."""
    if choice != "auto":
        return choice
    return data_kind_of((os.environ if env is None else env).get("DATA_URL", ""))


def store_kind(choice: str, env: dict[str, str] | None = None) -> str:
    """``auto`` reads STORE_URL, the variable s.yaml hands the functions at deploy time (it has no
    default there): unset, there is nothing to follow, and guessing would ship an adapter the
    deployed functions may not use (their initializer then fails with "No module named 'oss2'")."""
    if choice != "auto":
        return choice
    url = (os.environ if env is None else env).get("STORE_URL", "")
    others = "|".join(STORE_SCHEMES)
    if not url:
        raise BuildError(
            "STORE_URL is unset: export the environment `s deploy` uses (e.g. `set -a; . ./.env; set +a`), "
            f"or pass --store {others}"
        )
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in STORE_SCHEMES:
        raise BuildError(f"STORE_URL's scheme {scheme!r} is none of {others}")
    return scheme


def store_note(choice: str, kind: str) -> str:
    """Where the adapter choice came from, said as it is."""
    if choice != "auto":
        return f"store adapter: {kind} (--store {choice})"
    return f"store adapter: {kind} (from STORE_URL's scheme)"


def _pip(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def _tail(result: subprocess.CompletedProcess[str], lines: int = 15) -> str:
    text = "\n".join(ln for ln in (result.stdout + result.stderr).splitlines() if "is ignored:" not in ln)
    return "\n".join(text.splitlines()[-lines:])


def target_flags(python_version: str, platform: str) -> list[str]:
    return [
        "--platform",
        platform,
        "--only-binary=:all:",
        "--python-version",
        python_version,
        "--implementation",
        "cp",
    ]


def fill_wheelhouse(
    reqs: list[str], flags: list[str], wheelhouse: Path, *, offline: bool, refresh: bool
) -> None:
    """Make the wheelhouse satisfy ``reqs`` for the target: offline when it already does."""
    wheelhouse.mkdir(parents=True, exist_ok=True)
    base = ["download", "--dest", str(wheelhouse), "--find-links", str(wheelhouse), *flags]
    if not refresh:
        result = _pip([*base, "--no-index", *reqs])
        if result.returncode == 0:
            progress(f"wheelhouse {wheelhouse} already has every wheel (no network)")
            return
        if offline:
            raise BuildError(f"--offline: the wheelhouse lacks wheels for the target:\n{_tail(result)}")
    progress(f"downloading wheels into {wheelhouse} ...")
    for _ in range(10):
        result = _pip([*base, *reqs])
        if result.returncode == 0:
            return
        missing = _sdist_only(result.stdout + result.stderr)
        if not missing:
            raise BuildError(f"pip download failed:\n{_tail(result)}")
        _build_pure_wheel(missing, wheelhouse)
    raise BuildError("too many sdist-only requirements")


def _build_pure_wheel(spec: str, wheelhouse: Path) -> None:
    """Build an sdist-only requirement into a py3-none-any wheel, the C compiler disabled."""
    progress(f"{spec}: no wheel on the index, building a pure-Python wheel from its sdist")
    env = {**os.environ, "CC": "false", "CXX": "false", "LDSHARED": "false", "SOURCE_DATE_EPOCH": "315532800"}
    with tempfile.TemporaryDirectory() as tmp:
        result = _pip(["wheel", "--no-deps", "--no-cache-dir", "--wheel-dir", tmp, spec], env=env)
        wheels = list(Path(tmp).glob("*.whl"))
        if result.returncode != 0 or not wheels:
            raise BuildError(
                f"{spec} has no wheel for the target and its sdist did not build:\n{_tail(result)}"
            )
        for wheel in wheels:
            if not wheel.name.endswith("-none-any.whl"):
                raise BuildError(
                    f"{spec} only builds a binary wheel ({wheel.name}) for this machine's Python, "
                    "not FC's: build it on Linux x86_64 with the target Python, or ship it as a layer"
                )
            shutil.move(str(wheel), wheelhouse / wheel.name)
            # Built here, so its bytes are this machine's: the lock holds it to its version only.
            (wheelhouse / (wheel.name + FROM_SDIST)).write_text(spec + "\n", encoding="utf-8")


def target_env(version: str) -> dict[str, str]:
    """PEP 508 marker values of FC's CPython ``version`` on Linux x86_64."""
    return {
        "python_version": version,
        "python_full_version": f"{version}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "os_name": "posix",
        "extra": "",
    }


def for_target(reqs: list[str], version: str) -> list[str]:
    """``reqs`` plus their fixups, markers evaluated for the target (pip would use this machine's)."""
    from packaging.requirements import Requirement

    out = []
    for spec in reqs + [f for r in reqs for f in TARGET_FIXUPS.get(_req_name(r), [])]:
        req = Requirement(spec)
        if req.marker is None or req.marker.evaluate(target_env(version)):
            req.marker = None
            out.append(str(req))
    return out


def missing_for_target(target: Path, version: str) -> list[str]:
    """Requirements of the installed wheels that hold on the target Python but are not installed.

    pip evaluates environment markers with *this* interpreter even under ``--python-version``, so
    a 3.11 machine drops anyio's ``exceptiongroup; python_version < "3.11"`` from a 3.10 build.
    """
    from email.parser import Parser

    from packaging.requirements import Requirement

    env = target_env(version)
    installed: set[str] = set()
    needed: dict[str, str] = {}
    for meta in target.glob("*.dist-info/METADATA"):
        headers = Parser().parsestr(meta.read_text(encoding="utf-8", errors="replace"), headersonly=True)
        installed.add(_req_name(headers["Name"]))
        if _req_name(headers["Name"]) in NO_DEPS:
            continue  # installed with --no-deps on purpose: what it needs is in NO_DEPS
        for line in headers.get_all("Requires-Dist") or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate(env):
                req.marker = None
                needed.setdefault(_req_name(req.name), str(req))
    return sorted(spec for name, spec in needed.items() if name not in installed)


def install_requirements(
    function: str, target: Path, reqs: list[str], flags: list[str], wheelhouse: Path, offline: bool
) -> None:
    """pip-install ``reqs`` for the target into ``target`` from the wheelhouse, the way a code dir gets
    them (NO_DEPS without their declared deps, target-marker deps added, unrequired ones dropped,
    stand-ins and lazy roots written, pruned). ``bailian-fc lock`` resolves with this same function."""
    install = [
        "install",
        "--no-index",
        "--find-links",
        str(wheelhouse),
        "--target",
        str(target),
        "--no-compile",
    ]
    roots = list(reqs)
    bare, reqs = split_no_deps(reqs)
    if bare:
        result = _pip([*install, "--no-deps", *flags, *bare])
        if result.returncode != 0:
            raise BuildError(f"{function}: pip install --no-deps failed:\n{_tail(result)}")
    for _ in range(5):  # then add what the target's markers need, until nothing is missing
        result = _pip([*install, *flags, *reqs])
        if result.returncode != 0:
            raise BuildError(f"{function}: pip install failed:\n{_tail(result)}")
        if not (reqs := missing_for_target(target, flags[flags.index("--python-version") + 1])):
            break
        progress(f"{function}: adding {', '.join(reqs)} (their markers hold on the target Python)")
        fill_wheelhouse(reqs, flags, wheelhouse, offline=offline, refresh=False)
        install.append("--no-deps")
    shutil.rmtree(target / "bin", ignore_errors=True)  # console scripts with this machine's shebang
    version = flags[flags.index("--python-version") + 1]
    if dropped := drop_unrequired(target, roots, target_env(version)):
        progress(f"{function}: dropped {', '.join(dropped)} (only NO_DEPS-replaced requirements needed them)")
    if stubs := write_stubs(target):
        progress(f"{function}: stand-ins for {', '.join(stubs)} (imported, never used here; slim.STUBS)")
    if lazy := write_lazy_inits(target):
        progress(f"{function}: lazy package roots {', '.join(lazy)} (lazy_roots.LAZY_INITS)")
    prune(target, PRUNE_FILES)


def assemble(
    function: str, root: Path, code: Path, reqs: list[str], flags: list[str], wheelhouse: Path, offline: bool
) -> None:
    if code.exists():
        shutil.rmtree(code)
    target = code / "python"
    install_requirements(function, target, reqs, flags, wheelhouse, offline)
    package = root / "shared" / "bailian_fc"
    shutil.copytree(
        package,
        target / "bailian_fc",
        ignore=lambda d, names: {
            n
            for n in names
            if n == "__pycache__" or n.endswith(".pyc") or (Path(d) == package and n in PACKAGE_EXCLUDES)
        },
    )
    copy_js_client(root, target / "bailian_fc")
    sources = sorted((root / "functions" / function).glob("*.py"))
    if not sources:
        raise BuildError(f"{function}: no entry files in functions/{function}/")
    for source in sources:
        shutil.copy2(source, code / source.name)


def copy_js_client(root: Path, package: Path) -> None:
    """The console's API client from its one source, clients/js/src (the checkout never holds a copy)."""
    ui = package / "admin" / "ui"
    if not ui.is_dir():
        return
    source = root / "clients" / "js" / "src"
    modules = sorted(source.glob("*.js"))
    if not modules:
        raise BuildError(f"no JS client modules in {source}")
    (ui / "client").mkdir(exist_ok=True)
    for module in modules:
        shutil.copy2(module, ui / "client" / module.name)


def measure(report: Report) -> None:
    """Files, unzipped bytes and the deflated zip size the upload will have."""
    with tempfile.TemporaryFile() as sink:
        with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(report.code_dir.rglob("*")):
                if path.is_file():
                    report.files += 1
                    report.unzipped_bytes += path.stat().st_size
                    zf.write(path, path.relative_to(report.code_dir).as_posix())
        report.zipped_bytes = sink.tell()
    zipped, unzipped = report.zipped_bytes / 2**20, report.unzipped_bytes / 2**20
    if zipped > ZIP_LIMIT_MB:
        report.problems.append(f"zip is {zipped:.0f} MB, over FC's {ZIP_LIMIT_MB} MB code package limit")
    elif zipped > API_ZIP_LIMIT_MB:
        report.warnings.append(
            f"zip is {zipped:.0f} MB, over the {API_ZIP_LIMIT_MB} MB of an inline SDK upload"
        )
    if unzipped > UNZIPPED_BUDGET_MB:
        report.warnings.append(f"unzipped {unzipped:.0f} MB, over the {UNZIPPED_BUDGET_MB} MB budget")


def build(
    functions: list[str],
    *,
    root: Path,
    out: Path,
    python_version: str | None = None,
    platform: str = "manylinux2014_x86_64",
    store: str = "auto",
    offline: bool = False,
    refresh: bool = False,
    wheelhouse: Path | None = None,
    import_check: bool = True,
    compile_pyc: bool = True,
    data: str = "auto",
    locked: bool = True,
) -> list[Report]:
    """Build the code dirs of ``functions`` (all of s.yaml's when empty) and return their reports.

    ``locked``: install exactly ``requirements/functions.lock``'s versions (refused when the lock is
    stale or for another target), refuse wheels whose hash differs, and record both in BUILD_INFO."""
    from bailian_fc_tools.builder import lock as lockfile
    from bailian_fc_tools.builder.imports import check_imports
    from bailian_fc_tools.builder.manifest import load_manifest

    manifest = load_manifest(root / "s.yaml", strict=False)
    names = functions or list(manifest.functions)
    if unknown := [n for n in names if n not in manifest.functions]:
        raise BuildError(
            f"unknown function(s) {', '.join(unknown)}; s.yaml has {', '.join(manifest.functions)}"
        )
    project, kind, data = read_pyproject(root), store_kind(store), data_kind(data)
    wheelhouse = wheelhouse or root / "build" / ".wheels"
    progress(store_note(store, kind) + f"; venue data: {data}")
    runtimes = {name: RUNTIME_PYTHON.get(manifest.functions[name].runtime) for name in names}
    versions = {name: python_version or runtimes[name] or "3.10" for name in names}
    plans = [
        (
            name,
            versions[name],
            for_target(requirements_for(name, project, kind, data), versions[name]),
            runtimes[name],
        )
        for name in names
    ]
    try:
        lock = lockfile.load_current(root, {p[1] for p in plans}, platform) if locked else None
    except lockfile.LockError as exc:
        raise BuildError(str(exc)) from None
    pin = lockfile.constraint_flags(lock, out) if lock else []  # pip resolves to the lock's versions
    for version in sorted({p[1] for p in plans}):
        union = sorted({r for p in plans if p[1] == version for r in p[2]})
        flags = [*target_flags(version, platform), *pin]
        fill_wheelhouse(union, flags, wheelhouse, offline=offline, refresh=refresh)
    reports = []
    for name, version, reqs, runtime_py in plans:
        started, report = time.monotonic(), Report(name, out / name, reqs)
        if runtime_py and runtime_py != version:
            report.warnings.append(
                f"built for Python {version}, {manifest.functions[name].runtime} runs {runtime_py}"
            )
        progress(f"{name}: installing {len(reqs)} requirements for cp{version.replace('.', '')} {platform}")
        flags = [*target_flags(version, platform), *pin]
        assemble(name, root, report.code_dir, reqs, flags, wheelhouse, offline)
        shipped = lockfile.shipped(report.code_dir / "python", wheelhouse, version, platform)
        if lock is not None and (drift := lockfile.differences(shipped, lock)):
            raise BuildError(
                f"{name}: the build differs from {lockfile.LOCK_PATH}: {'; '.join(drift)}; "
                f"run `{lockfile.REFRESH}` (add --refresh for newer versions)"
            )
        if not strip_binaries(report.code_dir / "python"):
            report.warnings.append("no `strip` here: extension modules keep their symbol tables (bigger zip)")
        # The store adapter (and psycopg where shipped) is imported under the target Python before
        # compiling: its SDK is on every cold start's path, and FC's /code is read-only.
        # OSS (the native store) only: botocore's and tablestore's bytecode would take S3 and Tablestore
        # builds with psycopg past the 12 MB budget; those compile their SDK on a cold start.
        adapter = (f"bailian_fc.store.{STORE_SCHEMES[kind].adapter}",) if kind == "oss" else ()
        warm = (*WARM_IMPORTS.get(name, ()), *adapter)
        warm += ("psycopg",) if (report.code_dir / "python" / "psycopg").is_dir() else ()
        if compile_pyc and precompile(report.code_dir, version, warm) is None:
            report.warnings.append(f"no python{version} here to precompile: FC compiles on each cold start")
        report.problems += check_imports(report.code_dir) if import_check else []
        report.problems += prove_clients(report, name, kind, version) if import_check else []
        info = {
            "function": name,
            "python_version": version,
            "platform": platform,
            "store": kind,
            "data": data,
            "requirements": reqs,
            # Exactly what ships, and the lock it came from: no time stamp, so one lock gives one file.
            "distributions": [{"name": p.name, "version": p.version, "sha256": p.sha256} for p in shipped],
            "lock": lock.digest if lock is not None else None,
        }
        (report.code_dir / BUILD_INFO).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        measure(report)
        progress(f"{name}: done in {time.monotonic() - started:.1f} s")
        reports.append(report)
    return reports


def prove_clients(report: Report, function: str, store: str, version: str) -> list[str]:
    """The built dir constructs its store client (and Bailian client) under the target Python."""
    from bailian_fc_tools.builder.built_probe import probe_built

    interpreter = find_interpreter(version)
    if interpreter is None:
        report.warnings.append(f"no python{version} here: the store and Bailian clients were not constructed")
        return []
    return probe_built(
        report.code_dir, store, "dashscope" not in EXCLUDED_DEPS.get(function, ()), interpreter
    )


def print_reports(reports: list[Report]) -> None:
    print(f"{'function':<10}{'files':>7}{'unzipped':>12}{'zip':>10}  code dir")
    for r in reports:
        print(
            f"{r.function:<10}{r.files:>7}{r.unzipped_bytes / 2**20:>9.1f} MB{r.zipped_bytes / 2**20:>7.1f} MB"
            f"  {r.code_dir}"
        )
        for level, message in [("warning", w) for w in r.warnings] + [("error", p) for p in r.problems]:
            print(f"build: {level}: {r.function}: {message}", file=sys.stderr)


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "build",
        help="code dirs for FC (Python 3.10, manylinux x86_64) under build/",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("functions", nargs="*", metavar="FUNCTION", help="s.yaml resources (default: all)")
    parser.add_argument("--out", type=Path, default=None, help="output dir (default: <project>/build)")
    parser.add_argument("--python-version", default=None, help="target Python (default: the runtime's, 3.10)")
    parser.add_argument("--platform", default="manylinux2014_x86_64", help="wheel platform tag")
    parser.add_argument(
        "--store",
        choices=["auto", *STORE_SCHEMES],
        default="auto",
        help="store adapter to package (auto: STORE_URL's scheme; refused when STORE_URL is unset)",
    )
    parser.add_argument(
        "--data",
        choices=["auto", *DATA_KINDS],
        default="auto",
        help="venue data adapter to package for apps/prewarm (auto: DATA_URL's scheme, embedded when unset)",
    )
    parser.add_argument(
        "--offline", action="store_true", help="never download: the wheelhouse must be complete"
    )
    parser.add_argument(
        "--refresh", action="store_true", help="ask the index again even if the wheelhouse has all"
    )
    parser.add_argument("--wheelhouse", type=Path, default=None, help="default: <project>/build/.wheels")
    parser.add_argument("--no-import-check", action="store_true", help="skip the eager-import check")
    parser.add_argument("--no-compile", action="store_true", help="skip precompiling with python<version>")
    parser.add_argument(
        "--no-lock",
        action="store_true",
        help="resolve without requirements/functions.lock (another target; BUILD_INFO records lock: null)",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    root = project_root()
    try:
        reports = build(
            args.functions,
            root=root,
            out=(args.out or root / "build").resolve(),
            python_version=args.python_version,
            platform=args.platform,
            store=args.store,
            offline=args.offline,
            refresh=args.refresh,
            wheelhouse=args.wheelhouse,
            import_check=not args.no_import_check,
            compile_pyc=not args.no_compile,
            data=args.data,
            locked=not args.no_lock,
        )
    except BuildError as exc:
        print(f"build: error: {exc}", file=sys.stderr)
        return 1
    print_reports(reports)
    return 1 if any(r.problems for r in reports) else 0
