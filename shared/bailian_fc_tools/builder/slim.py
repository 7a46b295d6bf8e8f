"""What makes a built code dir small and quick to start: stripped binaries, .pyc for what is imported.

* ``find_interpreter``: the target Python, resolved once. A pyenv *shim* is a bash script that can
  take hundreds of ms per call (and fails when the version is not selected): it is skipped, and the
  answer cached, so ``invoke --built`` and the cold-start bench time the function, not the lookup.
* ``strip_binaries``: manylinux wheels ship some extensions unstripped (cryptography's Rust module
  is 14 MB with its symbol table, aiohttp and PyYAML carry debug info); ``strip --strip-unneeded``
  keeps the dynamic symbols Python needs and drops the rest.
* ``precompile``: import the entry files and the modules a first request imports lazily
  (``WARM_IMPORTS``) under the target interpreter, then byte-compile exactly the files that loaded
  (unchecked-hash .pyc: they survive zip's 2-second mtimes). Compiling every file would double the
  zip with bytecode nothing reads.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

# Distributions installed without their declared dependencies, with what they actually load instead.
# dashscope 2.0.2 declares fastapi, uvicorn, typer, tiktoken, opentelemetry-sdk... for its CLI and
# tokenizer; `import dashscope` plus one AsyncClient call loads only these (measured under Python 3.10
# in each built dir by tests/test_lean_build.py, which fails when a module is missing or a shipped
# distribution goes unloaded). rich declares markdown-it-py for rich.markdown, which nothing loads.
NO_DEPS: dict[str, tuple[str, ...]] = {
    "dashscope": (
        "requests",
        "attrs",  # dashscope.embeddings imports attr.dataclass (aiohttp brought it before)
        "certifi>=2024.7.4",
        "httpx>=0.27.0",
        "httpx-sse>=0.4.0",
        "typing_extensions>=4.16.0",
        "pydantic>=2.0",
        "tenacity",
        "opentelemetry-api>=1.20",
    ),
    # oss2 imports its client-side encryption (CryptoBucket: pycryptodome, the KMS SDK and through it
    # cryptography) at `import oss2`; the store only puts and gets plain objects: STUBS stands in.
    "oss2": ("requests!=2.9.0", "crcmod>=1.7", "six"),
    # tablestore declares numpy for its timeseries flatbuffers, which look numpy up with
    # flatbuffers.compat.import_numpy() and do without it; `future` is imported nowhere.
    "tablestore": (
        "certifi>=2016.2.28",
        "crc32c>=2.7.1",
        "flatbuffers>=22.9.24",
        "protobuf>=3.20.0,<6.0.0",
        "six>=1.11.0",
        "urllib3>=1.14",
    ),
    # dateutil 3 declares tzdata (the IANA database as a package, 600 files). Our zones go through
    # zoneinfo, which reads the image's /usr/share/zoneinfo first; FC images have it (FC documents
    # the TZ variable), and chat/apps never shipped croniter, hence never tzdata, either.
    "python-dateutil": ("six>=1.6",),
    # pycparser parses C declarations for cffi's ffi.cdef(); cryptography ships compiled bindings and
    # nothing here calls cdef at run time.
    "cffi": (),
}
# Packages imported at module level only for a path this bundle never takes: the build writes a stand-in
# (``STUB_SOURCE``) instead of shipping them. Names import; using one raises ImportError saying why.
# Dropped from the dashscope/oss2 requirements above (NO_DEPS), so only a stub can satisfy the import.
STUBS: dict[str, str] = {
    # dashscope's legacy aio calls and realtime websockets, tablestore's AsyncOTSClient: the client
    # here is dashscope's httpx AsyncClient and the store the sync OTSClient. aiohttp and its
    # yarl/multidict/frozenlist/propcache/attrs: 1.3 MB zipped.
    "aiohttp": "dashscope's legacy aio calls and tablestore's AsyncOTSClient",
    "websocket": "dashscope's realtime (websocket) APIs",
    # dashscope.finetune.reinforcement checks `import yaml` at import time and uses it only to read and
    # write fine-tuning configs (load_from_yaml / to_yaml).
    "yaml": "dashscope's fine-tuning config files (load_from_yaml / to_yaml)",
    # dashscope.api_entities.encryption (request encryption, ``enable_encryption``: never set here):
    # 4.3 MB zipped, the biggest distribution of the bundle.
    "cryptography": "dashscope's request encryption (enable_encryption)",
    "Crypto": "oss2's client-side encryption (oss2.CryptoBucket)",
    "aliyunsdkcore": "oss2's KMS encryption provider (oss2.AliKMSProvider)",
    "aliyunsdkkms": "oss2's KMS encryption provider (oss2.AliKMSProvider)",
}
# Which distribution brings the import that a stub satisfies: a stub is written only when it is installed.
STUB_FOR: dict[str, tuple[str, ...]] = {
    "aiohttp": ("dashscope", "tablestore"),
    "websocket": ("dashscope",),
    "yaml": ("dashscope",),
    "cryptography": ("dashscope",),
    "Crypto": ("oss2",),
    "aliyunsdkcore": ("oss2",),
    "aliyunsdkkms": ("oss2",),
}
STUB_SOURCE = '''"""Stand-in written by `bailian-fc build`: {package} is not shipped; it serves {why} only.

Any ``{package}.*`` module imports (a finder makes them on demand) and any name reads; calling or
subclassing one raises ImportError, so a path that needed it fails loudly, not wrongly.
"""
import importlib.abc
import importlib.machinery
import sys
import types

_WHY = "{package} is not in this build (it serves {why} only)"


class _Missing:
    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Missing(self._name + "." + attr)

    def __call__(self, *args, **kwargs):
        raise ImportError(self._name + ": " + _WHY)

    def __mro_entries__(self, bases):
        raise ImportError(self._name + ": " + _WHY)


def _getattr(module_name):
    def __getattr__(name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Missing(module_name + "." + name)

    return __getattr__


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith(__name__ + "."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []
        module.__getattr__ = _getattr(spec.name)
        return module

    def exec_module(self, module):
        pass


__path__ = []
__getattr__ = _getattr(__name__)
sys.meta_path.append(_Finder())
'''
# Never read at run time: type stubs and Cython/C sources that some wheels carry.
NEVER_READ = ("*.pyi", "*.pyx", "*.pxd", "*.c", "*.h")
# Files of an installed distribution that nothing can read once NO_DEPS dropped their reader:
# qwen.tiktoken is the vocabulary of dashscope.tokenizers, which needs tiktoken (not installed).
# dashscope's terminal CLI (acli, cli) and its examples: nothing imports them (0.7 MB zipped). Its 1.x
# AgentStudio sub-SDK (only ``client.agentstudio`` imports it) and realtime multimodal dialogs (over
# websocket, a stand-in here): nothing here reaches them (80 KB zipped: prewarm with S3 and
# PostgreSQL stays under 12 MB with dashscope's whole public root compiled).
PRUNE_FILES: dict[str, tuple[str, ...]] = {
    "dashscope": (
        "dashscope/resources/qwen.tiktoken",
        "dashscope/acli",
        "dashscope/cli",
        "dashscope/examples",
        "dashscope/agentstudio",
        "dashscope/multimodal",
    ),
    # tablestore's optional C++ codec (13.6 MB, 4.5 MB zipped): its encoder/decoder fall back to the
    # pure-Python one when it does not import, which is the path tests/store exercises (the .so does
    # not load on the test interpreter), so FC runs the tested codec.
    "tablestore": ("tablestore/ots_sdk/ots_sdk.so",),
    # pydantic's v1 compatibility API and its mypy plugin: nothing here imports pydantic.v1 or mypy.
    "pydantic": ("pydantic/v1", "pydantic/mypy.py"),
}
# Directories of which only the named entries are read: botocore/data describes all ~440 AWS services
# (17 MB zipped); the S3 store makes an s3 client only (sts: for role credentials a provider may assume).
KEEP_ONLY: dict[str, tuple[str, ...]] = {
    "botocore/data": (
        "s3",
        "sts",
        "_retry.json",
        "endpoints.json",
        "partitions.json",
        "sdk-default-configuration.json",
    ),
}
# Modules to import (besides the entry files) when tracing what to byte-compile: what a first request
# imports lazily. Only traced modules get a .pyc: the rest would never be read, only zipped.
# client.py imports dashscope (client.SDK_MODULES) lazily, and httpx reaches httpcore, anyio's
# backend and h11 only when the first request opens a connection (tests/test_lean_build.py fails if a request compiles anything).
_CLIENT = (
    "bailian_fc.bailian.client",
    "bailian_fc.bailian.translate",
    "dashscope",
    "dashscope.v2.errors",
    "httpcore",
    "httpcore._backends.anyio",
    "anyio._backends._asyncio",
    "anyio.to_thread",
    "anyio.lowlevel",
    "anyio.streams.tls",
    "anyio.streams.stapled",
    "h11",
    "sniffio",
    "exceptiongroup",
)
WARM_IMPORTS: dict[str, tuple[str, ...]] = {
    "chat": (
        *_CLIENT,
        "uvicorn.protocols.http.h11_impl",
        "uvicorn.protocols.http.auto",
        "uvicorn.lifespan.on",
        "uvicorn.loops.auto",
        "uvicorn.loops.asyncio",
        "uvicorn.protocols.websockets.auto",
    ),
    # Which venue adapter loads depends on DATA_URL: both (the postgres one imports psycopg on first read).
    "apps": (*_CLIENT, "bailian_fc.venue.embedded", "bailian_fc.venue.postgres"),
    "prewarm": (
        *_CLIENT,
        "bailian_fc.venue.embedded",
        "bailian_fc.venue.postgres",
        "bailian_fc.runlog.dashboard",
        "bailian_fc.runlog.daily",
    ),
    "admin": (),
}


def split_no_deps(reqs: list[str]) -> tuple[list[str], list[str]]:
    """(installed with --no-deps, installed normally): NO_DEPS entries swap in what they really load."""
    bare: dict[str, str] = {}
    rest: list[str] = []
    queue = list(reqs)
    while queue:
        req = queue.pop(0)
        name = req_name(req)
        if name not in NO_DEPS:
            rest.append(req)
        elif name not in bare:
            bare[name] = req
            queue += NO_DEPS[name]
    return list(bare.values()), rest


def req_name(requirement: str) -> str:
    """The PEP 503 normalized distribution name of a requirement string."""
    name = re.split(r"[\s;<>=!~\[(@]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


# Runs under the target interpreter with the code dir alone on sys.path (-I -S): prints loaded files.
_TRACE = r"""
import importlib, json, os, sys
code = sys.argv[1]
sys.path[:0] = [os.path.join(code, "python"), code]
for name in json.loads(sys.argv[2]):
    importlib.import_module(name)
base = os.path.realpath(code) + os.sep
files = {os.path.realpath(m.__file__) for m in list(sys.modules.values()) if getattr(m, "__file__", None)}
print(json.dumps(sorted(f for f in files if f.startswith(base) and f.endswith(".py"))))
"""


@functools.cache
def find_interpreter(version: str) -> str | None:
    """A working ``python<version>``: pyenv's own build first, then PATH (never a pyenv shim)."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates = [
        *sorted(str(p) for p in pyenv_root.glob(f"versions/{version}.*/bin/python{version}")),
        shutil.which(f"python{version}"),
    ]
    for candidate in filter(None, candidates):
        if "/shims/" in candidate:
            continue
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


def prune(target: Path, files: dict[str, tuple[str, ...]]) -> int:
    """Delete ``files`` (per distribution, relative to ``target``) and every NEVER_READ file; the count.
    METADATA keeps its headers only: the long description (a README, often a changelog) is never read."""
    doomed = [target / rel for rels in files.values() for rel in rels]
    doomed += [p for pattern in NEVER_READ for p in target.rglob(pattern)]
    for path in doomed:
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    for directory, keep in KEEP_ONLY.items():
        if (target / directory).is_dir():
            for entry in (target / directory).iterdir():
                if entry.name not in keep:
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
                    doomed.append(entry)
    if (target / "certifi").is_dir():  # botocore reads its own CA bundle only when certifi is missing
        (target / "botocore" / "cacert.pem").unlink(missing_ok=True)
    for record in target.glob("*.dist-info/RECORD"):  # list only what is still there (botocore's: 4,000
        lines = record.read_text(encoding="utf-8").splitlines()  # lines of deleted service models)
        kept = [
            ln
            for ln in lines
            if (ln and (target / ln.split(",")[0]).exists()) or ln.startswith(record.parent.name)
        ]
        record.write_text("\n".join(kept) + "\n", encoding="utf-8")
    for meta in target.glob("*.dist-info/METADATA"):  # keep the headers (version, requirements), drop the
        text = meta.read_bytes()  # long description nothing reads at run time
        if (end := text.find(b"\n\n")) > 0:
            meta.write_bytes(text[: end + 1])
    return len(doomed)


def write_stubs(target: Path) -> list[str]:
    """Write the STUBS packages whose importer is installed in ``target`` (and which are not); their names."""
    installed = {req_name(m.parent.name.split("-")[0]) for m in target.glob("*.dist-info/METADATA")}
    written = []
    for package, why in STUBS.items():
        if installed & {req_name(d) for d in STUB_FOR[package]} and not (target / package).exists():
            (target / package).mkdir()
            source = STUB_SOURCE.format(package=package, why=why)
            (target / package / "__init__.py").write_text(source, encoding="utf-8")
            written.append(package)
    return written


def is_elf(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"\x7fELF"


def strip_binaries(target: Path) -> bool:
    """``strip --strip-unneeded`` every extension module; False when there is no ``strip`` here.

    A wheel may bundle libraries of other systems (tablestore ships a ``*-darwin.so``): Linux never
    loads them and ``strip`` cannot read them, so they are deleted."""
    for path in [p for p in target.rglob("*.so*") if p.is_file() and not is_elf(p)]:
        path.unlink()
    strip = shutil.which("strip")
    if strip is None:
        return False
    libraries = [str(p) for p in target.rglob("*.so*") if p.is_file()]
    if libraries:
        subprocess.run([strip, "--strip-unneeded", *libraries], check=True, capture_output=True)
    return True


def traced_modules(interpreter: str, code: Path, modules: list[str]) -> list[str]:
    """Source files under ``code`` that importing ``modules`` loads, under ``interpreter``."""
    done = subprocess.run(
        [interpreter, "-I", "-S", "-c", _TRACE, str(code), json.dumps(modules)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"importing {', '.join(modules)} failed:\n{done.stderr[-2000:]}")
    files: list[str] = json.loads(done.stdout)
    return files


def precompile(code: Path, python_version: str, warm: tuple[str, ...] = ()) -> int | None:
    """Byte-compile what the entries and ``warm`` import; the count, or None
    when there is no python<version> here (FC then compiles on every cold start)."""
    interpreter = find_interpreter(python_version)
    if interpreter is None:
        return None
    entries = [p.stem for p in code.glob("*.py")]
    files = set(traced_modules(interpreter, code, [*entries, *warm]))
    subprocess.run(
        [interpreter, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", "-i", "-"],
        input="\n".join(sorted(files)),
        text=True,
        check=True,
        capture_output=True,
    )
    return len(files)


def drop_unrequired(target: Path, roots: list[str], marker_env: dict[str, str]) -> list[str]:
    """Remove installed distributions nothing needs once NO_DEPS replaced some declared dependencies.

    pip installs a NO_DEPS distribution's declared dependencies when it arrives as someone else's
    dependency (python-dateutil under croniter); this walks the requirement graph from ``roots`` with
    NO_DEPS applied and deletes what it never reaches, file by file from each RECORD.
    """
    from email.parser import Parser

    from packaging.requirements import Requirement

    requires: dict[str, list[Requirement]] = {}
    records: dict[str, Path] = {}
    for meta in target.glob("*.dist-info/METADATA"):
        headers = Parser().parsestr(meta.read_text(encoding="utf-8", errors="replace"), headersonly=True)
        name = req_name(headers["Name"])
        records[name] = meta.parent
        requires[name] = [
            Requirement(line)
            for line in (NO_DEPS[name] if name in NO_DEPS else headers.get_all("Requires-Dist") or [])
        ]
    reached: set[tuple[str, frozenset[str]]] = set()
    queue = [(req_name(r.name), frozenset(r.extras)) for r in map(Requirement, roots)]
    while queue:
        name, extras = queue.pop()
        if (name, extras) in reached:
            continue
        reached.add((name, extras))
        for req in requires.get(name, []):  # a marker may name an extra: psycopg[binary] -> psycopg-binary
            if req.marker is None or any(
                req.marker.evaluate({**marker_env, "extra": e}) for e in ("", *extras)
            ):
                queue.append((req_name(req.name), frozenset(req.extras)))
    reached_names = {name for name, _ in reached}
    dropped = sorted(set(records) - reached_names)
    for name in dropped:
        info = records[name]
        for line in (info / "RECORD").read_text(encoding="utf-8").splitlines():
            path = (target / line.split(",")[0]).resolve()
            if path.is_relative_to(target.resolve()) and path.is_file():
                path.unlink()
        shutil.rmtree(info, ignore_errors=True)
    for directory in sorted((p for p in target.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(directory.iterdir()):
            directory.rmdir()
    return dropped
