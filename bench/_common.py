"""Helpers for the bench scripts: child servers on 127.0.0.1, percentiles, peak RSS."""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the process's peak resident set since it started (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


@contextlib.contextmanager
def child(
    args: list[str], ready_url: str, env: dict[str, str] | None = None, timeout: float = 30
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``python args...`` and wait until ``ready_url`` answers; stop it afterwards."""
    proc = subprocess.Popen(
        [sys.executable, *args],
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{args} exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                httpx.get(ready_url, timeout=0.5)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{args} did not answer {ready_url}") from None
                time.sleep(0.05)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
