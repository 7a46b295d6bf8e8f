"""The DWS schema on a real PostgreSQL: migrations, the generated RLS, and what the read role can see."""

from __future__ import annotations

import random
import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from pg_support import MIGRATIONS, VenueDb, grant_reader

from bailian_fc_tools.db import rls
from bailian_fc_tools.db.migrations import MigrationError, discover, migrate

MONEY = ("table_revenue", "goods_revenue", "recharge", "consumption", "discount")
ALL_AI_VIEWS = [f"ai.{v.name}" for v in rls.AI_VIEWS]


def scope(conn: psycopg.Connection, site: str, upper: date) -> None:
    """What the data-source port does at the start of each read transaction."""
    conn.execute(
        "SELECT set_config('app.site_id', %s, true), set_config('app.business_date_upper', %s, true)",
        (site, upper.isoformat()),
    )


# -- migrations -------------------------------------------------------------------------------------


def test_migrations_apply_from_empty_then_rerun_applies_nothing(empty_db: VenueDb) -> None:
    with empty_db.admin() as conn:
        done = migrate(conn, MIGRATIONS)
        assert [m.version for m in done] == [m.version for m in discover(MIGRATIONS)] and len(done) >= 2
        recorded = conn.execute(
            "SELECT version, checksum FROM bailian_meta.schema_migrations ORDER BY 1"
        ).fetchall()
        assert recorded == [(m.version, m.checksum) for m in done]
        assert migrate(conn, MIGRATIONS) == []
        views = {
            r[0]
            for r in conn.execute(
                "SELECT table_schema || '.' || table_name FROM information_schema.views WHERE table_schema = 'ai'"
            )
        }
        assert views == set(ALL_AI_VIEWS)


def test_a_changed_applied_migration_is_refused(empty_db: VenueDb, tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, migrations)
    with empty_db.admin() as conn:
        migrate(conn, migrations)
        first = migrations / "0001_dws_schema.sql"
        first.write_text(first.read_text() + "\n-- an innocent-looking edit\n")
        with pytest.raises(MigrationError, match=r"0001_dws_schema\.sql was applied with another content"):
            migrate(conn, migrations)
        assert conn.execute("SELECT count(*) FROM bailian_meta.schema_migrations").fetchone() == (
            len(discover(migrations)),
        )


def test_committed_rls_migration_matches_the_view_list() -> None:
    """`bailian-fc db gen-rls` has been run for the current AI_VIEWS (else it writes a new file)."""
    latest = rls.generated(MIGRATIONS)[-1]
    assert rls.is_current(latest), "run `bailian-fc db gen-rls`"


def test_a_new_view_gets_its_bound_from_the_generator(empty_db: VenueDb, tmp_path: Path) -> None:
    """Add a table and list its view: the generated migration bounds it like every other view."""
    migrations = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, migrations)
    n = rls.next_version(migrations)
    (migrations / f"{n:04d}_table_bookings.sql").write_text(
        "CREATE TABLE dws.table_booking (site_id text NOT NULL, business_date date NOT NULL, note text);\n"
    )
    views = (*rls.AI_VIEWS, rls.AiView("table_booking", "dws.table_booking", "business_date"))
    written = rls.write_migration(migrations, views)
    assert written is not None and written.name == f"{n + 1:04d}_ai_rls.sql"
    assert rls.write_migration(migrations, views) is None, "idempotent: nothing new to write"
    with empty_db.admin() as conn:
        migrate(conn, migrations)
        grant_reader(conn, empty_db.name)
        conn.execute(
            "INSERT INTO dws.table_booking VALUES ('s1', '2026-01-01', 'a'), ('s1', '2026-01-03', 'b'),"
            " ('s2', '2026-01-01', 'c')"
        )
    with empty_db.reader() as conn, conn.transaction():
        scope(conn, "s1", date(2026, 1, 2))
        assert conn.execute("SELECT note FROM ai.table_booking").fetchall() == [("a",)]


# -- what the read role can see ---------------------------------------------------------------------


def test_read_role_has_no_bypassrls_and_cannot_turn_rls_off(venue_db: VenueDb) -> None:
    with venue_db.reader() as conn:
        assert conn.execute(
            "SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone() == (False, False)
        assert conn.execute(
            "SELECT rolbypassrls FROM pg_roles WHERE rolname = 'bailian_ai_read'"
        ).fetchone() == (False,)
        conn.execute("SET row_security = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("SELECT count(*) FROM ai.finance_area_daily")


def test_without_a_scope_the_read_role_sees_no_rows(venue_db: VenueDb) -> None:
    with venue_db.reader() as conn:
        for view in [*ALL_AI_VIEWS, "dws.finance_area_daily", "dws.clue"]:
            assert conn.execute(f"SELECT count(*) FROM {view}").fetchone() == (0,), view
        with conn.transaction():  # a scope that ended (SET LOCAL reverts to '') is no scope either
            scope(conn, "site-001", venue_db.end)
        assert conn.execute("SELECT count(*) FROM ai.finance_area_daily").fetchone() == (0,)


def test_hand_written_sql_sees_only_the_scoped_site_up_to_the_bound(venue_db: VenueDb) -> None:
    bound = venue_db.end - timedelta(days=10)
    with venue_db.admin() as admin:
        everything = admin.execute(
            "SELECT site_id, count(*), max(business_date) FROM dws.finance_area_daily GROUP BY 1 ORDER BY 1"
        ).fetchall()
        expected = admin.execute(
            "SELECT count(*) FROM dws.finance_area_daily WHERE site_id = 'site-001' AND business_date <= %s",
            (bound,),
        ).fetchone()
    assert [s for s, _, _ in everything] == ["site-001", "site-002", "site-003"]
    with venue_db.reader() as conn, conn.transaction():
        scope(conn, "site-001", bound)
        assert conn.execute("SELECT count(*) FROM ai.finance_area_daily").fetchone() == expected
        assert (
            conn.execute("SELECT count(*) FROM dws.finance_area_daily").fetchone() == expected
        )  # base table too
        assert conn.execute("SELECT DISTINCT site_id FROM ai.finance_area_daily").fetchall() == [
            ("site-001",)
        ]
        assert conn.execute("SELECT max(business_date) FROM ai.finance_area_daily").fetchone() == (bound,)
        assert conn.execute(
            "SELECT count(*) FROM ai.finance_area_daily WHERE site_id = 'site-002' OR business_date > %s",
            (bound,),
        ).fetchone() == (0,)
        for view in ALL_AI_VIEWS:
            sites = conn.execute(f"SELECT DISTINCT site_id FROM {view}").fetchall()
            assert sites in ([("site-001",)], []), view
        clue_dates = conn.execute("SELECT max(business_date) FROM ai.clue_followup").fetchone()
        assert clue_dates[0] is None or clue_dates[0] <= bound
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM dws.finance_area_daily")


def test_sites_discovery_returns_ids_only(venue_db: VenueDb) -> None:
    with venue_db.reader() as conn:
        assert conn.execute("SELECT * FROM ai.sites_with_data(%s)", (venue_db.end,)).fetchall() == [
            ("site-001",),
            ("site-002",),
            ("site-003",),
        ]
        # The function's owner flag is for its own query only: the caller's session is unchanged.
        assert conn.execute("SELECT current_setting('app.dws_maintenance', true)").fetchone() in [
            (None,),
            ("",),
        ]


def test_area_rollup_is_exactly_the_sum_of_the_areas(empty_db: VenueDb) -> None:
    """Random rows (cents and hours with awkward fractions): the roll-up view equals Python's exact sums."""
    rng = random.Random(20261128)
    with empty_db.admin() as conn:
        migrate(conn, MIGRATIONS)
        grant_reader(conn, empty_db.name)
        rows = []
        for site in ("r-1", "r-2"):
            for day in range(40):
                for area in rng.sample(["A", "B", "C", "D", "E", "F", "G"], rng.randint(1, 7)):
                    rows.append(
                        (
                            site,
                            date(2026, 1, 1) + timedelta(days=day),
                            area,
                            *(Decimal(rng.randint(0, 10**8)) / 100 for _ in MONEY),
                            Decimal(rng.randint(0, 99999)) / 100,
                            rng.randint(0, 5000),
                            rng.randint(0, 9000),
                        )
                    )
        # the ETL names its columns: loaded_at is the trigger's (migration 0004), not the loader's
        columns = ", ".join(("site_id", "business_date", "area", *rls.FINANCE_COLUMNS))
        with conn.cursor().copy(f"COPY dws.finance_area_daily ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    expected: dict[tuple[str, date], list[Decimal]] = {}
    for site, d, _area, *values in rows:
        sums = expected.setdefault((site, d), [Decimal(0)] * 8)
        for i, v in enumerate(values):
            sums[i] += Decimal(v)
    cols = ", ".join((*MONEY, "table_hours", "orders", "customers"))
    with empty_db.reader() as conn:
        for site in ("r-1", "r-2"):
            with conn.transaction():
                scope(conn, site, date(2026, 12, 31))
                got = conn.execute(
                    f"SELECT business_date, areas, {cols} FROM ai.finance_site_daily ORDER BY business_date"
                ).fetchall()
            want = sorted((d, sums) for (s, d), sums in expected.items() if s == site)
            assert [(d, [Decimal(v) for v in values]) for d, _, *values in got] == want
            assert [n for _, n, *_ in got] == [
                sum(1 for r in rows if r[0] == site and r[1] == d) for d, _ in want
            ]
