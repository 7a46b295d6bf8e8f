"""`bailian-fc db migrate`, `db gen-rls --check` and `demo-data` into PostgreSQL, as commands."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from pg_support import MIGRATIONS, VenueDb, grant_reader

from bailian_fc.venue.postgres import PostgresVenueData

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("DATA_URL", "DATA_ADMIN_URL")}
    return subprocess.run(
        [sys.executable, "-m", "bailian_fc_tools.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **env},
    )


def test_migrate_then_demo_data_then_read_as_the_function(empty_db: VenueDb) -> None:
    assert cli("db", "migrate").returncode == 2  # no URL anywhere
    assert cli("db", "migrate", DATA_URL=empty_db.admin_url).returncode == 2  # DATA_URL never migrates
    first = cli("db", "migrate", DATA_ADMIN_URL=empty_db.admin_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [f"applied {p.name}" for p in sorted(MIGRATIONS.glob("*.sql"))]
    again = cli("db", "migrate", "--url", empty_db.admin_url)
    assert again.returncode == 0 and again.stdout == "" and "nothing applied" in again.stderr
    with empty_db.admin() as conn:
        grant_reader(conn, empty_db.name)
    filled = cli(
        "demo-data",
        "--sites",
        "2",
        "--days",
        "9",
        "--clues",
        "3",
        "--end",
        "2026-03-01",
        DATA_URL=empty_db.reader_url,
        DATA_ADMIN_URL=empty_db.admin_url,
    )
    assert filled.returncode == 0, filled.stderr
    assert "PostgreSQL 127.0.0.1" in filled.stdout and "site-002: " in filled.stdout
    venue = PostgresVenueData(empty_db.reader_url)
    try:
        assert venue.sites() == ["site-001", "site-002"]
        rows = venue.read("site-002", date(2026, 2, 1), date(2026, 3, 31), upper_bound=date(2026, 3, 1))
        assert len({r.business_date for r in rows}) == 9
        assert venue.clue_detail("site-002", "cl-002-003", upper_bound=date(2026, 3, 1))
    finally:
        venue.close()


def test_gen_rls_check_says_the_committed_migration_is_current() -> None:
    done = cli("db", "gen-rls", "--check")
    assert done.returncode == 0 and "is up to date" in done.stdout, done.stdout + done.stderr
