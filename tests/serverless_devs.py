"""The real Serverless Devs CLI (``@serverless-devs/s`` from npm), installed once into a git-ignored folder.

``.ci/run`` installs it before the suite; a developer's first run installs it here (npm registry only).
``s`` keeps its state in ``$HOME/.s``, so every call gets a private HOME and nothing of the caller's
environment but PATH: no access keys, no proxy, no ``.env`` of the developer.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VERSION = "3.1.10"  # @serverless-devs/s 3.x; bump deliberately (preview's JSON shape is what we test)
PREFIX = ROOT / ".tools" / "serverless-devs"
BINARY = PREFIX / "node_modules" / ".bin" / "s"


def installed_version() -> str | None:
    package = PREFIX / "node_modules" / "@serverless-devs" / "s" / "package.json"
    if not package.is_file():
        return None
    return str(json.loads(package.read_text(encoding="utf-8")).get("version"))


def ensure_cli() -> Path:
    """``s``, installed from the npm registry when this checkout does not have VERSION yet."""
    if installed_version() != VERSION:
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(
                "npm is not installed: .ci/run installs nodejs and npm (apt-get install nodejs npm)"
            )
        PREFIX.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--prefix",
                str(PREFIX),
                f"@serverless-devs/s@{VERSION}",
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return BINARY


def preview_output(template: Path, env: dict[str, str], home: Path, *, silent: bool = True) -> str:
    """What ``s preview -o json -t template`` prints on stdout (without ``--silent``, as the docs run it:
    as root ``s`` logs a WARN line before the JSON)."""
    clean = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "NO_COLOR": "1", **env}
    run = subprocess.run(
        [str(ensure_cli()), "preview", "-t", str(template), "-o", "json", *(["--silent"] if silent else [])],
        cwd=template.parent,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if run.returncode != 0:
        raise AssertionError(f"s preview failed (exit {run.returncode}):\n{run.stdout}\n{run.stderr}")
    return run.stdout


def preview(template: Path, env: dict[str, str], home: Path) -> dict[str, Any]:
    """``s preview -o json -t template --silent``: the manifest as Serverless Devs renders it."""
    out = preview_output(template, env, home)
    if not out.lstrip().startswith("{"):
        raise AssertionError(f"s preview --silent printed more than JSON:\n{out}")
    rendered: dict[str, Any] = json.loads(out)
    return rendered
