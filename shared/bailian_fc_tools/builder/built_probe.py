"""Prove a built code dir at build time: its store client and Bailian client import and construct there.

The eager-import check (``imports.check_imports``) reads source; stand-ins (``slim.STUBS``), lazy roots
and pruned files are only proven by running. So each built function, under the target Python with
``-I -S -B`` (no bytecode written into the dir) and nothing but the code dir on ``sys.path`` (as FC's ``/code`` and ``/code/python``), opens
its ``STORE_URL`` kind (``open_store``: the adapter module, boto3/oss2/tablestore and their client
objects) and, for the functions that call Bailian, builds ``BailianClient.from_settings`` (dashscope's
client path, httpx, the TLS context). Construction sends nothing: the probe URLs point at a closed port,
and the probe fails on any exception, naming the module that raised. A new SDK release that trips a
stand-in then fails ``bailian-fc build``, not FC's initializer.

``probe_built`` is the one entry point, reused by later build steps that need the same run.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

# A port nothing listens on: a probe that tried the network would fail, not hang or reach anything.
CLOSED = "http://127.0.0.1:9"
PROBE_URLS = {
    "file": "file://{tmp}/store",
    "s3": f"s3://probe-bucket/probe?endpoint_url={CLOSED}&region=us-east-1",
    "oss": f"oss://probe-bucket/probe?endpoint={CLOSED}",
    "ots": f"ots://probe/probe?endpoint={CLOSED}",
}
# Dummy credentials the adapters read from the environment (FC passes a role's STS triple).
PROBE_ENV = {
    "AWS_ACCESS_KEY_ID": "probe",
    "AWS_SECRET_ACCESS_KEY": "probe",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "probe",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "probe",
    "DASHSCOPE_API_KEY": "probe",
    "DASHSCOPE_BASE_URL": f"{CLOSED}/api/v1",
    "NO_PROXY": "*",
}
_SCRIPT = r"""
import json, os, sys, traceback
code, store_url, upstream = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
sys.path[:0] = [os.path.join(code, "python"), code]
report = {}
try:
    from bailian_fc.settings import Settings
    from bailian_fc.store import open_store

    settings = Settings.from_env()
    store = open_store(store_url)
    report["store"] = type(store).__module__ + "." + type(store).__name__
    if upstream:
        from bailian_fc.bailian.client import BailianClient

        client = BailianClient.from_settings(settings)
        report["bailian"] = type(client).__module__ + "." + type(client).__name__
except BaseException as exc:
    frames = traceback.extract_tb(exc.__traceback__)
    where = next((f"{f.filename}:{f.lineno}" for f in reversed(frames) if code in f.filename), "?")
    report["error"] = f"{type(exc).__name__}: {exc} (at {where.replace(code + os.sep, '')})"
base = os.path.realpath(os.path.join(code, "python")) + os.sep
report["outside"] = sorted(
    name for name, module in list(sys.modules.items())
    if "." not in name and getattr(module, "__file__", None)
    and "site-packages" in module.__file__ and not os.path.realpath(module.__file__).startswith(base)
)
print(json.dumps(report))
"""


def probe_built(code: Path, store: str, upstream: bool, interpreter: str, timeout: float = 120) -> list[str]:
    """Problems found constructing ``store``'s client (and the Bailian client when ``upstream``) in ``code``."""
    with tempfile.TemporaryDirectory(prefix="bailian-probe-") as tmp:
        url = PROBE_URLS[store].format(tmp=tmp)
        env = {"PATH": os.environ.get("PATH", ""), "HOME": tmp, **PROBE_ENV}
        done = subprocess.run(
            [interpreter, "-I", "-S", "-B", "-c", _SCRIPT, str(code), url, "1" if upstream else "0"],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return [f"the probe under {interpreter} exited {done.returncode}: {done.stderr.strip()[-600:]}"]
    report = json.loads(lines[-1])
    found = []
    if "error" in report:
        what = "the store client" if "store" not in report else "the Bailian client"
        found.append(f"constructing {what} ({store}) in the built dir failed: {report['error']}")
    if report.get("outside"):
        found.append(f"the probe imported {', '.join(report['outside'])} from outside the built dir")
    return found
