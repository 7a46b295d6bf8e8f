"""What a wheel and a built code dir carry that the checkout holds only once: the console's JS client."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bailian_fc_tools.builder.build import copy_js_client

ROOT = Path(__file__).resolve().parents[1]
JS_SOURCE = ROOT / "clients" / "js" / "src"


def js_modules() -> dict[str, bytes]:
    modules = {p.name: p.read_bytes() for p in sorted(JS_SOURCE.glob("*.js"))}
    assert "sse.js" in modules and "client.js" in modules
    return modules


def test_the_js_client_is_committed_once():
    """clients/js/src is the one source; the console's ui/client/ is produced by builds, never committed."""
    tracked = subprocess.run(
        ["git", "ls-files", "shared/bailian_fc/admin/ui/client"], cwd=ROOT, capture_output=True, text=True
    )
    assert tracked.returncode == 0 and tracked.stdout == ""
    assert not (ROOT / "shared" / "bailian_fc" / "admin" / "ui" / "client").exists()


def test_a_built_code_dir_gets_the_client_from_its_one_source(tmp_path):
    package = tmp_path / "bailian_fc"
    (package / "admin" / "ui").mkdir(parents=True)
    copy_js_client(ROOT, package)
    built = {p.name: p.read_bytes() for p in (package / "admin" / "ui" / "client").glob("*.js")}
    assert built == js_modules()


@pytest.mark.build
def test_a_wheel_carries_the_client_in_the_console(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    (wheel,) = tmp_path.glob("bailian_fc-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        shipped = {
            name.rsplit("/", 1)[-1]: zf.read(name)
            for name in zf.namelist()
            if name.startswith("bailian_fc/admin/ui/client/")
        }
        assert "bailian_fc/admin/ui/index.html" in zf.namelist()
    assert shipped == js_modules()
