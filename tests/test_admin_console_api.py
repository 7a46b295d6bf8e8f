"""The admin routes the browser console adds (views.py, console.py) and the run log's failure detail."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from test_admin import ADMIN, NOW, TOKENS, CountingStore, Wall, call, rec, write

from bailian_fc.admin import function as admin_function
from bailian_fc.bailian.errors import OutputInvalid
from bailian_fc.runlog import record as runlog
from bailian_fc.store import FileStore
from bailian_fc_tools.local.fc_context import fake_context


@pytest.fixture
def rt(admin_runtime, tmp_path):
    return admin_runtime(CountingStore(FileStore(tmp_path / "store")), Wall())


CONSOLE_ROUTES = [
    ("GET", "/admin/triggers/app2_prewarm/runs", None),
    ("GET", "/admin/cron/preview", {"cron": "0 0 8 * * *"}),
    ("GET", "/admin/queue", None),
    ("GET", "/admin/runtime-context/audit", None),
    ("GET", "/admin/apps/schemas", None),
]


@pytest.mark.parametrize(("method", "path", "query"), CONSOLE_ROUTES)
def test_console_data_routes_are_admin_only(rt, method, path, query):
    assert call(method, path, token=None, query=query)[0] == 401
    for role in ("staff", "manager", "service"):
        assert call(method, path, token=TOKENS[role], query=query)[0] == 403
    assert call(method, path, token=ADMIN, query=query)[0] == 200


def test_cron_preview_gives_next_fires_in_the_zone_and_refuses_bad_crons(rt):
    status, body = call("GET", "/admin/cron/preview", query={"cron": "0 15 9 * * *", "tz": "Asia/Shanghai"})
    assert status == 200 and body["tz"] == "Asia/Shanghai"
    # NOW is 05:20 UTC = 13:20 in Shanghai: 09:15 there has passed today, so tomorrow 01:15 UTC
    assert body["next_fire_times"][0] == "2026-03-11T01:15:00+00:00"
    assert len(body["next_fire_times"]) == 5
    for bad in ("61 * * * * *", "not a cron", "0 0 8 * * *x"):
        status, body = call("GET", "/admin/cron/preview", query={"cron": bad})
        assert status == 400 and body["error"]["code"] == "InvalidCron", bad
    status, body = call("GET", "/admin/cron/preview", query={"cron": "0 0 8 * * *", "tz": "Mars/Olympus"})
    assert status == 400 and body["error"]["code"] == "InvalidCron"
    assert call("GET", "/admin/cron/preview", query={"cron": "x" * 201})[0] == 400
    assert call("GET", "/admin/cron/preview")[0] == 400
    assert rt.jobs.get("app2_prewarm").cron == "0 5 8 * * *"  # a preview never saves


def test_trigger_runs_queue_and_audit_list_newest_first(rt, monkeypatch):
    counter = iter(range(1, 1000))  # records made within one millisecond: make their order explicit
    for module in ("bailian_fc.jobs.store", "bailian_fc.clock"):
        monkeypatch.setattr(f"{module}.new_id", lambda prefix: f"{prefix}{next(counter):022x}")
    for n in range(3):
        rt.jobs.record_run(
            "app2_prewarm",
            NOW,
            {"done": n, "failed": [{"app": "app2_finance", "code": "X"}]},
            status="ok",
            trigger="manual",
        )
    status, body = call("GET", "/admin/triggers/app2_prewarm/runs", query={"limit": "2"})
    assert status == 200 and [r["summary"]["done"] for r in body["runs"]] == [2, 1]
    assert body["runs"][0]["summary"]["failed"][0]["code"] == "X"
    assert call("GET", "/admin/triggers/nope/runs")[0] == 404
    assert call("GET", "/admin/triggers/app2_prewarm/runs", query={"limit": "0"})[0] == 400
    assert call("POST", "/admin/triggers/runlog_rollup/run", {"site_id": "site-002"})[0] == 202
    status, body = call("GET", "/admin/queue")
    assert [(q["job"], q["site_id"], q["queued_by"]) for q in body["queued"]] == [
        ("runlog_rollup", "site-002", "admin-1")
    ]
    call("PUT", "/admin/runtime-context", {"mode": "offset", "offset_seconds": 60, "reason": "first"})
    call("PUT", "/admin/runtime-context", {"mode": "offset", "offset_seconds": 120, "reason": "second"})
    status, body = call("GET", "/admin/runtime-context/audit", query={"limit": "5"})
    assert [a["context"]["reason"] for a in body["audit"]] == ["second", "first"]
    assert body["audit"][0]["actor"] == "admin-1"


def test_app_schemas_are_the_single_turn_apps_input_schemas(rt):
    status, body = call("GET", "/admin/apps/schemas")
    keys = [a["key"] for a in body["apps"]]
    assert status == 200 and "app2_finance" in keys and "app1_chat" not in keys
    finance = next(a for a in body["apps"] if a["key"] == "app2_finance")
    assert "last_7_days" in json.dumps(finance["input_schema"]) and finance["title"] == "董事会财务洞察"


def test_dashboard_of_a_day_or_two_has_hourly_series_per_app(rt):
    write(rt.store, rec(NOW - timedelta(hours=2)), rec(NOW - timedelta(minutes=5), app="app2_finance"))
    status, body = call("GET", "/admin/dashboard", query={"days": "1"})
    assert status == 200
    hours = {h["hour"]: h["apps"] for h in body["by_hour"]}
    assert hours["2026-03-10T03:00:00+00:00"]["app3_clue_detail"]["calls"] == 1
    assert hours["2026-03-10T05:00:00+00:00"]["app2_finance"]["calls"] == 1
    assert call("GET", "/admin/dashboard", query={"days": "7"})[1]["by_hour"] is None


ROOT = Path(__file__).resolve().parents[1]


def raw_get(path: str) -> dict:
    event = {"rawPath": path, "headers": {}, "requestContext": {"http": {"method": "GET", "path": path}}}
    return admin_function.handler(json.dumps(event).encode(), fake_context())


def test_console_files_are_served_without_a_token_and_nothing_outside_ui(rt):
    index = raw_get("/admin/ui/")
    assert index["statusCode"] == 200 and index["headers"]["content-type"].startswith("text/html")
    assert "default-src 'self'" in index["headers"]["content-security-policy"]
    assert '<script type="module" src="app.js">' in index["body"]
    module = raw_get("/admin/ui/client/sse.js")
    assert module["statusCode"] == 200 and module["headers"]["content-type"].startswith("text/javascript")
    # The JS client has one source, clients/js/src: a checkout serves it from there.
    assert module["body"] == (ROOT / "clients" / "js" / "src" / "sse.js").read_text(encoding="utf-8")
    assert raw_get("/admin/ui")["statusCode"] == 308
    for path in (
        "/admin/ui/../function.py",
        "/admin/ui/..%2Ffunction.py",
        "/admin/ui/.hidden.js",
        "/admin/ui/nope.js",
        "/admin/ui/lib/../../console.py",
        "/admin/ui/console.py",
        "/admin/ui/a/b/c.js",
    ):
        out = raw_get(path)
        assert out["statusCode"] == 404, path
        assert json.loads(out["body"])["error"]["code"] == "NotFound"


def test_failure_fields_are_bounded_and_never_keep_credentials():
    reply = (
        '{"a": "'
        + "长" * 2000
        + '"} Bearer abc.def sk-1234567890abcdef eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig'
    )
    fields = runlog.failure_fields(OutputInvalid("reply does not match: Bearer tok.en", raw_text=reply))
    assert fields["error_message"] == "reply does not match: [redacted]"
    assert fields["reply_excerpt"] is not None and len(fields["reply_excerpt"]) == runlog.EXCERPT_CHARS
    tail = runlog.failure_fields(OutputInvalid("x", raw_text=reply[-120:]))["reply_excerpt"]
    assert tail is not None and "abc.def" not in tail and "sk-1234" not in tail and "eyJzdWIi" not in tail
    assert tail.count("[redacted]") == 3
    assert runlog.failure_fields(None) == {"error_message": None, "reply_excerpt": None}
    assert runlog.failure_fields(RuntimeError("m" * 1000))["error_message"].endswith("…")
