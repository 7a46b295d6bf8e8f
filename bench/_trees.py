"""Run a bench probe in this tree and in an earlier one, each in its own virtualenv; pair the rounds.

``--baseline-tree PATH`` names a git worktree of an earlier commit (``git worktree add
/tmp/base <commit>``). Its package must be imported from *its* tree: put on ``PYTHONPATH`` inside
this tree's venv, the editable install of this tree wins and the "baseline" is this tree again.
So the baseline gets a venv of its own under ``build/bench-venvs/<commit>`` (git-ignored), made
once with ``pip install -e 'PATH[oss]'`` (from the pip cache and the configured indexes) and
reused; every probe checks that ``bailian_fc`` came from the tree it was meant to measure.

Rounds alternate which tree goes first; figures are medians over rounds, ratios are this tree
over the baseline.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENVS = ROOT / "build" / "bench-venvs"
PROBE = Path(__file__).resolve().parent / "_probe.py"


@dataclass(frozen=True)
class Tree:
    name: str  # "this" | "baseline"
    root: Path
    python: str
    env: dict[str, str]

    def run_probe(self, mode: str, env: dict[str, str], timeout: float = 600) -> dict[str, Any]:
        out = subprocess.run(
            [self.python, str(PROBE), mode],
            env={**self.env, **env, "PROBE_TREE": str(self.root)},
            cwd=self.root,
            capture_output=True,
            timeout=timeout,
        )
        if out.returncode != 0:
            raise RuntimeError(f"{self.name} probe {mode} failed:\n{out.stderr.decode()[-3000:]}")
        return json.loads(out.stdout.decode().strip().splitlines()[-1])


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def this_tree() -> Tree:
    return Tree("this", ROOT, sys.executable, {**_clean_env(), "PYTHONPATH": str(ROOT / "shared")})


def baseline_tree(path: str) -> Tree:
    root = Path(path).resolve()
    commit = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--short=7", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    venv = VENVS / commit
    python = venv / "bin" / "python"
    if not (venv / ".installed").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "-e", f"{root}[oss]"],
            check=True,
            stdout=sys.stderr,
        )
        (venv / ".installed").write_text(str(root))
    env = {**_clean_env(), "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    tree = Tree("baseline", root, str(python), env)
    where = subprocess.run(
        [tree.python, "-c", "import bailian_fc; print(list(bailian_fc.__path__)[0])"],
        env=tree.env,
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(where).resolve().is_relative_to(root):
        raise RuntimeError(f"the baseline venv imports bailian_fc from {where}, not from {root}")
    return tree


def paired(
    trees: list[Tree], rounds: int, measure: Callable[[Tree, int], dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """``measure(tree, round)`` for every tree, ``rounds`` times, alternating which goes first."""
    results: dict[str, list[dict[str, Any]]] = {t.name: [] for t in trees}
    for r in range(rounds):
        for tree in trees if r % 2 == 0 else list(reversed(trees)):
            results[tree.name].append(measure(tree, r))
            print(f"round {r + 1}/{rounds}: {tree.name} done", file=sys.stderr, flush=True)
    return results


def medians(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-figure medians over rounds (nested dicts figure by figure; non-numbers from round one)."""
    out: dict[str, Any] = {}
    for key, first in rows[0].items():
        values = [row[key] for row in rows]
        if isinstance(first, dict):
            out[key] = medians(values)
        elif isinstance(first, (int, float)) and not isinstance(first, bool):
            out[key] = round(statistics.median(values), 3)
        else:
            out[key] = first
    return out


def ratios(ours: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in ours.items():
        other = base.get(key)
        if isinstance(value, dict) and isinstance(other, dict):
            out[key] = ratios(value, other)
        elif isinstance(value, (int, float)) and isinstance(other, (int, float)) and other:
            out[key] = round(value / other, 3)
    return out


def compare(trees: list[Tree], rounds: int, measure: Callable[[Tree, int], dict[str, Any]]) -> dict[str, Any]:
    runs = paired(trees, rounds, measure)
    figures = {name: medians(rows) for name, rows in runs.items()}
    result: dict[str, Any] = {"rounds": rounds, **figures}
    if "baseline" in figures:
        result["ratio_this_over_baseline"] = ratios(figures["this"], figures["baseline"])
    result["host"] = {"cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)}
    return result


@contextlib.contextmanager
def oss_server() -> Iterator[str]:
    """The repo's OSS-protocol test server in its own process: (endpoint) with bucket ``demo``."""
    proc = subprocess.Popen(
        [sys.executable, "-u", str(ROOT / "tests" / "store" / "oss_server.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT / "shared")},
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        endpoint = line.split(" at ", 1)[1].split(" ", 1)[0]
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


OSS_CREDENTIALS = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "bench-ak", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "bench-sk"}


def oss_url(endpoint: str, prefix: str) -> str:
    return f"oss://demo/{prefix}?endpoint={endpoint}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def serve(tree: Tree, script: str, port: int, env: dict[str, str], timeout: float = 60) -> Iterator[int]:
    """``tree``'s ``script`` (e.g. functions/chat/server.py) on 127.0.0.1:``port``; yields its pid."""
    import tempfile
    import time

    import httpx

    log = tempfile.TemporaryFile()  # not a pipe: a server logging into a full pipe stalls
    proc = subprocess.Popen(
        [tree.python, str(tree.root / script)],
        env={**tree.env, **env, "PROBE_TREE": str(tree.root)},
        cwd=tree.root,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"{tree.name} {script} exited: {log.read().decode()[-2000:]}")
            try:
                httpx.get(f"http://127.0.0.1:{port}/invoke", timeout=0.5)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{tree.name} {script} did not answer") from None
                time.sleep(0.05)
        yield proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
