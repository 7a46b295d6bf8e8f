"""The PostgreSQL adapter against a real server: same answers as the embedded dataset, the
apps function on it (sandbox clock included), a restarted server, a statement past its timeout."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from pg_support import VenueDb
from support import SECRET, fc_call

from bailian_fc.apps.function import AppsFunction
from bailian_fc.auth import Authenticator
from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc.clock import SandboxContext
from bailian_fc.errors import DomainError
from bailian_fc.http.errors import to_api_error
from bailian_fc.http.fc_event import http_handler
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore
from bailian_fc.venue.embedded import EmbeddedVenueData
from bailian_fc.venue.postgres import PostgresVenueData
from bailian_fc_tools.demo.finance import generate
from bailian_fc_tools.emulator import EmulatorThread

AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
MANAGER = AUTH.mint("mgr-1", "site-001", "manager")
OTHER_SITE = AUTH.mint("mgr-2", "site-002", "manager")


@pytest.fixture
def embedded(venue_db: VenueDb, tmp_path: Any) -> EmbeddedVenueData:
    """The same demo sample in the store-backed dataset."""
    store = FileStore(tmp_path / "store")
    generate(store, sites=3, days=60, end=venue_db.end, seed=7)
    return EmbeddedVenueData(store)


@pytest.fixture
def port(venue_db: VenueDb) -> Any:
    venue = PostgresVenueData(venue_db.reader_url, statement_timeout_seconds=0.5)
    yield venue
    venue.close()


def test_postgres_and_embedded_answer_the_same(
    venue_db: VenueDb, embedded: EmbeddedVenueData, port: Any
) -> None:
    end = venue_db.end
    bound = end - dt.timedelta(days=5)
    assert port.sites() == embedded.sites() == ["site-001", "site-002", "site-003"]
    for site in port.sites():
        assert port.areas(site, upper_bound=bound) == embedded.areas(site, upper_bound=bound)
        start = end - dt.timedelta(days=20)
        pg_rows = port.read(site, start, end, upper_bound=bound)
        assert pg_rows and max(r.business_date for r in pg_rows) == bound
        embedded_rows = embedded.read(site, start, end, upper_bound=bound)
        # the same rows; each says when it was loaded (the DWS trigger's time, the demo's own)
        assert [r.model_dump(exclude={"loaded_at"}) for r in pg_rows] == [
            r.model_dump(exclude={"loaded_at"}) for r in embedded_rows
        ]
        assert all(r.loaded_at is not None for r in (*pg_rows, *embedded_rows))
    for clue_id in ("cl-001-001", "cl-001-005", "cl-001-012"):
        for upper in (end, end - dt.timedelta(days=25)):
            assert port.clue_detail("site-001", clue_id, upper_bound=upper) == embedded.clue_detail(
                "site-001", clue_id, upper_bound=upper
            )
    assert port.clue_detail("site-002", "cl-001-001", upper_bound=end) is None  # another site's clue
    assert port.clue_detail("site-001", "cl-404", upper_bound=end) is None


def test_a_restarted_server_costs_one_reconnect_not_an_error(venue_db: VenueDb, port: Any) -> None:
    before = port.read("site-001", venue_db.end, venue_db.end, upper_bound=venue_db.end)
    venue_db.cluster.restart()
    assert port.read("site-001", venue_db.end, venue_db.end, upper_bound=venue_db.end) == before
    assert port.reconnects == 1


def test_a_statement_over_its_timeout_is_a_504_not_a_hang(venue_db: VenueDb, port: Any) -> None:
    """An ETL holding the table locked: the read gives up at statement_timeout (0.5 s here)."""
    with venue_db.admin() as admin, admin.transaction():
        admin.execute("LOCK TABLE dws.finance_area_daily IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(DomainError) as info:
            port.read("site-001", venue_db.end, venue_db.end, upper_bound=venue_db.end)
    assert (to_api_error(info.value).status, info.value.code) == (504, "DataTimeout")
    assert port.read("site-001", venue_db.end, venue_db.end, upper_bound=venue_db.end), (
        "the connection survives"
    )
    assert port.reconnects == 0


# -- the apps function on PostgreSQL ----------------------------------------------------------------


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
            data_statement_timeout_seconds=0.5,
            bailian_backoff_base_seconds=0.01,
        )
        runtime = AppsFunction.build(settings, FileStore(tmp_path / "store"))
        handler = http_handler(runtime.router(), max_body_bytes=65536)
        yield runtime, emu, lambda *a, **k: call(handler, *a, **k)
        runtime.service.upstream.close()
        runtime.service.venue.close()


def call(handler: Any, path: str, body: Any, token: str = MANAGER) -> tuple[int, Any]:
    return fc_call(handler, "POST", path, body=body, token=token)


def test_app2_under_a_sandbox_clock_reads_only_up_to_its_business_date(apps: Any, venue_db: VenueDb) -> None:
    runtime, emu, post = apps
    now = dt.datetime.now(dt.timezone.utc)
    runtime.clock.set_context(
        SandboxContext(
            mode="fixed",
            fixed_at=now - dt.timedelta(days=20),
            scope="global",
            expires_at=now + dt.timedelta(hours=1),
            reason="回放",
            set_by="adm-1",
            set_at=now,
        ),
        actor="adm-1",
    )
    sandbox_day = runtime.clock.business_date("site-001")
    status, answer = post("/apps/app2_finance", {"range": "last_7_days"})
    assert status == 200, answer
    assert (
        answer["meta"]["business_date"] == sandbox_day.isoformat() and answer["meta"]["days_with_data"] == 7
    )
    with venue_db.admin() as admin:
        expected = admin.execute(
            "SELECT sum(table_revenue) FROM dws.finance_area_daily WHERE site_id = 'site-001'"
            " AND business_date BETWEEN %s AND %s",
            (sandbox_day - dt.timedelta(days=6), sandbox_day),
        ).fetchone()[0]
    prompt = emu.requests_for("emu-app2_finance")[0].body["input"]["prompt"]
    assert f"台费收入（元）：{float(expected):,.2f}" in prompt
    assert not any((sandbox_day + dt.timedelta(days=n)).isoformat() in prompt for n in range(1, 21))
    # Hand-written SQL in the port's scope for this request (the read role, the sandbox's bound):
    seen = runtime.service.venue.scoped(
        "site-001",
        runtime.clock.business_date("site-001"),
        lambda conn: conn.execute(
            "SELECT max(business_date), array_agg(DISTINCT site_id) FROM dws.finance_area_daily"
        ).fetchone(),
    )
    assert seen == (sandbox_day, ["site-001"])
    with venue_db.admin() as admin:  # clues opened after the sandbox day do not exist yet
        later, earlier = (
            admin.execute(
                f"SELECT clue_id FROM dws.clue WHERE site_id = 'site-001' AND business_date {op} %s ORDER BY 1 LIMIT 1",
                (sandbox_day,),
            ).fetchone()[0]
            for op in (">", "<=")
        )
    assert post("/apps/app3_clue_detail", {"clue_id": later})[0] == 404
    status, answer = post("/apps/app3_clue_detail", {"clue_id": earlier})
    assert status == 200 and answer["meta"]["business_date"] == sandbox_day.isoformat()
    clue_prompt = emu.requests_for("emu-app3_clue_detail")[0].body["input"]["prompt"]
    assert not any((sandbox_day + dt.timedelta(days=n)).isoformat() in clue_prompt for n in range(1, 21))


def test_app3_loads_the_clue_server_side_and_404s_what_the_site_lacks(apps: Any, venue_db: VenueDb) -> None:
    _, emu, post = apps
    status, answer = post("/apps/app3_clue_detail", {"clue_id": "cl-001-003"})
    assert status == 200, answer
    assert (
        answer["meta"]["clue_id"] == "cl-001-003"
        and answer["meta"]["business_date"] == venue_db.end.isoformat()
    )
    with venue_db.admin() as admin:
        content, customer = admin.execute(
            "SELECT c.content, u.name FROM dws.clue c JOIN dws.customer u"
            " USING (site_id, customer_id) WHERE clue_id = 'cl-001-003'"
        ).fetchone()
    prompt = emu.requests_for("emu-app3_clue_detail")[0].body["input"]["prompt"]
    assert content in prompt and customer in prompt
    for body, token in (({"clue_id": "cl-001-003"}, OTHER_SITE), ({"clue_id": "cl-001-999"}, MANAGER)):
        status, error = post("/apps/app3_clue_detail", body, token)
        assert status == 404 and error["error"]["code"] == "ClueNotFound"
    assert post("/apps/app3_clue_detail", {"lead_id": "L-1", "name": "x"})[0] == 400  # the old client shape
    assert len(emu.requests_for("emu-app3_clue_detail")) == 1


def test_server_restarted_mid_request_recovers_by_the_next_request(apps: Any, venue_db: VenueDb) -> None:
    """A request blocked in the database when the server restarts ends with a clean 5xx or its answer
    (never a hang or a 500); the next request is served on a fresh connection."""
    runtime, _, post = apps
    runtime.service.venue.statement_timeout_ms = 30_000
    results: list[tuple[int, Any]] = []
    admin = venue_db.admin()  # the restart kills it: closed by hand, not by a context manager's commit
    admin.execute("BEGIN")
    admin.execute("LOCK TABLE dws.finance_area_daily IN ACCESS EXCLUSIVE MODE")
    worker = threading.Thread(target=lambda: results.append(post("/apps/app2_finance", {"range": "today"})))
    worker.start()
    with venue_db.admin() as watcher:  # wait until the request is really waiting on the lock
        for _ in range(400):
            if watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = 'fc_reader'"
                " AND wait_event_type = 'Lock'"
            ).fetchone()[0]:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the request never reached the database")
    venue_db.cluster.restart()
    worker.join(timeout=60)
    admin.close()
    assert not worker.is_alive()
    status, body = results[0]
    assert status == 200 or (status == 503 and body["error"]["code"] == "DataUnavailable"), body
    status, body = post("/apps/app2_finance", {"range": "yesterday"})
    assert status == 200, body
    assert runtime.service.venue.reconnects >= 1


def test_a_timed_out_read_is_a_504_through_the_function(apps: Any, venue_db: VenueDb) -> None:
    _, emu, post = apps
    with venue_db.admin() as admin, admin.transaction():
        admin.execute("LOCK TABLE dws.clue IN ACCESS EXCLUSIVE MODE")
        status, body = post("/apps/app3_clue_detail", {"clue_id": "cl-001-002"})
    assert status == 504 and body["error"]["code"] == "DataTimeout"
    assert emu.requests_for("emu-app3_clue_detail") == []


def test_tls_and_other_libpq_options_come_from_the_url(venue_db: VenueDb) -> None:
    """`sslmode=require` reaches libpq: this test server has no TLS, so the read fails cleanly (503)."""
    plain = PostgresVenueData(venue_db.reader_url + "?sslmode=disable&connect_timeout=3")
    strict = PostgresVenueData(venue_db.reader_url + "?sslmode=require")
    try:
        assert plain.sites() == ["site-001", "site-002", "site-003"]
        with pytest.raises(DomainError) as info:
            strict.sites()
        assert (to_api_error(info.value).status, info.value.code) == (503, "DataUnavailable")
    finally:
        plain.close()
        strict.close()


def test_an_unmigrated_database_is_a_503_for_the_operator(
    empty_db: VenueDb, caplog: pytest.LogCaptureFixture
) -> None:
    # A plain login (the superuser would be refused before any read: test_data_login.py).
    with empty_db.admin() as conn:
        conn.execute("DO $$ BEGIN CREATE ROLE fc_plain LOGIN; EXCEPTION WHEN duplicate_object THEN END $$")
    venue = PostgresVenueData(empty_db.cluster.url("fc_plain", empty_db.name))
    try:
        with pytest.raises(DomainError) as info:
            venue.read("site-001", dt.date(2026, 1, 1), dt.date(2026, 1, 7), upper_bound=dt.date(2026, 1, 7))
    finally:
        venue.close()
    assert (to_api_error(info.value).status, info.value.code) == (503, "DataUnavailable")
    assert "UndefinedTable" in caplog.text and "db migrate" in caplog.text
