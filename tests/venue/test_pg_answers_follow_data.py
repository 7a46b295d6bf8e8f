"""Answers follow the data on a real PostgreSQL (issue 25), through the apps function's HTTP handler:
an UPDATE of a DWS row shows in the next answer's figures with a newer data_as_of (the trigger of
migration 0004), the insight is recomputed or lagged within APP_INSIGHT_MAX_LAG_SECONDS only, and
answers never cross data sources sharing one store."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pg_support import MIGRATIONS, VenueDb, create_database, grant_reader
from support import SECRET, fc_call

from bailian_fc.apps.function import AppsFunction
from bailian_fc.auth import Authenticator
from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc.clock import BusinessCalendar
from bailian_fc.http.fc_event import http_handler
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore
from bailian_fc_tools.db.migrations import migrate
from bailian_fc_tools.db.pg_writer import PostgresWriter
from bailian_fc_tools.db.pgtemp import TempCluster
from bailian_fc_tools.db.rls import MAINTENANCE
from bailian_fc_tools.demo.finance import generate
from bailian_fc_tools.emulator import EmulatorThread

AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
MANAGER = AUTH.mint("mgr-1", "site-001", "manager")
APP2 = "emu-app2_finance"
TODAY = {"range": "today"}


class SteppedWall:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def own_db(pg: TempCluster) -> VenueDb:
    """A database of its own: this test writes to the DWS."""
    today = BusinessCalendar("Asia/Shanghai", "08:00").business_date(dt.datetime.now(dt.timezone.utc))
    db = VenueDb(pg, create_database(pg, "fresh"), today)
    with db.admin() as conn:
        migrate(conn, MIGRATIONS)
        grant_reader(conn, db.name)
        generate(PostgresWriter(conn), sites=2, days=14, end=db.end, seed=3)
    return db


@pytest.fixture
def world(own_db: VenueDb, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in CATALOGUE:
        monkeypatch.setenv(f"BAILIAN_APP_ID_{key.upper()}", f"emu-{key}")
    with EmulatorThread() as emu:
        runtimes: list[AppsFunction] = []

        def runtime(data_url: str | None) -> tuple[AppsFunction, Any]:
            settings = Settings(
                dashscope_api_key="k",
                dashscope_base_url=emu.base_url,
                auth_jwt_secret=SECRET,
                store_url=f"file://{tmp_path}/store",
                data_url=data_url,
                bailian_backoff_base_seconds=0.01,
            )
            rt = AppsFunction.build(settings, FileStore(tmp_path / "store"))
            runtimes.append(rt)
            handler = http_handler(rt.router(), max_body_bytes=65536)

            def post(body: Any, key: str = "app2_finance", token: str = MANAGER) -> Any:
                status, answer = fc_call(handler, "POST", f"/apps/{key}", body=body, token=token)
                assert status == 200, answer
                return answer

            return rt, post

        yield runtime, emu
        for rt in runtimes:
            rt.service.upstream.close()
            rt.service.venue.close()


def update_today(db: VenueDb, site_id: str, extra: int) -> None:
    """The ETL's UPDATE of one of today's rows (as the owner, in maintenance mode)."""
    with db.admin() as conn, conn.transaction():
        conn.execute(f"SET LOCAL {MAINTENANCE} = 'on'")
        conn.execute(
            "UPDATE dws.finance_area_daily SET table_revenue = table_revenue + %s WHERE (site_id, business_date,"
            " area) = (SELECT site_id, business_date, min(area) FROM dws.finance_area_daily"
            " WHERE site_id = %s AND business_date = %s GROUP BY site_id, business_date)",
            (extra, site_id, db.end),
        )


def test_an_updated_dws_row_is_in_the_next_answer_with_a_newer_data_as_of(
    world: Any, own_db: VenueDb
) -> None:
    runtime, emu = world
    rt, post = runtime(own_db.reader_url)
    wall = SteppedWall()
    rt.service.cache.wall = rt.service.cache.claims.wall = wall
    rt.service.cache.sleep = wall.sleep

    first = post(TODAY)
    assert first["data_as_of"] is not None and first["insight_data_as_of"] == first["data_as_of"]
    assert post(TODAY)["cached"] is True and len(emu.requests_for(APP2)) == 1  # same data: one call

    update_today(own_db, "site-001", 9999)
    service = rt.service
    spec, data = CATALOGUE["app2_finance"], CATALOGUE["app2_finance"].input_model.model_validate(TODAY)
    reading = service.clock.reading("site-001")
    holder = service.cache.try_lease(
        service.answer_key(spec, data, "site-001", reading, service.basis(spec, data, "site-001", reading))
    )
    assert holder is not None  # another instance is computing the new data's insight
    lagged = post(TODAY)
    revenue = lagged["figures"]["current"]["revenue"]
    assert round(revenue - first["figures"]["current"]["revenue"], 2) == 9999
    assert lagged["data_as_of"] > first["data_as_of"] and "refresh" not in lagged
    assert lagged["insight_data_as_of"] == first["data_as_of"] and lagged["result"] == first["result"]
    assert len(emu.requests_for(APP2)) == 1

    wall.now += rt.settings.app_insight_max_lag_seconds + 1  # past the lag: never the older insight
    fresh = post(TODAY)
    assert fresh["insight_data_as_of"] == fresh["data_as_of"] == lagged["data_as_of"]
    assert fresh["cached"] is False and len(emu.requests_for(APP2)) == 2


def test_answers_never_cross_data_sources_under_one_store(world: Any, own_db: VenueDb) -> None:
    runtime, emu = world
    pg_rt, pg_post = runtime(own_db.reader_url)
    emb_rt, emb_post = runtime(None)
    generate(emb_rt.store, sites=2, days=14, end=emb_rt.clock.business_date(), seed=3)
    assert pg_rt.service.source.startswith("postgresql-") and "reader-pw" not in pg_rt.service.source
    assert emb_post(TODAY)["cached"] is False
    assert pg_post(TODAY)["cached"] is False  # the embedded run's answer is not this source's
    assert len(emu.requests_for(APP2)) == 2
    assert emb_post(TODAY)["cached"] is True and pg_post(TODAY)["cached"] is True
    assert len(emu.requests_for(APP2)) == 2


def test_a_site_without_business_days_is_no_data_without_the_model(world: Any, own_db: VenueDb) -> None:
    runtime, emu = world
    _rt, post = runtime(own_db.reader_url)
    answer = post(TODAY, token=AUTH.mint("mgr-9", "site-009", "manager"))
    assert answer["no_data"] is True and answer["result"]["insights"] == []
    assert answer["figures"]["days_with_data"] == 0 and answer["data_as_of"] is None
    assert answer["usage"]["tokens_used"] == 0 and emu.requests == []
