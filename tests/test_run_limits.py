"""Run-now limits: one upstream budget per job across runs and instances, a drain that keeps to its
deadline, a bad site skipped, one run per (job, site), dev's bounded starter.

Model calls are counted at the emulator; time is injected (no wall-clock bound is asserted).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import test_prewarm
from test_prewarm import APP2, APP2A, filters, run_of

from bailian_fc.jobs.dispatcher import JobRun
from bailian_fc.jobs.queue import list_queue, queue_run
from bailian_fc.jobs.rate import RATE_PREFIX, SharedRate
from bailian_fc.jobs.run_now import set_local_starter, start_run
from bailian_fc.scheduled.app2 import App2Prewarm
from bailian_fc.scheduled.function import ScheduledFunction
from bailian_fc.store import FileStore
from bailian_fc.venue.finance import FinanceStore
from bailian_fc_tools.local.fc_context import fake_context
from bailian_fc_tools.local.server import in_process_starter

QPS = 20
CHILD = str(Path(__file__).with_name("prewarm_child.py"))
emu = test_prewarm.emu  # the emulator and a prewarm runtime over demo data of two sites
runtime = test_prewarm.runtime


class VirtualTime:
    """A wall clock that moves only when someone sleeps (to the end of the longest sleep asked)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.t = start
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.t

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.t += seconds


def test_two_runs_on_two_instances_share_one_qps_budget(runtime: ScheduledFunction, emu: Any) -> None:
    """Two forced runs at once in two processes (two FC instances), each with the deployed handler:
    every model call the emulator saw took a ticket of the one per-job budget, at most QPS a second."""
    children = [
        subprocess.Popen(
            [sys.executable, CHILD, str(runtime.store.root), emu.base_url, site, str(QPS)],  # type: ignore[attr-defined]
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for site in ("site-001", "site-002")
    ]
    outs = [child.communicate(timeout=300) for child in children]
    assert all(child.returncode == 0 for child in children), [err[-2000:] for _, err in outs]
    summaries = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]
    assert all(s["outcome"] == "ok" and s["complete"] for s in summaries)
    calls = len(emu.requests_for(APP2)) + len(emu.requests_for(APP2A))
    assert calls == 2 * (filters(runtime, "site-001") + filters(runtime, "site-002"))  # both ran in full
    tickets = runtime.store.list(f"{RATE_PREFIX}app2_prewarm/")
    assert len(tickets) == calls  # every call drew from the shared budget
    per_second = Counter(key.rsplit("/", 1)[1].split("-")[0] for key in tickets)
    assert max(per_second.values()) <= QPS
    assert len(per_second) >= calls / QPS


def test_the_shared_budget_waits_for_the_next_window_when_one_is_full(tmp_path: Path) -> None:
    clock = VirtualTime()
    rate = SharedRate(FileStore(tmp_path), "job", 2, wall=clock, sleep=clock.sleep)
    other = SharedRate(FileStore(tmp_path), "job", 2, wall=clock, sleep=clock.sleep)  # another instance
    taken = [rate.acquire(), other.acquire(), rate.acquire(), other.acquire(), other.acquire()]
    windows = [str(key).rsplit("/", 1)[1].split("-")[0] for key in taken]
    assert Counter(windows).most_common(1)[0][1] == 2 and len(set(windows)) == 3
    assert clock() == pytest.approx(1_700_000_002.0)  # two windows were full: waited to the third


def test_a_bad_site_is_skipped_and_counted_never_fatal(runtime: ScheduledFunction, emu: Any) -> None:
    class WithBadSite(FinanceStore):
        def sites(self) -> list[str]:
            return ["Site 004/北", *super().sites()]

    prewarm = App2Prewarm(runtime.service, WithBadSite(runtime.store), concurrency=4, qps=1000)
    summary = prewarm(run_of({}))
    assert summary["outcome"] == "ok" and summary["complete"]
    assert summary["sites_skipped"] == 1 and summary["skipped_sites"][0]["site_id"] == "Site 004/北"
    assert len(emu.requests_for(APP2)) == filters(runtime, "site-001") + filters(runtime, "site-002")


def test_the_queue_drain_keeps_to_its_share_of_the_deadline(runtime: ScheduledFunction) -> None:
    """Each queued run takes 100 s of a 270 s deadline: the drain starts two, leaves three queued."""
    mono = [0.0]
    seen: list[float] = []

    def slow(run: JobRun) -> dict[str, Any]:
        seen.append(run.remaining())
        mono[0] += 100.0
        return {}

    runtime.jobs.seed()
    for n in range(5):
        queue_run(runtime.store, "app2_prewarm", f"site-00{n}", True, "admin")
    dispatcher = runtime.dispatcher(fake_context(function={"name": "prewarm", "timeout": 300}))
    dispatcher.handlers["app2_prewarm"] = slow
    dispatcher.monotonic = lambda: mono[0]
    results = runtime.drain_queue(dispatcher)
    assert [r.get("status") for r in results] == [None, None, "deferred"]
    assert len(list_queue(runtime.store)) == 3  # left for the next tick
    assert all(remaining <= 135.0 for remaining in seen)  # a drained run gets the drain's time only


def test_a_run_now_is_recorded_under_its_id_and_not_repeated_in_its_slot(
    runtime: ScheduledFunction, emu: Any
) -> None:
    runtime.jobs.seed()

    def start(event: dict[str, Any]) -> str:
        result = runtime.handle(json.dumps(event).encode(), fake_context())
        return str(result["results"][0].get("run_id"))

    set_local_starter(start)
    try:
        now = datetime.now(timezone.utc)
        first = start_run(runtime.store, "app2_prewarm", "site-001", False, "admin", now)
        assert first["started"] == "now" and first["invocation_id"] == first["run_id"]
        record = runtime.jobs.stored_run("app2_prewarm", first["run_id"])
        assert record is not None and record.status == "ok" and record.trigger == "manual"
        calls = len(emu.requests_for(APP2))
        again = start_run(runtime.store, "app2_prewarm", "site-001", False, "admin", now)
        assert again["started"] == "already_ran" and "force" in again["hint"]
        assert len(emu.requests_for(APP2)) == calls
        forced = start_run(runtime.store, "app2_prewarm", "site-001", True, "admin", now)
        assert forced["started"] == "now" and forced["run_id"] != first["run_id"]
    finally:
        set_local_starter(None)


def test_dev_starts_at_most_a_bounded_number_of_run_now_threads() -> None:
    release = threading.Event()
    started: list[str] = []

    class Module:
        @staticmethod
        def handler(event: bytes, context: Any) -> dict[str, Any]:
            started.append(json.loads(event)["job"])
            release.wait(30)
            return {}

    function = type(
        "F",
        (),
        {"resource": "prewarm", "name": "prewarm", "handler": "index.handler", "props": {"timeout": 900}},
    )()
    start = in_process_starter(function, Module, limit=2)
    start({"job": "a"})
    start({"job": "b"})
    for _ in range(200):  # both threads are inside the handler (no time bound: a count)
        if len(started) == 2:
            break
        release.wait(0.05)
    assert sorted(started) == ["a", "b"]
    with pytest.raises(RuntimeError, match="at most 2"):
        start({"job": "c"})  # the admin queues this one instead
    release.set()
