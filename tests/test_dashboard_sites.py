"""The dashboard per site, users' calls apart from the prewarm's, and 4xx app failures in the run log.

Calls go through the apps function's FC HTTP events (emulator behind the real SDK, a file store);
the dashboard is read through the admin function on the same store.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from support import SECRET
from test_admin_scope import call as admin_call
from test_apps_function import build, call

from bailian_fc.admin import function as admin_function
from bailian_fc.admin.function import AdminFunction
from bailian_fc.apps import function as apps_function
from bailian_fc.auth import Authenticator
from bailian_fc.catalogue.inputs import FinanceFilter
from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc.runlog.dashboard import HourRollup, compute_hour, floor_hour
from bailian_fc.runlog.record import PREFIX
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore
from bailian_fc_tools.emulator import EmulatorThread

AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
MANAGER_A = AUTH.mint("mgr-a", "site-001", "manager")
MANAGER_B = AUTH.mint("mgr-b", "site-002", "manager")
STAFF_A = AUTH.mint("st-a", "site-001", "staff")
ADMIN_A = AUTH.mint("adm-a", "site-001", "admin")
ADMIN_B = AUTH.mint("adm-b", "site-002", "admin")
PLATFORM = AUTH.mint("root", "site-001", "admin", platform=True)
SECRET_CLUE = "cl-no-such-clue-8812"  # must never reach the run log: a refusal keeps its code only


@pytest.fixture
def both(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    for key in CATALOGUE:
        monkeypatch.setenv(f"BAILIAN_APP_ID_{key.upper()}", f"emu-{key}")
    with EmulatorThread() as emu:
        apps = build(emu, tmp_path)
        admin = AdminFunction.build(
            Settings(store_url=f"file://{tmp_path}/store", auth_jwt_secret=SECRET),
            FileStore(tmp_path / "store"),
        )
        apps_function.configure(apps)
        admin_function.configure(admin)
        yield apps, admin
        apps_function.configure(None)
        admin_function.configure(None)
        apps.service.upstream.close()


def records(store: Any) -> list[dict[str, Any]]:
    return [store.get_json(k) for k in store.list(PREFIX)]


def test_4xx_app_failures_reach_the_run_log_with_their_code_and_no_payload(both: Any) -> None:
    apps, _ = both
    assert call("POST", "/apps/app3_clue_detail", {"clue_id": SECRET_CLUE}, MANAGER_A)[0] == 404
    assert call("POST", "/apps/app2_finance", {"range": "yesterday-ish"}, MANAGER_A)[0] == 400
    assert call("POST", "/apps/app2_finance", {"range": "today"}, STAFF_A, query={"refresh": "1"})[0] == 403
    refused = {r["error_code"]: r for r in records(apps.store) if r["status"] == "rejected"}
    assert set(refused) == {"ClueNotFound", "ValidationError", "Forbidden"}, refused
    assert {r["site_id"] for r in refused.values()} == {"site-001"}
    text = json.dumps(list(refused.values()))
    assert SECRET_CLUE not in text and "yesterday-ish" not in text, "a refusal keeps no payload"
    assert all(r["error_message"] is None and r["latency_ms"] == {} for r in refused.values())


def test_the_dashboard_is_per_site_and_splits_scheduled_from_users(both: Any) -> None:
    apps, _ = both
    for token in (MANAGER_A, MANAGER_B):
        assert call("POST", "/apps/app2_finance", {"range": "yesterday"}, token)[0] == 200
    assert call("POST", "/apps/app3_clue_detail", {"clue_id": SECRET_CLUE}, MANAGER_A)[0] == 404
    # Three prewarm calls for site A, as the App2 prewarm job makes them.
    spec = CATALOGUE["app2_finance"]
    for rng in ("last_7_days", "last_30_days", "this_month"):
        apps.service.logged_resolve(
            spec, FinanceFilter(range=rng, area="all"), "site-001", "prewarm", "prewarm-x"
        )

    status, a = admin_call("GET", "/admin/dashboard", ADMIN_A, query={"days": "1"})
    assert status == 200 and (a["site"], a["sites"], a["by_site"]) == ("site-001", ["site-001"], None)
    assert a["total"]["calls"] == 5, "site A only: 1 user call, 1 refused, 3 scheduled"
    assert (a["by_origin"]["user"]["calls"], a["by_origin"]["scheduled"]["calls"]) == (2, 3)
    assert a["total"]["rejected_codes"] == {"ClueNotFound": 1} and a["total"]["errors"] == 0
    assert sum(d["by_origin"]["scheduled"]["calls"] for d in a["by_day"]) == 3

    status, b = admin_call("GET", "/admin/dashboard", ADMIN_B, query={"days": "1"})
    assert status == 200 and b["total"]["calls"] == 1 and b["by_origin"]["scheduled"]["calls"] == 0
    assert admin_call("GET", "/admin/dashboard", ADMIN_B, query={"site": "site-001"})[0] == 403

    status, every = admin_call("GET", "/admin/dashboard", PLATFORM, query={"days": "1"})
    assert status == 200 and every["site"] is None and every["sites"] == ["site-001", "site-002"]
    assert {s: v["calls"] for s, v in every["by_site"].items()} == {"site-001": 5, "site-002": 1}
    assert every["total"]["calls"] == 6
    status, chosen = admin_call("GET", "/admin/dashboard", PLATFORM, query={"days": "1", "site": "site-002"})
    assert status == 200 and chosen["total"]["calls"] == 1


def test_an_hour_rollup_round_trips_its_site_and_origin_groups(both: Any) -> None:
    apps, _ = both
    assert call("POST", "/apps/app2_finance", {"range": "yesterday"}, MANAGER_A)[0] == 200
    hour = floor_hour(apps.clock.wall_now())
    rollup = compute_hour(apps.store, hour, apps.clock.wall_now())
    again = HourRollup.from_json(json.loads(json.dumps(rollup.to_json())))
    assert again is not None and set(again.groups) == {("site-001", "user", "app2_finance")}
    assert HourRollup.from_json({**rollup.to_json(), "v": 1}) is None, "a v1 roll-up is recomputed"
