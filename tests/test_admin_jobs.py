"""Jobs created, edited and removed through the admin API: payloads checked against each kind's
model, every change audited with the admin's ``sub``, and runs attributed to whoever asked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from test_admin import NOW, SITE_ADMIN, Wall, build, call

from bailian_fc.admin import function as admin_function
from bailian_fc.admin.function import AdminFunction
from bailian_fc.jobs import Dispatcher, JobRun, JobStore
from bailian_fc.jobs.kinds import JOB_KINDS
from bailian_fc.jobs.retention import retired_emptied, runs_keys
from bailian_fc.jobs.run_now import set_local_starter
from bailian_fc.jobs.store import Job
from bailian_fc.store import FileStore


@pytest.fixture
def rt(tmp_path: Any) -> Any:
    runtime: AdminFunction = build(tmp_path, Wall())
    admin_function.configure(runtime)
    yield runtime
    admin_function.configure(None)


NEW = {
    "name": "prewarm_site2",
    "kind": "app2_prewarm",
    "cron": "0 0 6 * * *",
    "payload": {"site_id": "site-002", "apps": ["app2_finance"]},
    "description": "只为 site-002 预热",
}


def test_create_validates_the_payload_against_its_kind_and_audits(rt):
    status, err = call("POST", "/admin/triggers", {**NEW, "payload": {"site_id": "../x"}})
    assert status == 400 and err["error"]["details"][0]["field"] == "payload.site_id"
    status, err = call("POST", "/admin/triggers", {**NEW, "payload": {"apps": ["app3_clue_detail"]}})
    assert status == 400 and err["error"]["details"][0]["field"].startswith("payload.apps")
    assert call("POST", "/admin/triggers", {**NEW, "kind": "mystery"})[0] == 400
    assert (
        call("POST", "/admin/triggers", {**NEW, "cron": "61 * * * * *"})[1]["error"]["code"] == "InvalidCron"
    )
    assert rt.jobs.get("prewarm_site2") is None  # nothing written by a refused create

    status, body = call("POST", "/admin/triggers", NEW)
    assert status == 201 and body["kind"] == "app2_prewarm" and body["enabled"] is False
    assert body["tz"] == "Asia/Shanghai" and body["updated_by"] == "admin-1"
    assert body["next_fire_times"][0] == "2026-03-10T22:00:00+00:00"
    assert call("POST", "/admin/triggers", NEW)[1]["error"]["code"] == "Conflict"
    assert call("POST", "/admin/triggers", NEW, token=SITE_ADMIN)[0] == 403

    assert call("PUT", "/admin/triggers/prewarm_site2", {"payload": {"force": "sometimes"}})[0] == 400
    status, body = call("PUT", "/admin/triggers/prewarm_site2", {"payload": {"force": True}, "enabled": True})
    assert status == 200 and body["payload"] == {"force": True} and body["enabled"] is True

    assert call("DELETE", "/admin/triggers/prewarm_site2", token=SITE_ADMIN)[0] == 403
    assert call("DELETE", "/admin/triggers/prewarm_site2")[0] == 204
    assert rt.jobs.get("prewarm_site2") is None and call("DELETE", "/admin/triggers/prewarm_site2")[0] == 404

    _, log = call("GET", "/admin/jobs/audit", query={"limit": "10"})
    assert [(a["action"], a["job"], a["actor"]) for a in log["audit"]] == [
        ("delete", "prewarm_site2", "admin-1"),
        ("update", "prewarm_site2", "admin-1"),
        ("create", "prewarm_site2", "admin-1"),
    ]
    update = log["audit"][1]["changes"]
    assert update["enabled"] == {"from": False, "to": True}
    assert update["payload"]["to"] == {"force": True}
    assert log["audit"][2]["definition"]["payload"] == {"site_id": "site-002", "apps": ["app2_finance"]}


def test_kinds_and_app_titles_for_the_console(rt):
    _, body = call("GET", "/admin/jobs/kinds")
    kinds = {k["kind"]: k for k in body["kinds"]}
    assert set(kinds) == set(JOB_KINDS) and kinds["app2_prewarm"]["title"] == "App2 财务洞察预热"
    assert set(kinds["app2_prewarm"]["payload_schema"]["properties"]) == {"apps", "site_id", "force"}
    _, apps = call("GET", "/admin/apps")
    assert apps["apps"][0] == {"key": "app1_chat", "title": "智能助手对话", "mode": "stream"}


def test_a_manual_run_is_attributed_to_who_asked_and_a_new_job_runs_its_kinds_handler(tmp_path):
    jobs = JobStore(FileStore(tmp_path / "store"), now=lambda: NOW)
    jobs.seed()
    seen: list[dict[str, Any]] = []

    def handler(run: JobRun) -> dict[str, Any]:
        seen.append(run.payload)
        return {"done": 1}

    jobs.save(jobs.get("app2_prewarm").model_copy(update={"name": "prewarm_b", "kind": "app2_prewarm"}))
    dispatcher = Dispatcher(jobs, {"app2_prewarm": handler}, now=lambda: NOW + timedelta(seconds=1))
    dispatcher.instance_id = "fc-request-0123456789abcdef"
    result = dispatcher.handle({"job": "prewarm_b", "force": True, "by": "admin-7"})
    assert result["results"][0]["status"] == "ran"
    assert "by" not in seen[0]  # who asked is not part of the payload
    assert jobs.runs("prewarm_b")[0].by == "admin-7"
    dispatcher.handle({"job": "prewarm_b", "force": True})  # no one named: the invocation id, as before
    assert jobs.runs("prewarm_b")[0].by == "fc-request-0123456789abcdef"


def test_a_job_shows_its_daily_calls_and_an_enabled_costly_one_is_refused(rt):
    status, seeded = call("GET", "/admin/triggers/app2_prewarm")
    assert status == 200 and seeded["estimate"]["fires_per_day"] == 1
    assert seeded["estimate"]["calls_per_day"] == seeded["estimate"]["calls_per_fire"] > 0
    status, err = call("PUT", "/admin/triggers/app2_prewarm", {"cron": "* * * * * *"})
    assert status == 400 and err["error"]["code"] == "JobTooCostly", err
    assert err["error"]["details"][0]["fires_per_day"] == 288  # one per 5-minute tick
    narrow = {**NEW, "name": "narrow", "cron": "* * * * * *", "enabled": True}  # one site, one app
    status, body = call("POST", "/admin/triggers", narrow)
    assert status == 201 and body["estimate"]["calls_per_day"] == 288 * 40
    status, body = call("POST", "/admin/triggers", {**NEW, "cron": "* * * * * *", "payload": {}})
    assert status == 201 and body["estimate"]["calls_per_day"] > rt.settings.job_max_calls_per_day
    status, err = call("PUT", f"/admin/triggers/{NEW['name']}", {"enabled": True})
    assert status == 400 and err["error"]["code"] == "JobTooCostly"
    assert call("GET", f"/admin/triggers/{NEW['name']}")[1]["enabled"] is False


def test_at_most_max_jobs_jobs(rt):
    room = rt.settings.max_jobs - len(rt.jobs.list())
    for n in range(room):
        assert call("POST", "/admin/triggers", {**NEW, "name": f"extra_{n}"})[0] == 201
    status, err = call("POST", "/admin/triggers", {**NEW, "name": "one_too_many"})
    assert status == 409 and err["error"]["code"] == "TooManyJobs"


def test_a_job_created_under_a_deleted_jobs_name_starts_clean_and_a_legacy_job_keeps_its_runs(rt):
    dispatcher = Dispatcher(rt.jobs, {"app2_prewarm": lambda run: {"done": 1}}, now=lambda: NOW)
    started: list[dict[str, Any]] = []
    set_local_starter(lambda event: started.append(event) or "inv-1")
    try:
        assert call("POST", "/admin/triggers", NEW)[0] == 201
        assert dispatcher.handle({"job": "prewarm_site2", "by": "admin-1"})["results"][0]["status"] == "ran"
        assert len(call("GET", "/admin/triggers/prewarm_site2/runs")[1]["runs"]) == 1
        assert call("GET", "/admin/triggers/prewarm_site2")[1]["last_run"]["status"] == "ok"
        assert call("POST", "/admin/triggers/prewarm_site2/run", {})[1]["started"] == "already_ran"

        assert call("DELETE", "/admin/triggers/prewarm_site2")[0] == 204
        assert call("POST", "/admin/triggers", NEW)[0] == 201  # the same name, a new job
        assert call("GET", "/admin/triggers/prewarm_site2/runs")[1]["runs"] == []
        assert call("GET", "/admin/triggers/prewarm_site2")[1]["last_run"] is None
        answer = call("POST", "/admin/triggers/prewarm_site2/run", {})[1]
        assert answer["started"] == "now" and started[-1]["reservation"]
        # The run adopts the reservation made for the new job, in the slot the old job already ran.
        result = dispatcher.handle(started[-1])["results"][0]
        assert result["status"] == "ran" and result["run_id"] == answer["run_id"]
        assert [r["id"] for r in call("GET", "/admin/triggers/prewarm_site2/runs")[1]["runs"]] == [
            result["run_id"]
        ]
    finally:
        set_local_starter(None)

    # Both jobs' records stay sweepable: the deleted one's key is retired, not forgotten.
    new = rt.jobs.get("prewarm_site2")
    keys = runs_keys(rt.store)
    assert new.runs_key in keys and len([k for k in keys if k.startswith("prewarm_site2.")]) == 2

    # A job stored before ids (the seeded ones) keys its records by its name, as before.
    legacy = rt.jobs.get("app2_prewarm")
    assert legacy.id == "" and legacy.runs_key == "app2_prewarm"
    rt.store.put_json("jobs/runs/app2_prewarm/j0195f0000000aaaaaaaaaaaa.json", {
        "id": "j0195f0000000aaaaaaaaaaaa", "job": "app2_prewarm", "slot": NOW.isoformat(), "status": "ok",
    })  # fmt: skip
    assert [r["id"] for r in call("GET", "/admin/triggers/app2_prewarm/runs")[1]["runs"]] == [
        "j0195f0000000aaaaaaaaaaaa"
    ]


def test_a_retired_key_goes_once_its_records_are_swept(tmp_path):
    store = FileStore(tmp_path / "store")
    jobs = JobStore(store, now=lambda: NOW)
    _, job = jobs.create(Job(name="prewarm_x", kind="app2_prewarm", cron="0 0 6 * * *"), by="admin-1")
    assert job is not None
    jobs.record_run(job, NOW, {"done": 1})
    jobs.delete("prewarm_x")
    marker = f"jobs/retired/{job.runs_key}.json"
    assert runs_keys(store) == [job.runs_key] and not retired_emptied(store, marker, 0.0)
    for key in store.list(f"jobs/runs/{job.runs_key}/"):
        store.delete(key)
    assert retired_emptied(store, marker, 0.0)
