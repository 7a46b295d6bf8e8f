"""The prewarm function with the emulator: every filter of every site, bounded, resumable."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
from support import SECRET

from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc.clock import SandboxClock, SandboxContext
from bailian_fc.jobs.dispatcher import JobRun
from bailian_fc.scheduled import function as prewarm_function
from bailian_fc.scheduled.app2 import App2Prewarm
from bailian_fc.scheduled.function import ScheduledFunction
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore
from bailian_fc.venue.finance import FinanceStore
from bailian_fc.venue.ranges import RANGES
from bailian_fc_tools.demo.finance import generate
from bailian_fc_tools.emulator import Behaviour, EmulatorThread
from bailian_fc_tools.local.fc_context import fake_context

APP2 = "emu-app2_finance"
APP2A = "emu-app2a_finance_digest"


@pytest.fixture
def emu():
    with EmulatorThread() as emulator:
        yield emulator


@pytest.fixture
def runtime(emu, tmp_path, monkeypatch):
    for key in CATALOGUE:
        monkeypatch.setenv(f"BAILIAN_APP_ID_{key.upper()}", f"emu-{key}")
    settings = Settings(
        dashscope_api_key="k",
        dashscope_base_url=emu.base_url,
        auth_jwt_secret=SECRET,
        store_url=f"file://{tmp_path}",
        bailian_backoff_base_seconds=0.01,
        prewarm_concurrency=8,
        prewarm_qps=1000,
    )
    store = FileStore(tmp_path)
    rt = ScheduledFunction.build(settings, store)
    generate(store, sites=2, days=70, end=rt.service.clock.business_date())
    prewarm_function.configure(rt)
    yield rt
    prewarm_function.configure(None)


def job(rt: ScheduledFunction, **payload: Any) -> App2Prewarm:
    return App2Prewarm(rt.service, FinanceStore(rt.store), concurrency=8, qps=1000)


def run_of(
    payload: dict[str, Any],
    seconds: float = 60,
    resume: dict[str, Any] | None = None,
    saved: list[dict[str, Any]] | None = None,
) -> JobRun:
    # "manual": these tests run on the real clock, and a timer run leaves sites whose business day
    # has not started waiting (test_prewarm_day_start.py); a manual run computes at any hour.
    return JobRun(
        job="app2_prewarm",
        slot=dt.datetime.now(dt.timezone.utc),
        payload=payload,
        deadline=time.monotonic() + seconds,
        trigger="manual",
        resume=resume,
        saver=(saved.append if saved is not None else None),
    )


def filters(rt: ScheduledFunction, site: str) -> int:
    return len(RANGES) * (1 + len(FinanceStore(rt.store).areas(site)))


def peak_overlap(records) -> int:
    """The most upstream calls in flight at once, from the emulator's own start/end records."""
    edges = sorted(
        [(r.started_at, 1) for r in records] + [(r.ended_at, -1) for r in records], key=lambda e: (e[0], e[1])
    )  # an end before a start at the same instant
    peak = current = 0
    for _, step in edges:
        current += step
        peak = max(peak, current)
    return peak


def test_k_items_run_c_at_a_time_never_more_never_fewer(runtime, emu):
    """K App2 items on a pool of 8: the emulator sees 8 calls in flight at once, never 9.

    (The old wall-time bound ceil(K/8) · latency failed on a loaded machine; the overlap of the
    calls as the emulator recorded them says the same thing without a clock.)
    """
    emu.default = Behaviour(latency=0.4)
    k = filters(runtime, "site-001")
    assert k > 8
    summary = job(runtime)(run_of({"site_id": "site-001", "apps": ["app2_finance"]}))
    assert summary["complete"] and summary["computed"] == k and summary["failures"] == 0
    records = emu.requests_for(APP2)
    assert len(records) == k and all(r.ended_at is not None for r in records)
    assert peak_overlap(records) == 8


def test_every_filter_of_every_site_gets_app2_then_its_digest(runtime, emu):
    """All sites × ranges × (all + areas) are computed, each App2 followed by its App2a."""
    summary = job(runtime)(run_of({}))
    total = filters(runtime, "site-001") + filters(runtime, "site-002")
    assert summary["complete"] and summary["total"] == 2 * total and summary["computed"] == 2 * total
    assert len(emu.requests_for(APP2)) == total and len(emu.requests_for(APP2A)) == total
    assert summary["tokens"]["output"] > 0
    digest_prompts = [r.body["input"]["prompt"] for r in emu.requests_for(APP2A)]
    assert all('"summary"' in p for p in digest_prompts), "each digest was built from its App2 result"


def test_one_failing_item_does_not_stop_the_rest(runtime, emu):
    """A refused App2 item is reported (and its digest skipped); every other item completes."""
    emu.script(APP2, Behaviour(kind="http_error", status=400, code="InvalidParameter"))
    summary = job(runtime)(run_of({"site_id": "site-001"}))
    k = filters(runtime, "site-001")
    assert summary["complete"] and summary["failures"] == 2
    assert {f["code"] for f in summary["failed"]} == {"InvalidParameter", "DependencyFailed"}
    assert summary["computed"] == 2 * k - 2


def test_fresh_items_are_skipped_unless_forced(runtime, emu):
    """A second run finds everything fresh; force recomputes."""
    job(runtime)(run_of({"site_id": "site-002", "apps": ["app2_finance"]}))
    calls = len(emu.requests_for(APP2))
    again = job(runtime)(run_of({"site_id": "site-002", "apps": ["app2_finance"]}))
    assert again["computed"] == 0 and again["skipped"] == calls and len(emu.requests_for(APP2)) == calls
    forced = job(runtime)(run_of({"site_id": "site-002", "apps": ["app2_finance"], "force": True}))
    assert forced["computed"] == calls and len(emu.requests_for(APP2)) == 2 * calls


def test_deadline_stops_cleanly_and_the_next_part_resumes(runtime, emu):
    """Near the deadline no new item starts; the saved state lets the next run finish the rest."""
    emu.default = Behaviour(latency=0.3)
    saved: list[dict[str, Any]] = []
    k = filters(runtime, "site-001")
    first = App2Prewarm(
        runtime.service, FinanceStore(runtime.store), concurrency=4, qps=1000, margin_seconds=0.0
    )(run_of({"site_id": "site-001", "apps": ["app2_finance"]}, seconds=0.8, saved=saved))
    assert first["complete"] is False and 0 < first["done"] < k and saved
    second = job(runtime)(run_of({"site_id": "site-001", "apps": ["app2_finance"]}, resume=saved[-1]))
    assert second["complete"] is True and second["done"] == k
    assert len(emu.requests_for(APP2)) == k, "no item was computed twice"


def test_prewarm_uses_the_sandbox_business_date(runtime, emu):
    """With a sandbox clock, the cache is filled for that business date's data."""
    clock: SandboxClock = runtime.service.clock
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=20)
    clock.set_context(
        SandboxContext(
            mode="fixed",
            fixed_at=past,
            scope="global",
            expires_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1),
            reason="回放",
            set_by="adm",
            set_at=dt.datetime.now(dt.timezone.utc),
        ),
        actor="adm",
    )
    job(runtime)(run_of({"site_id": "site-001", "apps": ["app2_finance"]}))
    metas = [runtime.store.get_json(k)["meta"] for k in runtime.store.list("cache/app2_finance/")]
    assert metas and {m["business_date"] for m in metas} == {clock.business_date("site-001").isoformat()}


def test_manual_invoke_event_runs_now_and_reports(runtime, emu):
    """`s invoke` with {"job", "site_id", "force"} runs the job at once through the FC handler."""
    event = json.dumps({"job": "app2_prewarm", "site_id": "site-002", "force": True}).encode()
    result = prewarm_function.handler(event, fake_context(function={"name": "prewarm", "timeout": 900}))
    (item,) = result["results"]
    assert result["kind"] == "manual" and item["status"] == "ran"
    assert item["summary"]["complete"] and item["summary"]["sites"] == ["site-002"]
    assert runtime.jobs.last_run("app2_prewarm").trigger == "manual"


def test_tick_with_nothing_due_runs_nothing_and_drains_the_run_now_queue(runtime, emu):
    """A timer tick off-schedule runs no job, but a queued "run now" goes through exactly once."""
    runtime.store.put_json_if_absent(
        "jobs/queue/q0001.json",
        {"job": "app2_prewarm", "site_id": "site-001", "force": False, "queued_by": "adm"},
    )
    tick = {
        "triggerTime": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "triggerName": "tick",
        "payload": json.dumps({"source": "timer"}),
    }
    result = prewarm_function.handler(json.dumps(tick).encode(), fake_context())
    assert [q["results"][0]["status"] for q in result["queued"]] == ["ran"]
    assert runtime.store.list("jobs/queue/") == []
    assert runtime.jobs.runs("app2_prewarm")[0].by == "adm"  # who queued it, not this tick's request id
    again = prewarm_function.handler(json.dumps(tick).encode(), fake_context())
    assert "queued" not in again
    assert all(r["status"] in ("not_due", "disabled", "skipped_claimed", "ran") for r in again["results"])
    assert len(emu.requests_for(APP2)) == filters(runtime, "site-001")


def test_one_failing_item_makes_the_run_partial_with_counts(runtime, emu):
    emu.script(APP2, Behaviour(kind="http_error", status=400, code="InvalidParameter"))
    summary = job(runtime)(run_of({"site_id": "site-001"}))
    assert summary["outcome"] == "partial" and summary["failures"] == 2 and summary["computed"] > 0


def test_unset_app_ids_fail_the_run_before_any_call(runtime, emu, monkeypatch):
    """No app id: nothing is sent, nothing waits on the rate limit, the recorded run is failed."""
    monkeypatch.delenv("BAILIAN_APP_ID_APP2A_FINANCE_DIGEST")
    event = json.dumps({"job": "app2_prewarm", "site_id": "site-001", "force": True}).encode()
    result = prewarm_function.handler(event, fake_context(function={"name": "prewarm", "timeout": 900}))
    (item,) = result["results"]
    assert item["status"] == "failed" and item["outcome"] == "failed"
    assert "BAILIAN_APP_ID_APP2A_FINANCE_DIGEST" in item["error"]
    assert item["summary"]["done"] == 0 and emu.requests == []
    assert runtime.jobs.last_run("app2_prewarm").status == "failed"


def test_a_401_stops_the_run_at_once(runtime, emu):
    """Bailian refusing the key: at most the calls already in flight are made, not one per item."""
    emu.default = Behaviour(kind="http_error", status=401, code="InvalidApiKey")
    summary = App2Prewarm(runtime.service, FinanceStore(runtime.store), concurrency=2, qps=1000)(
        run_of({"site_id": "site-001", "apps": ["app2_finance"]})
    )
    assert summary["outcome"] == "failed" and summary["error"].startswith("stopped: InvalidApiKey")
    assert summary["complete"] is False
    assert 1 <= len(emu.requests_for(APP2)) <= 2 < filters(runtime, "site-001")


def test_every_item_failing_is_a_failed_run(runtime, emu):
    emu.default = Behaviour(kind="http_error", status=400, code="InvalidParameter")
    summary = job(runtime)(run_of({"site_id": "site-001", "apps": ["app2_finance"]}))
    assert summary["outcome"] == "failed" and summary["computed"] == 0 and summary["complete"]
