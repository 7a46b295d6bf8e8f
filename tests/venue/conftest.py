"""A real PostgreSQL for the venue-data tests: one throwaway cluster per session (no skip: CI
installs the server), a migrated ``venue`` database with demo data, and the functions' login."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone

import pytest
from pg_support import MIGRATIONS, VenueDb, create_database, grant_reader

from bailian_fc.clock import BusinessCalendar
from bailian_fc_tools.db.migrations import migrate
from bailian_fc_tools.db.pg_writer import PostgresWriter
from bailian_fc_tools.db.pgtemp import TempCluster
from bailian_fc_tools.demo.finance import generate


@pytest.fixture(scope="session")
def pg() -> Iterator[TempCluster]:
    with TempCluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def venue_db(pg: TempCluster) -> VenueDb:
    """Migrated, with 3 sites × 60 days of demo finance rows and 12 clues per site, ending today."""
    db = VenueDb(
        pg,
        create_database(pg, "venue"),
        BusinessCalendar("Asia/Shanghai", "08:00").business_date(datetime.now(timezone.utc)),
    )
    with db.admin() as conn:
        migrate(conn, MIGRATIONS)
        grant_reader(conn, db.name)
        generate(PostgresWriter(conn), sites=3, days=60, end=db.end, seed=7)
    return db


@pytest.fixture
def empty_db(pg: TempCluster) -> VenueDb:
    return VenueDb(pg, create_database(pg), date.today())
