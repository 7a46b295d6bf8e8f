"""Every deployable configuration builds to ≤ 12 MB zipped per function and imports under Python 3.10.

Configurations: each store adapter (file, OSS, S3, Tablestore), each with and without PostgreSQL venue
data. One build per store and data kind, shared by the tests of that store: chat/admin never read
venue data, so they are built once (with the PostgreSQL build) and apps/prewarm twice. In each code dir,
with nothing else on sys.path, the entry modules import, the store adapter opens its ``STORE_URL`` (the
SDK client is built then), and with PostgreSQL psycopg loads its bundled libpq. tests/test_lean_build.py
serves real requests from the file-store build.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bailian_fc_tools.builder import build as build_mod
from bailian_fc_tools.builder.slim import STUBS, find_interpreter

pytestmark = [pytest.mark.build, pytest.mark.slow]  # the lead's markers (tests/conftest.py on i16)
ROOT = Path(__file__).resolve().parents[1]
LIMIT_BYTES = 12 * 10**6  # MB = 10^6 bytes, deflated, as FC's console and `s deploy` upload it
STORES = {
    "file": "file:///tmp/bailian-build-matrix",
    "oss": "oss://bucket/p?endpoint=https://oss-cn-hangzhou-internal.aliyuncs.com",
    "s3": "s3://bucket/p?region=us-east-1",
    "ots": "ots://instance/table?endpoint=https://instance.cn-hangzhou.ots.aliyuncs.com",
}
# Imports the entries, opens the store, loads libpq when asked; prints the stand-ins that got imported.
PROBE = r"""
import importlib, json, os, sys
code, url, pg = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
sys.path[:0] = [os.path.join(code, "python"), code]
for entry in sorted(f[:-3] for f in os.listdir(code) if f.endswith(".py")):
    importlib.import_module(entry)
if os.path.isdir(os.path.join(code, "python", "dashscope")):
    # The whole SDK's root, as the client reads it (dashscope.AsyncClient): every stand-in it needs.
    from dashscope import Generation
from bailian_fc.store import open_store
store = open_store(url)
if pg:
    import psycopg
    assert psycopg.pq.__impl__ == "binary", psycopg.pq.__impl__
    assert psycopg.pq.version() >= 120000
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in json.loads(sys.argv[4]))))
"""
_BUILDS: dict[tuple[str, str], dict[str, build_mod.Report]] = {}


def built(store: str, data: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, build_mod.Report]:
    """The reports of one configuration, building it on first use (chat/admin from the PostgreSQL build)."""
    if (store, data) not in _BUILDS:
        names = (
            ["chat", "apps", "prewarm", "admin"] if data == "postgresql" else list(build_mod.DATA_FUNCTIONS)
        )
        out = tmp_path_factory.mktemp(f"{store}-{data}")
        reports = build_mod.build(names, root=ROOT, out=out, store=store, data=data)
        _BUILDS[(store, data)] = {r.function: r for r in reports}
    reports = dict(_BUILDS[(store, data)])
    if data == "embedded":
        reports.update(
            {k: v for k, v in built(store, "postgresql", tmp_path_factory).items() if k not in reports}
        )
    return reports


@pytest.mark.parametrize("data", ["embedded", "postgresql"])
@pytest.mark.parametrize("store", list(STORES))
def test_every_function_fits_and_imports(
    store: str, data: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> None:
    if (store, data) == ("s3", "postgresql"):
        # Known budget breach, tracked by issue 29: with chat reading venue data (psycopg in chat too),
        # S3 + PostgreSQL zips to 12.2-12.7 MB. Strict: this fails the day the budget holds again.
        request.node.add_marker(
            pytest.mark.xfail(strict=True, reason="S3 + PostgreSQL builds are 0.2-0.7 MB over 12 MB")
        )
    python = find_interpreter("3.10")
    assert python, "these tests need a Python 3.10 (FC's runtime); pyenv install 3.10"
    reports = built(store, data, tmp_path_factory)
    sizes = {name: r.zipped_bytes for name, r in reports.items()}
    assert all(size <= LIMIT_BYTES for size in sizes.values()), {
        k: f"{v / 1e6:.2f} MB" for k, v in sizes.items()
    }
    for name, report in reports.items():
        assert report.problems == [], report.problems
        info = json.loads((report.code_dir / build_mod.BUILD_INFO).read_text())
        assert info["store"] == store
        if name in build_mod.DATA_FUNCTIONS:
            assert info["data"] == data
        pg = data == "postgresql" and name in build_mod.DATA_FUNCTIONS
        done = subprocess.run(
            [
                python,
                "-I",
                "-S",
                "-c",
                PROBE,
                str(report.code_dir),
                STORES[store],
                "1" if pg else "0",
                json.dumps(list(STUBS)),
            ],
            env={
                "PATH": "/usr/bin:/bin",
                "ALIBABA_CLOUD_ACCESS_KEY_ID": "ak",
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "sk",
                "AWS_ACCESS_KEY_ID": "ak",
                "AWS_SECRET_ACCESS_KEY": "sk",
                "AWS_EC2_METADATA_DISABLED": "true",
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"{store}/{data}/{name}: {done.stderr[-3000:]}"
        # Each stand-in is there because something imports it: a stub nothing imports is dead weight.
        shipped = {p.name for p in (report.code_dir / "python").iterdir() if p.name in STUBS}
        assert shipped <= {m.split(".")[0] for m in json.loads(done.stdout.splitlines()[-1])}, (name, shipped)
        # Python 3.10 on FC: no psycopg where no PostgreSQL is configured, no numpy ever.
        names = {p.name for p in (report.code_dir / "python").iterdir()}
        assert ("psycopg" in names) == pg and "numpy" not in names, (name, sorted(names))


def test_a_stand_in_imports_and_refuses_use(tmp_path: Path) -> None:
    python = find_interpreter("3.10")
    assert python
    from bailian_fc_tools.builder.slim import STUB_SOURCE

    (tmp_path / "cryptography").mkdir()
    (tmp_path / "cryptography" / "__init__.py").write_text(
        STUB_SOURCE.format(package="cryptography", why="x")
    )
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from cryptography.hazmat.primitives.ciphers import Cipher, algorithms\n"
        "algorithms.AES\n"
        "try:\n    Cipher(1)\nexcept ImportError as e:\n    print('refused:', e)\n"
        "try:\n    class X(Cipher): pass\nexcept ImportError as e:\n    print('refused:', e)\n"
    )
    done = subprocess.run(
        [python, "-I", "-S", "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert (
        done.stdout.count(
            "refused: cryptography.hazmat.primitives.ciphers.Cipher: cryptography is not in this build"
        )
        == 2
    )
