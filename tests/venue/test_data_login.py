"""RLS that holds whatever the configuration: FORCE ROW LEVEL SECURITY, the DATA_URL login check,
date-bounded site discovery, on a real PostgreSQL migrated by a non-superuser owner (as on RDS)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from pg_support import MIGRATIONS, READER, READER_PASSWORD, create_database, grant_reader
from support import SECRET
from test_db_cli import cli
from test_pg_venue import call

from bailian_fc.apps.function import AppsFunction
from bailian_fc.auth import Authenticator
from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc.errors import DomainError
from bailian_fc.http.errors import to_api_error
from bailian_fc.http.fc_event import http_handler
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore
from bailian_fc.venue.login import check_login
from bailian_fc.venue.postgres import PostgresVenueData
from bailian_fc_tools.db import rls
from bailian_fc_tools.db.migrations import migrate
from bailian_fc_tools.db.pg_writer import PostgresWriter
from bailian_fc_tools.db.pgtemp import TempCluster
from bailian_fc_tools.db.venue_network import check_data_login
from bailian_fc_tools.demo.finance import generate
from bailian_fc_tools.emulator import EmulatorThread

END = dt.date(2026, 3, 1)
PW = "pw-not-secret"
AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
MANAGER = AUTH.mint("mgr-1", "site-001", "manager")
TABLES = sorted({v.table for v in rls.AI_VIEWS})


@dataclass
class OwnedDb:
    cluster: TempCluster
    name: str
    owner: str  # a LOGIN with CREATEROLE, not a superuser: it created and owns every dws table
    member: str  # a LOGIN that is a member of the owner
    bypass: str  # a LOGIN with BYPASSRLS (and the read role: it would pass a grants-only check)

    def url(self, user: str | None = None) -> str:
        """The superuser's URL, or one of this fixture's logins."""
        return self.cluster.url(user, self.name, PW) if user else self.cluster.url(dbname=self.name)

    @property
    def reader_url(self) -> str:
        return self.cluster.url(READER, self.name, READER_PASSWORD)


@pytest.fixture(scope="module")
def owned(pg: TempCluster) -> OwnedDb:
    tag = uuid.uuid4().hex[:6]
    owner, member, bypass = f"fc_owner_{tag}", f"fc_member_{tag}", f"fc_bypass_{tag}"
    name = create_database(pg, "owned")
    with psycopg.connect(pg.url(), autocommit=True) as su:
        su.execute(f"CREATE ROLE {owner} LOGIN CREATEROLE PASSWORD '{PW}'")
        su.execute(f'ALTER DATABASE "{name}" OWNER TO {owner}')
        su.execute(f"CREATE ROLE {member} LOGIN PASSWORD '{PW}' IN ROLE {owner}")
        su.execute(f"CREATE ROLE {bypass} LOGIN BYPASSRLS PASSWORD '{PW}'")
    db = OwnedDb(pg, name, owner, member, bypass)
    with psycopg.connect(db.url(owner), autocommit=True) as conn:
        migrate(conn, MIGRATIONS)
        conn.execute(f"GRANT bailian_ai_read TO {bypass}")
        generate(PostgresWriter(conn), sites=2, days=20, end=END, seed=7)
    with psycopg.connect(pg.url(dbname=name), autocommit=True) as su:
        grant_reader(su, name)
        su.execute(f'GRANT CONNECT ON DATABASE "{name}" TO {member}, {bypass}')
    return db


def scoped_count(url: str, sql: str, site: str = "site-001", maintenance: bool = False) -> int:
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute(
            "SELECT set_config('app.site_id', %s, true), set_config('app.business_date_upper', %s, true),"
            " set_config('app.dws_maintenance', %s, true)",
            (site, END.isoformat(), "on" if maintenance else "off"),
        )
        return int(conn.execute(sql).fetchone()[0])


# -- FORCE ROW LEVEL SECURITY --------------------------------------------------------------------


def test_every_table_an_ai_view_reads_forces_rls(owned: OwnedDb) -> None:
    with psycopg.connect(owned.url(), autocommit=True) as conn:
        flags = dict(
            conn.execute(
                "SELECT n.nspname || '.' || c.relname, c.relforcerowsecurity AND c.relrowsecurity"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'dws'"
            ).fetchall()
        )
    assert {t: flags[t] for t in TABLES} == {t: True for t in TABLES}


@pytest.mark.parametrize("relation", ["ai.clue", "dws.clue", "ai.finance_site_daily", "dws.customer"])
def test_force_rls_holds_for_the_owner_and_its_members(owned: OwnedDb, relation: str) -> None:
    sql = f"SELECT count(*) FROM {relation}"
    # The rows are there (the read role sees its site's, an owner session that maintains sees all)…
    assert scoped_count(owned.reader_url, sql) > 0
    assert scoped_count(owned.url(owned.owner), sql, maintenance=True) > scoped_count(owned.reader_url, sql)
    # …but the owner reading as the functions do (scope set, no maintenance) sees none, nor does a member.
    assert scoped_count(owned.url(owned.owner), sql) == 0
    assert scoped_count(owned.url(owned.member), sql) == 0


def test_the_owner_cannot_write_without_saying_it_maintains(owned: OwnedDb) -> None:
    with psycopg.connect(owned.url(owned.owner), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(
                "INSERT INTO dws.staff (site_id, staff_id, name, role, since_date)"
                " VALUES ('site-009', 's-1', 'x', 'manager', '2026-01-01')"
            )


# -- site discovery, bounded by a business date ---------------------------------------------------


def test_sites_with_data_is_date_bounded(owned: OwnedDb) -> None:
    later = END + dt.timedelta(days=400)
    with psycopg.connect(owned.url(owned.owner), autocommit=True) as conn, conn.transaction():
        conn.execute("SELECT set_config('app.dws_maintenance', 'on', true)")
        conn.execute(
            "INSERT INTO dws.finance_area_daily VALUES ('site-000', %s, 'A', 1, 1, 0, 0, 0, 1, 1, 1)",
            (later,),
        )
    venue = PostgresVenueData(owned.reader_url)
    try:
        assert venue.sites(upper_bound=END) == ["site-001", "site-002"]
        assert venue.sites(upper_bound=END - dt.timedelta(days=20)) == []  # before the first demo day
        assert venue.sites(upper_bound=later) == ["site-000", "site-001", "site-002"]
        assert venue.sites() == ["site-001", "site-002"], "the default bound is today's latest business date"
    finally:
        venue.close()


# -- the login check ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "reason"),
    [
        ("superuser", "superuser"),
        ("owner", "owner (or member of the owner) of dws."),
        ("member", "owner (or member of the owner) of dws."),
        ("bypass", "BYPASSRLS"),
    ],
)
def test_logins_that_bypass_rls_are_refused_once_with_one_log_line(
    owned: OwnedDb, who: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = owned.url(None if who == "superuser" else getattr(owned, who))
    with psycopg.connect(url, autocommit=True) as conn:
        verdict = check_login(conn)
    assert not verdict.safe and any(r.startswith(reason) for r in verdict.reasons), verdict
    connects = []

    def connect(*a: Any, **k: Any) -> Any:
        connects.append(1)
        return psycopg.connect(*a, **k)

    venue = PostgresVenueData(url, connect=connect)
    caplog.set_level(logging.INFO, "bailian_fc.venue.postgres")
    try:
        for _ in range(3):
            with pytest.raises(DomainError) as info:
                venue.clue_detail("site-001", "cl-001-001", upper_bound=END)
            assert (to_api_error(info.value).status, info.value.code) == (503, "DataLoginUnsafe")
        assert venue.login_verdict() == "refused"
    finally:
        venue.close()
    assert connects == [1], "refused once per instance: no reconnect per read"
    refusals = [r for r in caplog.records if "venue data refused" in r.getMessage()]
    assert len(refusals) == 1 and reason.split(" (")[0] in refusals[0].getMessage()


def test_the_read_role_login_is_accepted(owned: OwnedDb) -> None:
    with psycopg.connect(owned.reader_url, autocommit=True) as conn:
        verdict = check_login(conn)
    assert verdict.safe and verdict.login == READER
    venue = PostgresVenueData(owned.reader_url)
    try:
        assert venue.clue_detail("site-001", "cl-001-001", upper_bound=END) is not None
        assert venue.login_verdict() == "ok"
    finally:
        venue.close()


# -- the functions, validate and db migrate say so ------------------------------------------------


@pytest.fixture
def apps_on(owned: OwnedDb, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in CATALOGUE:
        monkeypatch.setenv(f"BAILIAN_APP_ID_{key.upper()}", f"emu-{key}")
    runtimes = []
    with EmulatorThread() as emu:

        def build(data_url: str) -> Any:
            settings = Settings(
                dashscope_api_key="k",
                dashscope_base_url=emu.base_url,
                auth_jwt_secret=SECRET,
                store_url=f"file://{tmp_path}/store-{len(runtimes)}",
                data_url=data_url,
            )
            runtime = AppsFunction.build(settings, FileStore(tmp_path / f"store-{len(runtimes)}"))
            runtimes.append(runtime)
            handler = http_handler(runtime.router(), max_body_bytes=65536)
            return lambda *a, **k: call(handler, *a, **k)

        yield build
        for runtime in runtimes:
            runtime.service.upstream.close()
            runtime.service.venue.close()


def test_the_apps_function_refuses_an_owner_data_url_with_a_503(owned: OwnedDb, apps_on: Any) -> None:
    as_owner = apps_on(owned.url(owned.owner))
    status, body = as_owner("/apps/app3_clue_detail", {"clue_id": "cl-001-001"}, MANAGER)
    assert (status, body["error"]["code"]) == (503, "DataLoginUnsafe"), body
    as_reader = apps_on(owned.reader_url)
    status, body = as_reader("/apps/app3_clue_detail", {"clue_id": "cl-001-001"}, MANAGER)
    assert status == 200, body


def test_clock_reports_the_login_verdict(
    owned: OwnedDb, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    verdicts = {}
    for name, url in (("owner", owned.url(owned.owner)), ("reader", owned.reader_url)):
        settings = Settings(auth_jwt_secret=SECRET, store_url=f"file://{tmp_path}/{name}", data_url=url)
        runtime = AppsFunction.build(settings, FileStore(tmp_path / name))
        try:
            handler = http_handler(runtime.router(), max_body_bytes=65536)
            out = handler(clock_event(), _context())
            assert out["statusCode"] == 200
            verdicts[name] = _body(out)["data_login"]
        finally:
            runtime.service.venue.close()
    assert verdicts == {"owner": "refused", "reader": "ok"}


def clock_event() -> bytes:
    import json

    return json.dumps(
        {
            "version": "v1",
            "rawPath": "/clock",
            "headers": {"Authorization": f"Bearer {MANAGER}"},
            "queryParameters": {},
            "body": "",
            "isBase64Encoded": False,
            "requestContext": {"requestId": "r-clock", "http": {"method": "GET", "path": "/clock"}},
        }
    ).encode()


def _context() -> Any:
    from bailian_fc_tools.local.fc_context import fake_context

    return fake_context()


def _body(out: dict[str, Any]) -> Any:
    import base64
    import json

    return json.loads(base64.b64decode(out["body"]) if out["isBase64Encoded"] else out["body"])


def test_validate_names_an_unsafe_login_and_notes_a_safe_or_unreachable_one(
    owned: OwnedDb, pg: TempCluster
) -> None:
    problems, notes = check_data_login(owned.url(owned.owner))
    assert notes == [] and len(problems) == 1 and "bypasses row-level security" in problems[0]
    problems, notes = check_data_login(owned.reader_url)
    assert problems == [] and "subject to row-level security" in notes[0]
    problems, notes = check_data_login(f"postgresql://x@127.0.0.1:1/{owned.name}", connect_timeout=1)
    assert problems == [] and "not checked" in notes[0]


def test_db_migrate_needs_data_admin_url_and_checks_the_data_url_login(owned: OwnedDb) -> None:
    refused = cli("db", "migrate", DATA_URL=owned.url(owned.owner))
    assert refused.returncode == 2 and "DATA_ADMIN_URL" in refused.stderr, (
        "DATA_URL is never the migrating URL"
    )
    unsafe = cli("db", "migrate", DATA_ADMIN_URL=owned.url(owned.owner), DATA_URL=owned.url(owned.member))
    assert unsafe.returncode == 1 and "bypasses row-level security" in unsafe.stderr, unsafe.stderr
    safe = cli("db", "migrate", DATA_ADMIN_URL=owned.url(owned.owner), DATA_URL=owned.reader_url)
    assert safe.returncode == 0 and "subject to row-level security" in safe.stderr, safe.stderr
