"""Helpers for the venue-data tests on a real PostgreSQL (the fixtures are in conftest.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg

from bailian_fc_tools.db.pgtemp import TempCluster

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
