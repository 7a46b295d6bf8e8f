"""Job creates have one winner; defaults are seeded once per store; a deleted default stays deleted."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from test_admin import Wall, build, call
from test_admin_jobs import NEW

from bailian_fc.admin import function as admin_function
from bailian_fc.admin.function import AdminFunction
from bailian_fc.jobs import JobStore
from bailian_fc.jobs.seed import default_jobs
from bailian_fc.store import FileStore, create_only


@pytest.fixture
def rt(tmp_path: Path) -> Any:
    runtime: AdminFunction = build(tmp_path, Wall())
    admin_function.configure(runtime)
    yield runtime
    admin_function.configure(None)


def test_ten_concurrent_creates_give_one_201_and_nine_409s_naming_the_winner(rt: AdminFunction) -> None:
    start = threading.Barrier(10)
    answers: list[tuple[int, Any]] = []

    def create(i: int) -> None:
        body = {**NEW, "description": f"writer {i}"}
        start.wait()
        answers.append(call("POST", "/admin/triggers", body))

    threads = [threading.Thread(target=create, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    created = [body for status, body in answers if status == 201]
    refused = [body for status, body in answers if status == 409]
    assert len(created) == 1 and len(refused) == 9
    winner = created[0]
    assert winner["id"].startswith("b") and winner["id"] != winner["name"]
    assert {r["error"]["details"][0]["id"] for r in refused} == {winner["id"]}
    stored = rt.jobs.get(NEW["name"])
    assert stored is not None and (stored.id, stored.description) == (winner["id"], winner["description"])
    _, log = call("GET", "/admin/jobs/audit", query={"limit": "50"})
    assert [e["action"] for e in log["audit"] if e["job"] == NEW["name"]] == ["create"]


def test_a_deleted_default_stays_deleted_across_cold_starts(tmp_path: Path) -> None:
    first = build(tmp_path, Wall())
    assert first.jobs.get("cache_housekeeping") is not None
    admin_function.configure(first)
    try:
        assert call("DELETE", "/admin/triggers/cache_housekeeping")[0] == 204
        assert call("PUT", "/admin/triggers/runlog_rollup", {"enabled": False})[0] == 200
    finally:
        admin_function.configure(None)
    for _ in range(3):  # each build is a cold start: it seeds (or, now, does not)
        again = build(tmp_path, Wall())
        assert again.jobs.get("cache_housekeeping") is None
        rollup = again.jobs.get("runlog_rollup")
        assert rollup is not None and not rollup.enabled
        assert "cache_housekeeping" not in [j.name for j in again.jobs.available()]


def test_a_store_seeded_before_the_marker_keeps_its_jobs_and_gets_only_the_missing_ones(
    tmp_path: Path,
) -> None:
    """Upgrade rule: a store without a marker (an older release's) gets every default it lacks and
    has no tombstone, once; its existing jobs (keyed by name, no id) keep working untouched."""
    store = FileStore(tmp_path)
    old = JobStore(store)
    old.ensure([default_jobs()[0]])  # as an older release left it: one job, no marker, no id
    before = old.get("app2_prewarm")
    assert before is not None and before.id == "" and before.job_id == "app2_prewarm"
    assert sorted(JobStore(store).seed()) == ["cache_housekeeping", "runlog_rollup"]
    assert JobStore(store).get("app2_prewarm") == before
    assert JobStore(store).seed() == []


def test_a_default_added_by_a_later_release_is_offered_not_created(rt: AdminFunction) -> None:
    newer = [*default_jobs(), {"name": "new_default", "cron": "0 0 3 * * *", "description": "新的"}]
    assert rt.jobs.seed(newer) == []
    assert [j.name for j in rt.jobs.available(newer)] == ["new_default"]
    assert rt.jobs.get("new_default") is None


def test_the_platform_console_lists_defaults_it_can_add_in_one_click(rt: AdminFunction) -> None:
    rt.jobs.delete("runlog_rollup")
    rt.store.delete("jobs/tombstones/runlog_rollup.json")
    rt.store.put_json("jobs/seeded.json", {"offered": ["app2_prewarm", "cache_housekeeping"]})
    _, listing = call("GET", "/admin/triggers")
    (offer,) = listing["available"]
    assert offer["name"] == "runlog_rollup"
    status, created = call("POST", "/admin/triggers", offer)
    assert status == 201 and created["name"] == "runlog_rollup"
    assert call("GET", "/admin/triggers")[1]["available"] == []


def test_create_only_has_one_winner_and_tells_the_losers_what_won(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    assert create_only(store, "x/a.json", {"id": "first"}) == (True, {"id": "first"})
    assert create_only(store, "x/a.json", {"id": "second"}) == (False, {"id": "first"})


def test_what_a_job_may_do_follows_its_kind_not_its_name(rt: AdminFunction) -> None:
    """A housekeeping-kind job named like the prewarm still sweeps the whole store: platform only; a
    prewarm-kind job under another name firing before the day start gets the warning."""
    from test_admin import SITE_ADMIN

    from bailian_fc.admin.scope import job_run_site
    from bailian_fc.auth import Principal
    from bailian_fc.clock import BusinessCalendar
    from bailian_fc.errors import Forbidden
    from bailian_fc.jobs import Job
    from bailian_fc.jobs.day_start import early_fire_warnings

    disguised = Job(name="app2_prewarm_x", kind="cache_housekeeping", cron="0 0 4 * * *")
    site_admin = Principal(sub="a", role="admin", site_id="site-001", platform=False)
    with pytest.raises(Forbidden):
        job_run_site(site_admin, disguised, "site-001")
    assert job_run_site(
        site_admin, Job(name="nightly", kind="app2_prewarm", cron="0 0 9 * * *"), "site-001"
    ) == ("site-001")
    assert (
        call(
            "POST",
            "/admin/triggers",
            {"name": "app2_prewarm_x", "kind": "cache_housekeeping", "cron": "0 0 4 * * *"},
        )[0]
        == 201
    )
    assert (
        call("POST", "/admin/triggers/app2_prewarm_x/run", {"site_id": "site-001"}, token=SITE_ADMIN)[0]
        == 403
    )

    early = Job(name="morning_numbers", kind="app2_prewarm", cron="0 40 7 * * *", tz="Asia/Shanghai")
    from datetime import datetime, timezone

    assert early_fire_warnings(
        early, BusinessCalendar("Asia/Shanghai", "08:00"), after=datetime(2024, 5, 1, tzinfo=timezone.utc)
    )
