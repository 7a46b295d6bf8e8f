"""A process on the file store must not pay for cloud SDKs: boto3/botocore/oss2 import lazily.

Checked in a fresh interpreter, because this test session itself has long since imported them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"

SCRIPT = """
import json, sys
from bailian_fc.store import open_store
store = open_store("file://" + sys.argv[1])
store.put("a/b.json", b"{}")
assert store.get("a/b.json") == b"{}"
assert store.put_if_absent("a/b.json", b"x") is False
assert store.list("a/") == ["a/b.json"]
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"boto3", "botocore", "s3transfer", "oss2"})
print(json.dumps(heavy))
"""


def test_file_store_never_imports_cloud_sdks(tmp_path: Path) -> None:
    path = os.pathsep.join(p for p in (str(SHARED), os.environ.get("PYTHONPATH", "")) if p)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
