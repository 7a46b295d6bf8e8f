"""Time-ordered ids: unique, well-formed and in creation order within a process."""

from __future__ import annotations

import threading

import pytest

from bailian_fc import ids


@pytest.mark.parametrize("clock", ["frozen", "stepping_back"])
def test_ids_made_in_a_row_sort_in_creation_order(monkeypatch: pytest.MonkeyPatch, clock: str) -> None:
    ticks = iter(range(10_000, 0, -1)) if clock == "stepping_back" else None
    monkeypatch.setattr(
        ids.time, "time", (lambda: next(ticks) / 1000) if ticks else (lambda: 1_700_000_000.0)
    )
    made = [ids.new_id("r") for _ in range(5_000)]
    assert made == sorted(made) and len(set(made)) == len(made)
    assert all(ids.is_id(i, "r") for i in made)


def test_ids_from_many_threads_are_unique() -> None:
    made: list[str] = []

    def make() -> None:
        made.extend(ids.new_id("t") for _ in range(2_000))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(made)) == 16_000
