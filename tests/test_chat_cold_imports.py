"""Chat's cold start imports only what a first turn needs of dashscope (issue 20, chat cold start).

The SDK's package roots import every 1.x API and every 2.0 resource (aigc.conversation with aiohttp,
finetune.agentic_rl with requests, the v2 client with all its resources): 0.65-0.9 s. A built chat dir
ships lazy roots (slim.LAZY_INITS) and client.py imports the 2.0 apps path only (client.SDK_MODULES).
Here, under Python 3.10 in a built chat dir: importing the entry and building the client (what chat's
lifespan does before the first turn) must not load the heavy modules again; counted in ``sys.modules``,
no clock. Reading any other root name must still give the whole SDK (the original root runs then).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bailian_fc_tools.builder.slim import find_interpreter, write_lazy_inits

ROOT = Path(__file__).resolve().parents[1]
# Loaded by `import dashscope` / `dashscope.AsyncClient`, never by a first turn's apps call.
HEAVY = (
    "dashscope.aigc",
    "dashscope.app",
    "dashscope.finetune",
    "dashscope.embeddings",
    "dashscope.audio",
    "dashscope.tokenizers",
    "dashscope.api_entities",
    "dashscope.v2.client",
    "dashscope.v2.protocols",
    "dashscope.v2.resources.chat",
    "dashscope.v2.transport.ws_connection",
    "uvicorn.main",  # uvicorn's CLI: server.py starts uvicorn.server.Server itself
    "aiohttp",
    "requests",
    "urllib3",
    "tenacity",
    "opentelemetry",
    "attr",
    "websocket",
    "yaml",
    "cryptography",
)
# A first turn's dashscope modules: 19 with dashscope 2.0.2 (the eager root loaded 169).
MAX_DASHSCOPE_MODULES = 30

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
assert "dashscope.aigc" not in sys.modules
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


def _run(script: str, code: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "STORE_URL": f"file://{tmp_path}/store",
        "AUTH_JWT_SECRET": "cold-imports-secret-0123456789abcdef",
        "DASHSCOPE_API_KEY": "k",
    }
    interpreter = find_interpreter("3.10")
    assert interpreter
    return subprocess.run(
        [interpreter, "-I", "-S", "-c", script, str(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.build
@pytest.mark.slow
def test_built_chat_start_imports_only_the_apps_path(chat_dir: Path, tmp_path: Path) -> None:
    assert (chat_dir / "python" / "dashscope" / "_eager_init.py").is_file()  # the build made the root lazy
    done = _run(_START, chat_dir, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    modules = json.loads(done.stdout.splitlines()[-1])
    heavy = sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert heavy == [], f"chat's start-up imports heavy modules again: {heavy}"
    assert "dashscope.v2.resources.apps" in modules and "dashscope.v2.errors" in modules
    ours = [m for m in modules if m.split(".")[0] == "dashscope"]
    assert len(ours) <= MAX_DASHSCOPE_MODULES, ours


@pytest.mark.build
@pytest.mark.slow
def test_built_lazy_root_still_gives_the_whole_sdk(chat_dir: Path, tmp_path: Path) -> None:
    done = _run(_WHOLE_SDK, chat_dir, tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


_LAZY = r"""
import sys
sys.path.insert(0, sys.argv[1])
import dashscope, dashscope.v2.sub
assert "dashscope.heavy" not in sys.modules and dashscope.v2.sub.X == 1  # submodules alone
assert dashscope.v2.sub is sys.modules["dashscope.v2.sub"]
assert dashscope.ROOT == "eager" and "dashscope.heavy" in sys.modules  # a name: the original root ran
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


def test_lazy_root_runs_the_original_once_on_first_name(tmp_path: Path) -> None:
    pkg = tmp_path / "dashscope"
    (pkg / "v2").mkdir(parents=True)
    (pkg / "__init__.py").write_text(
        "from dashscope.heavy import RUNS\nROOT = 'eager'\n"
        "def __getattr__(name):\n"
        "    if name == 'LAZY':\n        return 'deferred'\n"
        "    raise AttributeError(name)\n"
    )
    (pkg / "heavy.py").write_text(
        "import builtins\nbuiltins.RUNS = getattr(builtins, 'RUNS', 0) + 1\nRUNS = builtins.RUNS\n"
    )
    (pkg / "v2" / "__init__.py").write_text("V2 = 2\n")  # a root without __getattr__
    (pkg / "v2" / "sub.py").write_text("X = 1\n")
    assert write_lazy_inits(tmp_path) == ["dashscope/__init__.py", "dashscope/v2/__init__.py"]
    assert write_lazy_inits(tmp_path) == []  # a second pass keeps the original
    assert (pkg / "_eager_init.py").read_text().startswith("from dashscope.heavy")
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _LAZY, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.strip() == "1", done.stderr[-3000:]
