"""A real PostgreSQL for the venue-data tests: one throwaway cluster per session (no skip: CI
installs the server), a migrated ``venue`` database with demo data, and the functions' login."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import psycopg
import pytest

from bailian_fc.clock import BusinessCalendar
from bailian_fc.finance.demo import generate
from bailian_fc.local.migrations import migrate
from bailian_fc.local.pgtemp import TempCluster
from bailian_fc.venue.pg_writer import PostgresWriter

MIGRATIONS = Path(__file__).resolve().parents[2] / "db" / "migrations"
READER, READER_PASSWORD = "fc_reader", "reader-pw-not-secret"


@dataclass
class VenueDb:
    cluster: TempCluster
    name: str
    end: date  # the demo data's last business date (today's, real clock)

    @property
    def admin_url(self) -> str:
        return self.cluster.url(dbname=self.name)

    @property
    def reader_url(self) -> str:
        return self.cluster.url(READER, self.name, READER_PASSWORD)

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.admin_url, autocommit=True)

    def reader(self) -> psycopg.Connection:
        return psycopg.connect(self.reader_url, autocommit=True)


@pytest.fixture(scope="session")
def pg() -> Iterator[TempCluster]:
    with TempCluster() as cluster:
        yield cluster


def create_database(cluster: TempCluster, prefix: str = "t") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def grant_reader(conn: psycopg.Connection, dbname: str) -> None:
    """The functions' login: a member of bailian_ai_read (created by the first migration)."""
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (READER,)).fetchone()
    if not exists:
        conn.execute(f"CREATE ROLE {READER} LOGIN PASSWORD '{READER_PASSWORD}' IN ROLE bailian_ai_read")
    conn.execute(f'GRANT CONNECT ON DATABASE "{dbname}" TO {READER}')


@pytest.fixture(scope="session")
def venue_db(pg: TempCluster) -> VenueDb:
    """Migrated, with 3 sites × 60 days of demo finance rows and 12 clues per site, ending today."""
    db = VenueDb(pg, create_database(pg, "venue"),
                 BusinessCalendar("Asia/Shanghai", "08:00").business_date(datetime.now(timezone.utc)))
    with db.admin() as conn:
        migrate(conn, MIGRATIONS)
        grant_reader(conn, db.name)
        generate(PostgresWriter(conn), sites=3, days=60, end=db.end, seed=7)
    return db


@pytest.fixture
def empty_db(pg: TempCluster) -> VenueDb:
    return VenueDb(pg, create_database(pg), date.today())
