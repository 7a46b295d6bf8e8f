"""Admin scope through the admin function's FC HTTP events: an admin acts on its own site only;
a platform admin (role admin + claim platform: true) acts on every site and on what all sites share."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from support import SECRET, fc_call

from bailian_fc.admin import function as admin_function
from bailian_fc.auth import Authenticator
from bailian_fc.cache import cache_key
from bailian_fc.clock import LIVE, Reading
from bailian_fc.jobs.queue import list_queue
from bailian_fc.runlog import record as runlog

# Any one business day under the live clock: these tests are about paths, not days.
LIVE_DAY = Reading(None, dt.datetime(2026, 3, 2, 4, tzinfo=dt.timezone.utc), dt.date(2026, 3, 2), LIVE)

AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
SITE1 = AUTH.mint("adm-1", "site-001", "admin")
PLATFORM = AUTH.mint("root-1", "site-001", "admin", platform=True)


@pytest.fixture
def rt(admin_runtime):
    return admin_runtime()


def call(
    method: str, path: str, token: str, body: Any = None, query: dict[str, str] | None = None
) -> tuple[int, Any]:
    return fc_call(admin_function.handler, method, path, body=body, token=token, query=query)


def forbidden(result: tuple[int, Any]) -> bool:
    return result[0] == 403 and result[1]["error"]["code"] == "Forbidden"


def test_platform_admin_is_only_an_explicit_admin_claim():
    assert AUTH.authenticate(f"Bearer {PLATFORM}").platform is True
    assert AUTH.authenticate(f"Bearer {SITE1}").platform is False
    with pytest.raises(ValueError):
        AUTH.mint("m", "site-001", "manager", platform=True)


def test_a_site_admin_purges_only_its_own_site(rt):
    for site in ("site-001", "site-002"):
        rt.store.put_json(
            cache_key("app3_clue_detail", "v1", site, {"n": 1}, LIVE_DAY), {"value": 1, "generated_at": 0}
        )
    assert forbidden(call("POST", "/admin/cache/purge", SITE1, {"site_id": "site-002"}))
    assert call("POST", "/admin/cache/purge", SITE1, {"app": "app3_clue_detail"}) == (200, {"deleted": 1})
    assert [k.split("/")[3] for k in rt.store.list("cache/")] == ["site-002"], (
        "another site's entries survive"
    )
    assert call("POST", "/admin/cache/purge", PLATFORM, {"site_id": "site-002"}) == (200, {"deleted": 1})


def test_a_site_admin_sets_only_its_own_sites_clock(rt):
    body = {"mode": "offset", "offset_seconds": 60, "reason": "t"}
    assert forbidden(call("PUT", "/admin/runtime-context", SITE1, body))  # global moves every site
    assert forbidden(
        call("PUT", "/admin/runtime-context", SITE1, {**body, "scope": "site", "site_id": "site-002"})
    )
    assert (
        call("PUT", "/admin/runtime-context", SITE1, {**body, "scope": "site", "site_id": "site-001"})[0]
        == 200
    )
    assert (
        call("PUT", "/admin/runtime-context", PLATFORM, {**body, "scope": "site", "site_id": "site-002"})[0]
        == 200
    )
    seen = {c.get("site_id") for c in call("GET", "/admin/runtime-context", SITE1)[1]["contexts"]}
    assert seen == {"site-001"}
    assert {c.get("site_id") for c in call("GET", "/admin/runtime-context", PLATFORM)[1]["contexts"]} == {
        "site-001",
        "site-002",
    }
    assert forbidden(
        call("DELETE", "/admin/runtime-context", SITE1, query={"scope": "site", "site_id": "site-002"})
    )
    assert forbidden(call("DELETE", "/admin/runtime-context", SITE1, query={"scope": "global"}))
    assert (
        call("DELETE", "/admin/runtime-context", SITE1, query={"scope": "site", "site_id": "site-001"})[0]
        == 204
    )


def test_a_site_admin_reads_only_its_own_sites_run_logs(rt):
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=30)  # indexed since then, outside 24 h
    runlog.write(
        rt.store,
        runlog.RunRecord(
            app="app2_finance", site_id="site-009", user="u", request_id="r", cache="miss", status="ok",
            at=old.timestamp(),
        ),
    )  # fmt: skip
    for site in ("site-001", "site-002"):
        runlog.write(
            rt.store,
            runlog.RunRecord(
                app="app3_clue_detail", site_id=site, user="u", request_id="r", cache="miss", status="ok"
            ),
        )
    status, page = call("GET", "/admin/runlogs", SITE1)
    assert status == 200 and [i["site_id"] for i in page["items"]] == ["site-001"]
    assert forbidden(call("GET", "/admin/runlogs", SITE1, query={"site": "site-002"}))
    for query in ({"status": "ok"}, {"app": "app3_clue_detail"}):  # through the run-log index
        status, page = call("GET", "/admin/runlogs", SITE1, query=query)
        assert status == 200 and [i["site_id"] for i in page["items"]] == ["site-001"], query
        assert len(call("GET", "/admin/runlogs", PLATFORM, query=query)[1]["items"]) == 2
    assert {i["site_id"] for i in call("GET", "/admin/runlogs", PLATFORM)[1]["items"]} == {
        "site-001",
        "site-002",
    }


def test_a_site_admin_cannot_walk_another_sites_cursor(rt):
    for n in range(3):
        runlog.write(
            rt.store,
            runlog.RunRecord(
                app="app3_clue_detail",
                site_id="site-002",
                user="u",
                request_id=f"r{n}",
                cache="miss",
                status="ok",
            ),
        )
    status, page = call("GET", "/admin/runlogs", PLATFORM, query={"site": "site-002", "limit": "1"})
    assert status == 200 and page["next_cursor"]
    status, err = call("GET", "/admin/runlogs", SITE1, query={"cursor": page["next_cursor"]})
    assert status == 400 and err["error"]["code"] == "CursorMismatch"


def test_cross_site_and_shared_operations_need_a_platform_admin(rt):
    # The dashboard: a site admin's is its own site's; another site's, or every site's, is the platform's.
    status, own = call("GET", "/admin/dashboard", SITE1)
    assert status == 200 and (own["site"], own["sites"], own["by_site"]) == ("site-001", ["site-001"], None)
    assert forbidden(call("GET", "/admin/dashboard", SITE1, query={"site": "site-002"}))
    status, everything = call("GET", "/admin/dashboard", PLATFORM)
    assert status == 200 and everything["site"] is None and everything["by_site"] == {}
    assert forbidden(call("PUT", "/admin/triggers/app2_prewarm", SITE1, {"description": "x"}))
    assert forbidden(call("POST", "/admin/triggers/app2_prewarm/run", SITE1, {}))
    assert forbidden(call("POST", "/admin/triggers/app2_prewarm/run", SITE1, {"site_id": "site-002"}))
    assert not list_queue(rt.store)
    assert call("POST", "/admin/triggers/app2_prewarm/run", SITE1, {"site_id": "site-001"})[0] == 202
    assert call("GET", "/admin/triggers", SITE1)[0] == 200  # reading the schedule is harmless
