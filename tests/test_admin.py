"""The admin function end to end: FC HTTP events into ``handler``, a file store, a hand-moved wall clock.

Times: ``NOW`` is 2026-03-10 05:20 UTC; with Asia/Shanghai and an 08:00 day start a business date
runs 00:00–24:00 UTC, so business date = UTC date for every hour below (one test shifts it).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from support import SECRET, fc_call

from bailian_fc.admin import function as admin_function
from bailian_fc.admin.function import AdminFunction
from bailian_fc.auth import Authenticator
from bailian_fc.cache import cache_key
from bailian_fc.clock import LIVE, Reading
from bailian_fc.jobs import DEFAULT_JOBS
from bailian_fc.jobs.queue import list_queue
from bailian_fc.runlog import query as runlogs
from bailian_fc.runlog import record as runlog
from bailian_fc.runlog.dashboard import rollup_key, rollup_pending
from bailian_fc.runlog.histogram import RELATIVE_ERROR, exact_percentile
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore, Store

# Any one business day under the live clock: these tests are about paths, not days.
LIVE_DAY = Reading(None, dt.datetime(2026, 3, 2, 4, tzinfo=dt.timezone.utc), dt.date(2026, 3, 2), LIVE)

UTC = timezone.utc
NOW = datetime(2026, 3, 10, 5, 20, tzinfo=UTC)
AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
TOKENS = {role: AUTH.mint(f"{role}-1", "site-001", role) for role in ("staff", "manager", "admin", "service")}
ADMIN = AUTH.mint("admin-1", "site-001", "admin", platform=True)  # most tests act across sites
SITE_ADMIN = TOKENS["admin"]


class CountingStore(Store):
    """A FileStore that counts gets and puts, to prove what a request did (not) read or write."""

    def __init__(self, inner: FileStore) -> None:
        self.inner, self.gets, self.puts = inner, [], []

    def get(self, key: str) -> bytes | None:
        self.gets.append(key)
        return self.inner.get(key)

    def put(self, key: str, data: bytes) -> None:
        self.puts.append(key)
        self.inner.put(key, data)

    def put_if_absent(self, key: str, data: bytes) -> bool:
        self.puts.append(key)
        return self.inner.put_if_absent(key, data)

    def list_page(self, prefix: str, start_after: str = "", limit: int = 1000) -> list[str]:
        return self.inner.list_page(prefix, start_after, limit)

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def reset(self) -> None:
        self.gets, self.puts = [], []


class Wall:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def wall() -> Wall:
    return Wall()


def build(tmp_path: Any, wall: Wall, **settings: Any) -> AdminFunction:
    values = {"store_url": f"file://{tmp_path}/store", "auth_jwt_secret": SECRET, **settings}
    return AdminFunction.build(Settings(**values), CountingStore(FileStore(tmp_path / "store")), wall=wall)


@pytest.fixture
def rt(admin_runtime, tmp_path, wall):
    return admin_runtime(CountingStore(FileStore(tmp_path / "store")), wall)


def call(
    method: str, path: str, body: Any = None, token: str | None = ADMIN, query: dict[str, str] | None = None
) -> tuple[int, Any]:
    return fc_call(admin_function.handler, method, path, body=body, token=token, query=query)


def rec(
    at: datetime,
    app: str = "app3_clue_detail",
    site: str = "site-001",
    status: str = "ok",
    cache: str = "miss",
    code: str | None = None,
    total: float | None = 100.0,
    tin: int = 10,
    tout: int = 5,
) -> runlog.RunRecord:
    """A run log record whose id is minted from ``at``, as production ids are (key order = time order)."""
    ts = at.timestamp()
    return runlog.RunRecord(
        app=app,
        site_id=site,
        user="u-1",
        request_id=f"q-{secrets.token_hex(4)}",
        cache=cache,
        status=status,
        error_code=code,
        attempts=1,
        tokens={"input_tokens": tin, "output_tokens": tout, "models": {}},
        latency_ms={"total": total},
        at=ts,
        id=f"r{int(ts * 1000):012x}{secrets.token_hex(5)}",
    )


def write(store: Store, *records: runlog.RunRecord) -> None:
    for record in records:
        runlog.write(store, record)


# -- auth -----------------------------------------------------------------------------------------

ROUTES = [
    ("GET", "/admin/runlogs", None, None, 200),
    ("GET", "/admin/dashboard", None, {"days": "2"}, 200),
    ("GET", "/admin/triggers", None, None, 200),
    ("GET", "/admin/triggers/app2_prewarm", None, None, 200),
    ("PUT", "/admin/triggers/app2_prewarm", {"description": "x"}, None, 200),
    ("POST", "/admin/triggers/app2_prewarm/run", {}, None, 202),
    ("GET", "/admin/runtime-context", None, None, 200),
    ("PUT", "/admin/runtime-context", {"mode": "offset", "offset_seconds": 60, "reason": "t"}, None, 200),
    ("DELETE", "/admin/runtime-context", None, {"scope": "global"}, 204),
    ("POST", "/admin/cache/purge", {"app": "app3_clue_detail"}, None, 200),
]


@pytest.mark.parametrize(("method", "path", "body", "query", "ok"), ROUTES)
def test_every_route_is_admin_only(rt, method, path, body, query, ok):
    """No token or a bad one: 401; staff, manager, service: 403 and nothing changes; admin: success."""
    assert call(method, path, body, token=None, query=query)[0] == 401
    assert call(method, path, body, token="not.a.jwt", query=query)[0] == 401
    wrong = Authenticator("another-secret-that-is-long-enough-0123", "bailian-fc", "bailian-fc")
    assert call(method, path, body, token=wrong.mint("a", "site-001", "admin"), query=query)[0] == 401
    for role in ("staff", "manager", "service"):
        status, err = call(method, path, body, token=TOKENS[role], query=query)
        assert status == 403 and err["error"]["code"] == "Forbidden"
    assert not rt.store.inner.list("jobs/queue/") and rt.jobs.get("app2_prewarm").description != "x"
    if method == "DELETE":
        call("PUT", "/admin/runtime-context", {"mode": "offset", "offset_seconds": 5, "reason": "t"})
    status, _ = call(method, path, body, query=query)
    assert status == ok


# -- run logs ---------------------------------------------------------------------------------------


def seed_130(store: Store) -> list[runlog.RunRecord]:
    """130 records over 02:00–04:59 UTC, three apps, two sites, every fifth an error."""
    records = []
    apps = ("app3_clue_detail", "app6_note_analysis", "app2_finance")
    for i in range(130):
        at = datetime(2026, 3, 10, 2, tzinfo=UTC) + timedelta(seconds=i * 80 + 7)
        records.append(
            rec(
                at,
                app=apps[i % 3],
                site=f"site-00{1 + i % 2}",
                status="error" if i % 5 == 0 else "ok",
                code="UpstreamTimeout" if i % 5 == 0 else None,
            )
        )
    write(store, *records)
    return records


def page_all(query: dict[str, str], between_pages: Any = None) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        status, body = call(
            "GET", "/admin/runlogs", query={**query, **({"cursor": cursor} if cursor else {})}
        )
        assert status == 200, body
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        if between_pages:
            between_pages()


def test_runlogs_pages_newest_first_without_gaps_or_duplicates_under_appends(rt, wall):
    records = seed_130(rt.store)
    expected = [r.id for r in sorted(records, key=lambda r: r.at, reverse=True)]
    appended = []

    def append() -> None:  # new records while paging: later than the first page's `to`
        wall.now += timedelta(seconds=1)
        fresh = [rec(wall.now - timedelta(milliseconds=10)), rec(wall.now + timedelta(minutes=1))]
        appended.extend(r.id for r in fresh)
        write(rt.store, *fresh)

    pages = page_all({"limit": "50"}, append)
    assert [len(p) for p in pages] == [50, 50, 30]
    ids = [item["id"] for page in pages for item in page]
    assert ids == expected and not set(appended) & set(ids)
    ats = [item["at"] for page in pages for item in page]
    assert ats == sorted(ats, reverse=True)
    # The next first page (a new `to`) does see the appended records.
    _, fresh = call("GET", "/admin/runlogs", query={"limit": "200"})
    assert {i for i in appended if i in {x["id"] for x in fresh["items"]}}


def test_runlogs_filters_and_ranges(rt):
    records = seed_130(rt.store)
    write(rt.store, rec(NOW - timedelta(hours=30)))  # outside the default 24 h
    newest = sorted(records, key=lambda r: r.at, reverse=True)
    for query, keep in [
        ({"app": "app6_note_analysis"}, lambda r: r.app == "app6_note_analysis"),
        ({"status": "error"}, lambda r: r.status == "error"),
        ({"site": "site-002", "status": "ok"}, lambda r: r.site_id == "site-002" and r.status == "ok"),
        (
            {"from": "2026-03-10T03:00:00Z", "to": str(datetime(2026, 3, 10, 3, 30, tzinfo=UTC).timestamp())},
            lambda r: (
                datetime(2026, 3, 10, 3, tzinfo=UTC).timestamp()
                <= r.at
                <= NOW.replace(hour=3, minute=30).timestamp()
            ),
        ),
    ]:
        got = [item["id"] for page in page_all({**query, "limit": "7"}) for item in page]
        assert got == [r.id for r in newest if keep(r)], query
    _, body = call("GET", "/admin/runlogs", query={"limit": "200"})
    assert len(body["items"]) == 130 and body["from"] == (NOW - timedelta(hours=24)).isoformat()


def test_runlogs_bounded_scan_still_pages_everything(rt, monkeypatch):
    """Records written before the run-log index existed are scanned, a bounded amount per page."""
    monkeypatch.setattr(runlog.index, "entry_writes", lambda *a, **k: [])  # an older store
    records = seed_130(rt.store)
    monkeypatch.setattr(runlogs, "MAX_SCAN", 9)
    pages = page_all({"status": "error", "limit": "200"})
    assert len(pages) > 3 and all(len(p) <= 2 for p in pages)
    got = [item["id"] for page in pages for item in page]
    assert got == [r.id for r in sorted(records, key=lambda r: r.at, reverse=True) if r.status == "error"]


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "201"},
        {"limit": "many"},
        {"status": "failed"},
        {"app": "app99"},
        {"site": "../etc"},
        {"from": "yesterday"},
        {"from": "2026-03-10T05:00:00Z", "to": "2026-03-10T04:00:00Z"},
        {"from": "2025-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
        {"to": "1e400"},
    ],
)
def test_runlogs_validation(rt, query):
    status, body = call("GET", "/admin/runlogs", query=query)
    assert status == 400 and body["error"]["code"] == "ValidationError" and body["error"]["details"]


def test_runlogs_cursor_errors(rt):
    seed_130(rt.store)
    _, first = call("GET", "/admin/runlogs", query={"limit": "10", "app": "app2_finance"})
    status, body = call(
        "GET", "/admin/runlogs", query={"cursor": first["next_cursor"], "app": "app3_clue_detail"}
    )
    assert status == 400 and body["error"]["code"] == "CursorMismatch"
    assert (
        call("GET", "/admin/runlogs", query={"cursor": first["next_cursor"], "app": "app2_finance"})[0] == 200
    )
    assert (
        call("GET", "/admin/runlogs", query={"cursor": "bm90IGpzb24"})[1]["error"]["code"] == "InvalidCursor"
    )


# -- dashboard ------------------------------------------------------------------------------------


def hand_made_log() -> list[runlog.RunRecord]:
    d9, d10 = datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC)
    return [
        rec(d9 - timedelta(minutes=30), total=5),  # 03-08: outside days=2
        rec(d9 + timedelta(hours=10, minutes=1), cache="hit", total=4.0, tin=0, tout=0),
        rec(d9 + timedelta(hours=10, minutes=2), cache="hit", total=6.5, tin=0, tout=0),
        rec(d9 + timedelta(hours=10, minutes=3), cache="miss", total=1200.0, tin=300, tout=120),
        rec(d9 + timedelta(hours=10, minutes=4), cache="stale", status="ok", code="Throttling", total=900.0),
        rec(d9 + timedelta(hours=11), status="error", code="UpstreamTimeout", total=45000.0, tin=0, tout=0),
        rec(d10 + timedelta(hours=2, minutes=5), total=2100.0, tin=500, tout=200),
        rec(d10 + timedelta(hours=2, minutes=6), app="app6_note_analysis", total=850.0, tin=80, tout=40),
        rec(
            d10 + timedelta(hours=2, minutes=7),
            app="app6_note_analysis",
            status="error",
            code="InvalidOutput",
            total=3100.0,
            tin=90,
            tout=70,
        ),
        rec(d10 + timedelta(hours=4, minutes=59), app="app6_note_analysis", cache="refresh", total=640.0),
        rec(
            d10 + timedelta(hours=5, minutes=10),
            app="app6_note_analysis",
            cache="hit",
            total=3.0,
            tin=0,
            tout=0,
        ),
        rec(d10 + timedelta(hours=5, minutes=11), cache="none", total=None, tin=0, tout=0),
    ]


def expected_stats(records: list[runlog.RunRecord]) -> dict[str, Any]:
    errors: dict[str, int] = {}
    for r in records:
        if r.status == "error":
            errors[r.error_code] = errors.get(r.error_code, 0) + 1
    lat = [r.latency_ms["total"] for r in records if r.latency_ms["total"] is not None]
    return {
        "calls": len(records),
        "errors": sum(errors.values()),
        "error_codes": errors,
        "hit_rate": round(sum(r.cache in ("hit", "stale") for r in records) / len(records), 4),
        "in": sum(r.tokens["input_tokens"] for r in records),
        "out": sum(r.tokens["output_tokens"] for r in records),
        "p50": exact_percentile(lat, 0.5),
        "p95": exact_percentile(lat, 0.95),
    }


def assert_stats(got: dict[str, Any], records: list[runlog.RunRecord]) -> None:
    want = expected_stats(records)
    assert (got["calls"], got["errors"], got["error_codes"]) == (
        want["calls"],
        want["errors"],
        want["error_codes"],
    )
    assert (got["cache_hit_rate"], got["input_tokens"], got["output_tokens"]) == (
        want["hit_rate"],
        want["in"],
        want["out"],
    )
    for q in ("p50", "p95"):
        assert abs(got["latency_ms"][q] - want[q]) <= RELATIVE_ERROR * want[q] + 0.01, (q, got, want)


def test_dashboard_numbers_per_app_per_day_and_totals(rt):
    log = hand_made_log()
    write(rt.store, *log)
    status, body = call("GET", "/admin/dashboard", query={"days": "2"})
    assert status == 200, body
    assert (body["from"], body["to"], [d["date"] for d in body["by_day"]]) == (
        "2026-03-09",
        "2026-03-10",
        ["2026-03-09", "2026-03-10"],
    )
    day9, day10 = body["by_day"]
    assert list(day9["apps"]) == ["app3_clue_detail"] and day9["total"]["calls"] == 5
    assert day9["apps"]["app3_clue_detail"]["error_codes"] == {"UpstreamTimeout": 1}
    assert day9["apps"]["app3_clue_detail"]["cache_hit_rate"] == 0.6  # 2 hits + 1 stale of 5
    assert day9["apps"]["app3_clue_detail"]["input_tokens"] == 310
    in_window = log[1:]
    assert_stats(day9["apps"]["app3_clue_detail"], in_window[:5])
    assert_stats(day10["apps"]["app3_clue_detail"], [in_window[5], in_window[10]])
    assert_stats(day10["apps"]["app6_note_analysis"], in_window[6:10])
    assert_stats(body["by_app"]["app6_note_analysis"], in_window[6:10])
    assert_stats(body["total"], in_window)
    assert body["total"]["calls"] == 11 and body["total"]["latency_ms"]["count"] == 10
    assert body["rollups"] == {"hours": 30, "reused": 0, "computed": 29, "live": 1}


def test_completed_hours_are_rolled_up_once_and_reused(rt, wall):
    store: CountingStore = rt.store
    write(store, *hand_made_log())
    _, first = call("GET", "/admin/dashboard", query={"days": "2"})
    hour = lambda h: datetime(2026, 3, 10, h, tzinfo=UTC)  # noqa: E731
    assert store.inner.get(rollup_key(hour(4))) and store.inner.get(rollup_key(hour(5))) is None
    written = store.inner.get(rollup_key(hour(2)))
    store.reset()
    write(store, rec(hour(2) + timedelta(minutes=30)))  # too late for a completed hour: not counted
    store.reset()
    _, second = call("GET", "/admin/dashboard", query={"days": "2"})
    assert second["rollups"] == {"hours": 30, "reused": 29, "computed": 0, "live": 1}
    read = [k for k in store.gets if k.startswith("runlogs/")]
    assert len(read) == 2 and all(k.startswith("runlogs/2026-03-10/05/") for k in read) and not store.puts
    assert second["by_day"] == first["by_day"] and store.inner.get(rollup_key(hour(2))) == written
    wall.now = datetime(2026, 3, 10, 6, 4, tzinfo=UTC)  # hour 05 ended, still in its grace
    call("GET", "/admin/dashboard", query={"days": "2"})
    assert store.inner.get(rollup_key(hour(5))) is None
    wall.now = datetime(2026, 3, 10, 6, 6, tzinfo=UTC)
    _, third = call("GET", "/admin/dashboard", query={"days": "2"})
    assert store.inner.get(rollup_key(hour(5))) is not None and third["rollups"]["computed"] == 1


def test_rollup_pending_for_the_timer_job(rt):
    write(rt.store, *hand_made_log())
    stopped = rollup_pending(rt.store, NOW, budget_seconds=-1)
    # 03-03 06:00 (the first whole hour of the last 7 days) .. 03-10 04:00 (05:00 is not complete)
    assert stopped["computed"] == 0 and stopped["remaining"] == stopped["checked"] == 167
    done = rollup_pending(rt.store, NOW)
    assert done["computed"] == done["checked"] and rollup_pending(rt.store, NOW)["computed"] == 0
    assert json.loads(json.dumps(done)) == done  # the timer job stores it in its run record
    rt.store.inner.put_json(rollup_key(datetime(2026, 3, 9, 10, tzinfo=UTC)), {"v": 0})  # an old format
    _, body = call("GET", "/admin/dashboard", query={"days": "2"})
    assert body["rollups"]["computed"] == 1 and body["by_day"][0]["total"]["calls"] == 5


def test_an_hour_belongs_to_the_business_date_of_its_start(tmp_path, wall):
    runtime = build(tmp_path, wall, business_day_start="08:30")  # = 00:30 UTC
    admin_function.configure(runtime)
    try:
        write(runtime.store, rec(datetime(2026, 3, 10, 0, 45, tzinfo=UTC)))
        _, body = call("GET", "/admin/dashboard", query={"days": "2"})
        assert [d["total"]["calls"] for d in body["by_day"]] == [1, 0]  # hour 00Z starts on 03-09's date
    finally:
        admin_function.configure(None)


@pytest.mark.parametrize("days", ["0", "91", "week"])
def test_dashboard_days_validation(rt, days):
    status, body = call("GET", "/admin/dashboard", query={"days": days})
    assert status == 400 and body["error"]["details"][0]["field"] == "days"


# -- triggers -------------------------------------------------------------------------------------


def test_triggers_list_with_last_run_and_next_fires(rt):
    rt.jobs.record_run(
        "app2_prewarm",
        datetime(2026, 3, 9, 23, 30, tzinfo=UTC),
        {"items": 40, "failed": 1},
        status="ok",
        finished_at=datetime(2026, 3, 9, 23, 31, tzinfo=UTC),
    )
    status, body = call("GET", "/admin/triggers")
    jobs = {t["name"]: t for t in body["jobs"]}
    assert status == 200 and set(jobs) == {job["name"] for job in DEFAULT_JOBS}
    prewarm = jobs["app2_prewarm"]
    assert (prewarm["enabled"], prewarm["cron"], prewarm["tz"], prewarm["payload"]) == (
        True,
        "0 5 8 * * *",  # just after the 08:00 day start
        "Asia/Shanghai",
        {},
    )
    assert prewarm["last_run"]["status"] == "ok" and prewarm["last_run"]["summary"] == {
        "items": 40,
        "failed": 1,
    }
    assert (
        prewarm["last_run"]["at"] == "2026-03-09T23:31:00+00:00"
        and jobs["cache_housekeeping"]["last_run"] is None
    )
    assert prewarm["next_fire_times"] == [f"2026-03-{d}T00:05:00+00:00" for d in range(11, 16)]
    assert prewarm["warnings"] == [], "the seeded prewarm fires after the day start"


def test_put_trigger_reschedules_and_validates(rt):
    status, err = call(
        "PUT", "/admin/triggers/app2_prewarm", {"cron": "0 0 9 * * *", "payload": {"sites": 2}}
    )  # the payload is checked against the kind's model before anything changes
    assert status == 400 and err["error"]["details"][0]["field"] == "payload.sites"
    assert rt.jobs.get("app2_prewarm").cron == "0 5 8 * * *"  # the seed: 5 min after the 08:00 day start
    status, body = call(
        "PUT", "/admin/triggers/app2_prewarm", {"cron": "0 0 9 * * *", "payload": {"site_id": "site-002"}}
    )
    assert status == 200 and body["cron"] == "0 0 9 * * *" and body["payload"] == {"site_id": "site-002"}
    assert body["next_fire_times"] == [f"2026-03-{d}T01:00:00+00:00" for d in range(11, 16)]
    assert body["updated_by"] == "admin-1" and rt.jobs.get("app2_prewarm").cron == "0 0 9 * * *"
    status, body = call("PUT", "/admin/triggers/app2_prewarm", {"cron": "CRON_TZ=UTC 0 0 6 * * *"})
    assert status == 200 and body["tz"] == "UTC" and body["next_fire_times"][0] == "2026-03-10T06:00:00+00:00"
    _, body = call("PUT", "/admin/triggers/cache_housekeeping", {"enabled": True})
    assert body["enabled"] is True and body["enabled_at"] == NOW.isoformat()
    for bad in (
        {"cron": "61 * * * *"},
        {"cron": "@every 5m"},
        {"cron": "0 0 0 30 2 *"},
        {"tz": "Mars/Olympus"},
    ):
        status, err = call("PUT", "/admin/triggers/cache_housekeeping", bad)
        assert status == 400 and err["error"]["code"] == "InvalidCron" and err["error"]["message"], bad
    assert call("PUT", "/admin/triggers/cache_housekeeping", {})[0] == 400
    assert (
        call("PUT", "/admin/triggers/cache_housekeeping", {"cronn": "x"})[1]["error"]["code"]
        == "ValidationError"
    )
    assert call("PUT", "/admin/triggers/cache_housekeeping", {"enabled": "yes"})[0] == 400
    assert call("PUT", "/admin/triggers/nope", {"enabled": True})[0] == 404
    assert rt.jobs.get("cache_housekeeping").cron == "0 0 4 * * *"


def test_run_trigger_queues_a_create_only_record(rt):
    status, body = call("POST", "/admin/triggers/app2_prewarm/run", {"site_id": "site-002", "force": True})
    assert status == 202 and body["queue_id"].startswith("q")
    record = rt.store.inner.get_json(f"jobs/queue/{body['queue_id']}.json")
    assert record == {
        "job": "app2_prewarm",
        "site_id": "site-002",
        "force": True,
        "queued_by": "admin-1",
        "queued_at": NOW.isoformat(),
        "run_id": body["run_id"],  # the run adopts the id and the one-per-(job, site) reservation
        "reservation": record["reservation"],
    }
    status, second = call("POST", "/admin/triggers/app2_prewarm/run")  # no body: every field optional
    assert status == 202 and "site_id" not in rt.store.inner.get_json(f"jobs/queue/{second['queue_id']}.json")
    assert {e["id"] for e in list_queue(rt.store)} == {body["queue_id"], second["queue_id"]}
    assert call("POST", "/admin/triggers/nope/run", {})[0] == 404
    assert call("POST", "/admin/triggers/app2_prewarm/run", {"site_id": "a/b"})[0] == 400
    assert call("POST", "/admin/triggers/app2_prewarm/run", {"force": "yes"})[0] == 400


# -- runtime context ------------------------------------------------------------------------------


def audits(store: Store) -> list[dict[str, Any]]:
    return [store.get_json(k) for k in store.list("runtime/audit/")]


def test_runtime_context_set_get_expire_delete_and_audit(rt, wall):
    status, ctx = call(
        "PUT",
        "/admin/runtime-context",
        {
            "mode": "offset",
            "offset_seconds": -86400,
            "ttl_seconds": 600,
            "reason": "replay yesterday",
            "set_by": "forged",
        },
    )
    assert status == 400  # set_by comes from the token, never from the body
    status, ctx = call(
        "PUT",
        "/admin/runtime-context",
        {"mode": "offset", "offset_seconds": -86400, "ttl_seconds": 600, "reason": "replay yesterday"},
    )
    assert status == 200 and (ctx["set_by"], ctx["set_at"]) == ("admin-1", NOW.isoformat())
    assert ctx["expires_at"] == (NOW + timedelta(seconds=600)).isoformat() and ctx["scope"] == "global"
    site = {
        "mode": "fixed",
        "fixed_at": "2026-01-01T12:00:00+08:00",
        "scope": "site",
        "site_id": "site-002",
        "expires_at": (NOW + timedelta(days=2)).isoformat(),
        "reason": "demo",
    }
    assert call("PUT", "/admin/runtime-context", site)[0] == 200
    _, view = call("GET", "/admin/runtime-context")
    assert [(c["scope"], c["expired"]) for c in view["contexts"]] == [("global", False), ("site", False)]
    assert view["clock"]["sandbox"] is True and view["clock"]["business_date"] == "2026-03-09"
    wall.now += timedelta(seconds=601)
    _, view = call("GET", "/admin/runtime-context")
    assert [c["expired"] for c in view["contexts"]] == [True, False] and view["clock"]["sandbox"] is False
    assert call("DELETE", "/admin/runtime-context", query={"scope": "site", "site_id": "site-002"})[0] == 204
    assert call("DELETE", "/admin/runtime-context", query={"scope": "site", "site_id": "site-002"})[0] == 404
    trail = audits(rt.store)  # ids order by real milliseconds, so compare as a multiset
    assert sorted(a["action"] for a in trail) == ["clear", "clear", "set", "set"]
    assert {a["actor"] for a in trail} == {"admin-1"}
    cleared = [a["context"] for a in trail if a["action"] == "clear"]
    assert sorted(c["site_id"] if c else "none" for c in cleared) == ["none", "site-002"]


@pytest.mark.parametrize(
    "body",
    [
        {"mode": "offset", "offset_seconds": 1, "reason": "r", "ttl_seconds": 7 * 86400 + 1},
        {
            "mode": "offset",
            "offset_seconds": 1,
            "reason": "r",
            "ttl_seconds": 60,
            "expires_at": "2026-03-11T00:00:00Z",
        },
        {"mode": "offset", "offset_seconds": 1, "reason": "r", "expires_at": "2026-03-10T05:00:00Z"},
        {"mode": "offset", "offset_seconds": 1, "reason": "r", "expires_at": "2026-03-30T00:00:00Z"},
        {"mode": "fixed", "reason": "r"},
        {"mode": "offset", "offset_seconds": 1, "scope": "site", "reason": "r"},
        {"mode": "offset", "offset_seconds": 1, "reason": ""},
        {"mode": "rewind", "reason": "r"},
    ],
)
def test_runtime_context_validation(rt, body):
    status, err = call("PUT", "/admin/runtime-context", body)
    assert status == 400 and err["error"]["details"], err
    assert not audits(rt.store)


@pytest.mark.parametrize(
    "query", [{}, {"scope": "global", "site_id": "site-001"}, {"scope": "site"}, {"scope": "x"}]
)
def test_runtime_context_delete_validation(rt, query):
    assert call("DELETE", "/admin/runtime-context", query=query)[0] == 400


# -- cache ----------------------------------------------------------------------------------------


def test_cache_purge_by_app_and_by_site(rt):
    entries = [
        ("app3_clue_detail", "site-001"),
        ("app3_clue_detail", "site-002"),
        ("app6_note_analysis", "site-001"),
        ("app6_note_analysis", "site-002"),
        ("app6_note_analysis", "site-002"),
    ]
    for n, (app, site) in enumerate(entries):
        rt.store.put_json(cache_key(app, "v1", site, {"n": n}, LIVE_DAY), {"value": n, "generated_at": 0})
    assert call("POST", "/admin/cache/purge", {"app": "app3_clue_detail"}) == (200, {"deleted": 2})
    assert call("POST", "/admin/cache/purge", {"site_id": "site-002"}) == (200, {"deleted": 2})
    assert [k.split("/")[1:4:2] for k in rt.store.list("cache/")] == [["app6_note_analysis", "site-001"]]
    for bad in ({}, {"app": "app99"}, {"site_id": "../x"}, {"app": "app3_clue_detail", "all": True}):
        status, err = call("POST", "/admin/cache/purge", bad)
        assert status == 400 and err["error"]["code"] == "ValidationError", bad
