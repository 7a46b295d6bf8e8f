"""An answer belongs to one business day and one clock, on a real PostgreSQL (the read role, RLS):
answers computed live are never served under a past sandbox, nor the sandbox's once it is cleared."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pg_support import VenueDb
from support import SECRET, fc_call

from bailian_fc.apps.function import AppsFunction
from bailian_fc.auth import Authenticator
from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc.clock import SandboxContext
from bailian_fc.http.fc_event import http_handler
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore
from bailian_fc_tools.emulator import EmulatorThread

MANAGER = Authenticator(SECRET, "bailian-fc", "bailian-fc").mint("mgr-1", "site-001", "manager")
TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def apps(venue_db: VenueDb, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    for key in CATALOGUE:
        monkeypatch.setenv(f"BAILIAN_APP_ID_{key.upper()}", f"emu-{key}")
    with EmulatorThread() as emu:
        settings = Settings(
            dashscope_api_key="k",
            dashscope_base_url=emu.base_url,
            auth_jwt_secret=SECRET,
            store_url=f"file://{tmp_path}/store",
            data_url=venue_db.reader_url,
            bailian_backoff_base_seconds=0.01,
        )
        runtime = AppsFunction.build(settings, FileStore(tmp_path / "store"))
        runtime.clock.cache_seconds = 0  # see each set/clear at once (one instance here)
        handler = http_handler(runtime.router(), max_body_bytes=65536)

        def post(path: str, body: Any) -> tuple[int, Any]:
            return fc_call(handler, "POST", path, body=body, token=MANAGER)

        yield runtime, post
        runtime.service.upstream.close()
        runtime.service.venue.close()


def sandbox(runtime: AppsFunction, at: dt.datetime) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    ctx = SandboxContext(
        mode="fixed",
        fixed_at=at,
        scope="site",
        site_id="site-001",
        expires_at=now + dt.timedelta(hours=1),
        reason="test",
        set_by="adm-1",
        set_at=now,
    )
    runtime.clock.set_context(ctx, actor="adm-1")


def test_live_and_sandbox_answers_never_cross_on_postgres(apps: Any, venue_db: VenueDb) -> None:
    runtime, post = apps
    with venue_db.admin() as admin:  # the site's newest clue, and a day before it existed
        clue_id, opened = admin.execute(
            "SELECT clue_id, business_date FROM dws.clue WHERE site_id = 'site-001'"
            " ORDER BY business_date DESC, clue_id LIMIT 1"
        ).fetchone()
    before = dt.datetime.combine(opened - dt.timedelta(days=1), dt.time(12), tzinfo=TZ)

    live3 = post("/apps/app3_clue_detail", {"clue_id": clue_id})
    live2 = post("/apps/app2_finance", {"range": "this_month"})
    assert live3[0] == live2[0] == 200
    assert live2[1]["meta"]["business_date"] == venue_db.end.isoformat()

    sandbox(runtime, before)
    status, err = post("/apps/app3_clue_detail", {"clue_id": clue_id})
    assert status == 404 and err["error"]["code"] == "ClueNotFound", "a live answer served under a sandbox"
    status, past = post("/apps/app2_finance", {"range": "this_month"})
    assert status == 200 and past["cached"] is False
    assert past["meta"]["business_date"] == (opened - dt.timedelta(days=1)).isoformat()

    runtime.clock.clear_context("site", "site-001", "adm-1")
    for path, body, live in (
        ("/apps/app3_clue_detail", {"clue_id": clue_id}, live3[1]),
        ("/apps/app2_finance", {"range": "this_month"}, live2[1]),
    ):
        status, again = post(path, body)
        assert status == 200 and again["cached"] is True and again["generated_at"] == live["generated_at"]
        assert again["meta"]["business_date"] == venue_db.end.isoformat()

    # The +1 day sandbox then cleared: its answers stay its own.
    sandbox(runtime, dt.datetime.now(TZ) + dt.timedelta(days=1))
    status, ahead = post("/apps/app2_finance", {"range": "today"})
    assert (
        status == 200 and ahead["meta"]["business_date"] == (venue_db.end + dt.timedelta(days=1)).isoformat()
    )
    runtime.clock.clear_context("site", "site-001", "adm-1")
    status, today = post("/apps/app2_finance", {"range": "today"})
    assert (
        status == 200
        and today["cached"] is False
        and today["meta"]["business_date"] == venue_db.end.isoformat()
    )
