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
warnings.simplefilter("error")  # the ots adapter must keep tablestore's ImportWarning to itself
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
    env = {**os.environ, "PYTHONPATH": path, "ALIBABA_CLOUD_ACCESS_KEY_ID": "ak",
           "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "sk", "AWS_ACCESS_KEY_ID": "ak", "AWS_SECRET_ACCESS_KEY": "sk"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, url, ",".join(sorted(SDKS))],
        capture_output=True, text=True, timeout=60, check=False, env=env,
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
