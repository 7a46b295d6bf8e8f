"""Versioned SQL migrations (``db/migrations/NNNN_name.sql``) applied in order, each exactly once.

Applied versions are recorded with the file's SHA-256 in ``bailian_meta.schema_migrations``. A
re-run applies only new files; a changed file that was already applied is refused (the database
no longer matches what the repo says it ran), as is a gap in the numbering. Each file runs in its
own transaction, and a session advisory lock keeps two concurrent runs from interleaving.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCK_ID = 7_246_001  # pg_advisory_lock key of `bailian-fc db migrate`
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(directory: Path) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.fullmatch(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_lower_snake.sql")
        found.append(Migration(int(match.group(1)), match.group(2), path))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migration versions must run 1, 2, 3… without gaps or repeats: {versions}")
    return found


def migrate(conn: Any, directory: Path) -> list[Migration]:
    """Apply what is new in ``directory`` over ``conn`` (an autocommit psycopg connection)."""
    migrations = discover(directory)
    conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_ID,))
    try:
        conn.execute("CREATE SCHEMA IF NOT EXISTS bailian_meta")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bailian_meta.schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = dict(
            conn.execute("SELECT version, checksum FROM bailian_meta.schema_migrations").fetchall()
        )
        for m in migrations:
            if m.version in applied and applied[m.version] != m.checksum:
                raise MigrationError(
                    f"{m.path.name} was applied with another content (checksum "
                    f"{applied[m.version][:12]}…, file has {m.checksum[:12]}…): applied "
                    "migrations never change; add a new migration instead"
                )
        unknown = sorted(set(applied) - {m.version for m in migrations})
        if unknown:
            raise MigrationError(f"the database has migrations this repo does not: {unknown}")
        done = []
        for m in migrations:
            if m.version in applied:
                continue
            with conn.transaction():
                conn.execute(m.sql)
                conn.execute(
                    "INSERT INTO bailian_meta.schema_migrations (version, name, checksum)"
                    " VALUES (%s, %s, %s)",
                    (m.version, m.name, m.checksum),
                )
            done.append(m)
        return done
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_ID,))
