"""``Store.gather``: independent store calls as one round trip (together on network stores)."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from bailian_fc.store import FileStore, Store


class Remote(Store):
    """A network-like store (``local_reads`` False) over a dict; only ``gather`` is under test."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self.data.get(key)

    def put(self, key: str, data: bytes) -> None:
        self.data[key] = data

    def put_if_absent(self, key: str, data: bytes) -> bool:
        return self.data.setdefault(key, data) is data

    def list_page(self, prefix: str, start_after: str = "", limit: int = 1000) -> list[str]:
        return sorted(k for k in self.data if k.startswith(prefix) and k > start_after)[:limit]

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


def test_calls_run_together_on_a_network_store_and_answer_in_order() -> None:
    store = Remote()
    both = threading.Barrier(3, timeout=30)  # passes only if all three calls are in flight at once

    def call(n: int) -> int:
        both.wait()
        return n

    assert store.gather(*(lambda n=n: call(n) for n in range(3))) == [0, 1, 2]


def test_a_failure_is_raised_after_every_call_ended() -> None:
    store = Remote()
    finished: list[str] = []
    gate = threading.Event()

    def fails() -> None:
        raise ValueError("boom")

    def slow() -> None:
        gate.wait(30)
        finished.append("slow")

    threading.Timer(0.05, gate.set).start()
    with pytest.raises(ValueError, match="boom"):
        store.gather(fails, slow)
    assert finished == ["slow"]  # no call outlives the gather that started it


def test_nested_gathers_run_inline_in_the_worker() -> None:
    store = Remote()
    outer = store.gather(
        lambda: store.gather(
            lambda: threading.current_thread().name, lambda: threading.current_thread().name
        ),
        lambda: "other",
    )
    inner_threads = outer[0]
    assert inner_threads[0] == inner_threads[1]  # no pool worker waits on the pool


def test_the_file_store_runs_calls_in_order_on_the_caller(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    seen: list[tuple[int, int]] = []
    store.gather(*(lambda n=n: seen.append((n, threading.get_ident())) for n in range(3)))
    assert seen == [(n, threading.get_ident()) for n in range(3)]


def test_a_forked_child_gathers_with_its_own_workers() -> None:
    store = Remote()
    store.gather(lambda: 1, lambda: 2)  # the parent's pool exists now
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        signal.alarm(30)  # a child waiting on the parent's (absent) workers dies instead of hanging
        try:
            ok = store.gather(lambda: 1, lambda: 2) == [1, 2]
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
