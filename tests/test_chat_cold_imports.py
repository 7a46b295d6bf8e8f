"""Chat's cold start in a built dir: dashscope through its public root, uvicorn without its CLI.

The client reads only dashscope's public API (``dashscope.AsyncClient``, ``dashscope.v2.errors``), so a
built chat dir ships dashscope's original root and chat's start-up (the entry plus the client its
lifespan builds) imports the whole SDK once: 169 dashscope modules with 2.0.2 (~0.35 s under Python
3.10; a first turn's private apps path was 19 modules, ~0.16 s). uvicorn's root stays lazy
(lazy_roots.LAZY_INITS): its CLI (``uvicorn.main``: click's command, the reload supervisors) is not
imported at start, yet ``uvicorn.main`` is what the installed package exports, and a value set on a
lazy root before its original runs survives it. Counted in ``sys.modules``, no clock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bailian_fc_tools.builder.lazy_roots import shadowed_names, write_lazy_inits
from bailian_fc_tools.builder.slim import find_interpreter
from bailian_fc_tools.emulator import EmulatorThread

ROOT = Path(__file__).resolve().parents[1]
# Loaded by uvicorn's original root, never by chat's start (server.py starts uvicorn.server.Server).
HEAVY = ("uvicorn.main", "uvicorn.supervisors")
# dashscope's public root loads 169 of its modules (2.0.2): a patch release that grows it shows here.
MAX_DASHSCOPE_MODULES = 200

_START = r"""
import json, os, sys
code = sys.argv[1]
sys.path[:0] = [os.path.join(code, "python"), code]
import server  # the chat entry, as FC's start command imports it
from bailian_fc.bailian.client import BailianClient
BailianClient(api_key="k", base_url="http://127.0.0.1:9")  # chat's lifespan: before the first turn
print(json.dumps(sorted(sys.modules)))
"""

_WHOLE_SDK = r"""
import os, sys
code = sys.argv[1]
sys.path[:0] = [os.path.join(code, "python"), code]
import dashscope
from dashscope import AsyncClient, Generation
import dashscope.v2
assert dashscope.v2.AsyncClient is AsyncClient and Generation.__module__ == "dashscope.aigc.generation"
assert dashscope.__version__ and dashscope.api_key == "k"  # the original root read it from the env
print("ok")
"""


@pytest.fixture(scope="module")
def chat_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert find_interpreter("3.10"), "these tests need a Python 3.10 (FC's runtime); pyenv install 3.10"
    out = tmp_path_factory.mktemp("coldchat")
    done = subprocess.run(
        [sys.executable, "-m", "bailian_fc_tools.cli", "build", "--out", str(out), "--store", "file", "chat"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out / "chat"


def _run(
    script: str, code: Path, tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": os.environ["PATH"],
        "STORE_URL": f"file://{tmp_path}/store",
        "AUTH_JWT_SECRET": "cold-imports-secret-0123456789abcdef",
        "DASHSCOPE_API_KEY": "k",
        "NO_PROXY": "127.0.0.1",
    }
    interpreter = find_interpreter("3.10")
    assert interpreter
    return subprocess.run(
        [interpreter, "-I", "-S", "-c", script, str(code), *args],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.build
@pytest.mark.slow
def test_built_chat_start_reads_dashscope_public_root_without_uvicorn_cli(
    chat_dir: Path, tmp_path: Path
) -> None:
    python = chat_dir / "python"
    assert not (python / "dashscope" / "_eager_init.py").exists()  # dashscope's own root ships
    assert (python / "uvicorn" / "_eager_init.py").is_file()  # the build made uvicorn's root lazy
    done = _run(_START, chat_dir, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    modules = json.loads(done.stdout.splitlines()[-1])
    heavy = sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert heavy == [], f"chat's start-up imports uvicorn's CLI: {heavy}"
    assert "dashscope.v2.resources.apps" in modules and "dashscope.v2.errors" in modules
    ours = [m for m in modules if m.split(".")[0] == "dashscope"]
    assert len(ours) <= MAX_DASHSCOPE_MODULES, ours


@pytest.mark.build
@pytest.mark.slow
def test_built_dashscope_root_gives_the_whole_sdk(chat_dir: Path, tmp_path: Path) -> None:
    done = _run(_WHOLE_SDK, chat_dir, tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


# dashscope.api_key set before the SDK's first use and again after it: each call sends its key.
_API_KEY = r"""
import json, os, sys
code, base = sys.argv[1], sys.argv[2]
sys.path[:0] = [os.path.join(code, "python"), code]
import dashscope
dashscope.api_key = "key-before-first-use"
first = dashscope.Application.call(app_id="key-before", prompt="hi", base_address=base)
dashscope.api_key = "key-after-first-use"
second = dashscope.Application.call(app_id="key-after", prompt="hi", base_address=base)
print(json.dumps([first.status_code, second.status_code]))
"""


@pytest.mark.build
@pytest.mark.slow
def test_built_dashscope_api_key_set_before_and_after_first_use_reaches_upstream(
    chat_dir: Path, tmp_path: Path
) -> None:
    with EmulatorThread() as emu:
        done = _run(_API_KEY, chat_dir, tmp_path, emu.base_url, env={"DASHSCOPE_API_KEY": ""})
        assert done.returncode == 0, done.stderr[-3000:]
        assert json.loads(done.stdout.splitlines()[-1]) == [200, 200]
        sent = {
            app: [r.headers.get("authorization") for r in emu.requests_for(app)]
            for app in ("key-before", "key-after")
        }
    assert sent == {
        "key-before": ["Bearer key-before-first-use"],
        "key-after": ["Bearer key-after-first-use"],
    }


# What uvicorn.main is after `import uvicorn` and after `import uvicorn.main` (a fresh process each).
_UVICORN_MAIN = r"""
import json, os, sys, types
sys.path[:0] = [os.path.join(sys.argv[1], "python"), sys.argv[1]] if sys.argv[1] != "-" else []
exec(sys.argv[2])
import uvicorn
main = uvicorn.main
print(json.dumps([isinstance(main, types.ModuleType), type(main).__module__, type(main).__qualname__,
                  getattr(main, "name", None), uvicorn.run.__module__]))
"""


@pytest.mark.build
@pytest.mark.slow
@pytest.mark.parametrize("first", ["import uvicorn", "import uvicorn.main", "from uvicorn import Config"])
def test_built_uvicorn_main_is_what_the_installed_package_exports(
    chat_dir: Path, tmp_path: Path, first: str
) -> None:
    installed = subprocess.run(
        [sys.executable, "-c", _UVICORN_MAIN, "-", first], capture_output=True, text=True, check=True
    )
    built = _run(_UVICORN_MAIN, chat_dir, tmp_path, first)
    assert built.returncode == 0, built.stderr[-3000:]
    expected = json.loads(installed.stdout)
    assert expected[0] is False  # the installed root exports a command, not the submodule
    assert json.loads(built.stdout.splitlines()[-1]) == expected


_LAZY = r"""
import sys
sys.path.insert(0, sys.argv[1])
import dashscope, dashscope.v2.sub
dashscope.api_key = "set-before"  # before the original root ran
assert "dashscope.heavy" not in sys.modules and dashscope.v2.sub.X == 1  # submodules alone
assert dashscope.v2.sub is sys.modules["dashscope.v2.sub"]
import dashscope.main  # a submodule whose name the root binds to its function
assert "dashscope.heavy" not in sys.modules
assert dashscope.ROOT == "eager" and "dashscope.heavy" in sys.modules  # a name: the original root ran
assert dashscope.api_key == "set-before"  # the root's `from dashscope.env import api_key` kept it
assert dashscope.main() == "command" and dashscope.v2 is sys.modules["dashscope.v2"]
assert dashscope.LAZY == "deferred"  # the original root's own __getattr__ answers from now on
assert dashscope.v2.V2 == 2
for module in (dashscope, dashscope.v2):
    try:
        module.missing
    except AttributeError:
        pass
    else:
        raise AssertionError(module)
print(dashscope.heavy.RUNS)
"""
_ROOTS = {"dashscope": {"dashscope/__init__.py": "", "dashscope/v2/__init__.py": ""}}


def test_lazy_root_runs_the_original_once_keeping_values_set_before_and_its_own_names(
    tmp_path: Path,
) -> None:
    pkg = tmp_path / "dashscope"
    (pkg / "v2").mkdir(parents=True)
    (pkg / "__init__.py").write_text(
        "from dashscope.heavy import RUNS\nfrom dashscope.env import api_key\n"
        "from dashscope.main import main\nfrom dashscope import v2\nROOT = 'eager'\n"
        "def __getattr__(name):\n"
        "    if name == 'LAZY':\n        return 'deferred'\n"
        "    raise AttributeError(name)\n"
    )
    (pkg / "heavy.py").write_text(
        "import builtins\nbuiltins.RUNS = getattr(builtins, 'RUNS', 0) + 1\nRUNS = builtins.RUNS\n"
    )
    (pkg / "env.py").write_text("api_key = None\n")
    (pkg / "main.py").write_text("def main():\n    return 'command'\n")
    (pkg / "v2" / "__init__.py").write_text("V2 = 2\n")  # a root without __getattr__
    (pkg / "v2" / "sub.py").write_text("X = 1\n")
    # main is shadowed by the root's function; v2 is bound to the submodule itself; RUNS is no submodule
    assert shadowed_names(pkg / "__init__.py", "dashscope") == ["main"]
    assert write_lazy_inits(tmp_path, _ROOTS) == ["dashscope/__init__.py", "dashscope/v2/__init__.py"]
    assert write_lazy_inits(tmp_path, _ROOTS) == []  # a second pass keeps the original
    assert (pkg / "_eager_init.py").read_text().startswith("from dashscope.heavy")
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _LAZY, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.strip() == "1", done.stderr[-3000:]
