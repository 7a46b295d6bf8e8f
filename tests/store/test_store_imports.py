"""A process pays only for the cloud SDK its STORE_URL names: boto3, oss2 and tablestore import lazily.

Checked in fresh interpreters, because this test session itself has long since imported them all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
SDKS = {"boto3", "botocore", "s3transfer", "oss2", "tablestore"}

SCRIPT = """
import json, sys, warnings
warnings.simplefilter("error", ImportWarning)  # the ots adapter keeps tablestore's ImportWarning to itself
from bailian_fc.store import open_store
store = open_store(sys.argv[1])
if store.url.startswith("file:"):
    store.put("a/b.json", b"{}")
    assert store.get("a/b.json") == b"{}"
    assert store.put_if_absent("a/b.json", b"x") is False
    assert store.list("a/") == ["a/b.json"]
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[2].split(",")))))
"""


def _sdks_loaded(url: str) -> list[str]:
    path = os.pathsep.join(p for p in (str(SHARED), os.environ.get("PYTHONPATH", "")) if p)
    env = {
        **os.environ,
        "PYTHONPATH": path,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "ak",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "sk",
        "AWS_ACCESS_KEY_ID": "ak",
        "AWS_SECRET_ACCESS_KEY": "sk",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, url, ",".join(sorted(SDKS))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def test_file_store_never_imports_cloud_sdks(tmp_path: Path) -> None:
    assert _sdks_loaded(f"file://{tmp_path}") == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("oss://bkt/p?endpoint=http://127.0.0.1:9", ["oss2"]),
        ("s3://bkt/p?endpoint_url=http://127.0.0.1:9&region=us-east-1", ["boto3", "botocore", "s3transfer"]),
        ("ots://inst/tbl/p?endpoint=http://127.0.0.1:9", ["tablestore"]),
    ],
)
def test_each_cloud_store_imports_only_its_own_sdk(url: str, expected: list[str]) -> None:
    assert _sdks_loaded(url) == expected


def test_pytest_warning_filters_cover_the_tablestore_import_warning() -> None:
    """With every ImportWarning an error, pyproject's filters still let ``import tablestore`` through.

    (On CPython 3.10/3.11 its C++ extension, built for 3.12, fails to load and says so.)
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef,unused-ignore]
    with (SHARED.parent / "pyproject.toml").open("rb") as fh:
        filters = tomllib.load(fh)["tool"]["pytest"]["ini_options"]["filterwarnings"]
    ours = [f.split(":") for f in filters if f.endswith(":ImportWarning")]
    assert ours, "no ImportWarning filter in pyproject"
    script = (
        "import warnings, sys\nwarnings.simplefilter('error', ImportWarning)\n"
        + "".join(
            f"warnings.filterwarnings({action!r}, {message!r}, ImportWarning)\n"
            for action, message, _ in ours
        )
        + "import tablestore\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
