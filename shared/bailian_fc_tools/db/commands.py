"""``bailian-fc db migrate`` and ``bailian-fc db gen-rls``: the venue DWS schema.

``migrate`` connects with ``--url`` (default ``DATA_ADMIN_URL``; never ``DATA_URL``): a role that
may create schemas, tables, policies and the ``bailian_ai_read`` role, not the functions' login.
``DATA_URL`` is the functions' read login and must stay one: defaulting the migrating URL to it
would invite the one configuration RLS cannot survive (the functions logging in as the owner).
After migrating, when ``DATA_URL`` is set, ``migrate`` also checks that login (:mod:`..venue.login`)
and fails when it would bypass row-level security.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any


def migrations_dir() -> Path:
    from bailian_fc_tools.builder.build import project_root

    return project_root() / "db" / "migrations"


def admin_url(explicit: str | None = None) -> str | None:
    return explicit or os.environ.get("DATA_ADMIN_URL") or None


def register(sub: Any) -> None:
    parser = sub.add_parser("db", help="venue DWS schema: migrate, gen-rls")
    db = parser.add_subparsers(dest="db_command", required=True)
    migrate = db.add_parser(
        "migrate",
        help="apply db/migrations/ (idempotent; refuses changed applied files)",
        description="Apply the versioned SQL files of db/migrations/ to the venue DWS, in order, as the schema "
        "owner (DATA_ADMIN_URL). Applied files are recorded with their checksum: running again applies only "
        "new ones, and a changed applied file is refused.",
    )
    migrate.add_argument(
        "--url", default=None, help="postgresql://… (default: DATA_ADMIN_URL; DATA_URL is never used)"
    )
    migrate.add_argument(
        "--dir", type=Path, default=None, help="migrations directory (default: db/migrations)"
    )
    migrate.set_defaults(func=_migrate)
    gen = db.add_parser("gen-rls", help="write the RLS migration for every AI-facing view (dev/rls.py)")
    gen.add_argument("--dir", type=Path, default=None, help="migrations directory (default: db/migrations)")
    gen.add_argument("--check", action="store_true", help="only report; exit 1 when a new migration is due")
    gen.set_defaults(func=_gen_rls)


def _migrate(args: argparse.Namespace) -> int:
    from bailian_fc_tools.db.migrations import MigrationError, migrate

    url = admin_url(args.url)
    if not url or not url.startswith(("postgresql://", "postgres://")):
        print(
            "db migrate: set --url or DATA_ADMIN_URL to the schema owner's postgresql:// URL"
            " (DATA_URL is the functions' read-only login and is never used to migrate)",
            file=sys.stderr,
        )
        return 2
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            done = migrate(conn, args.dir or migrations_dir())
    except (MigrationError, psycopg.Error) as exc:
        print(f"db migrate: {exc}", file=sys.stderr)
        return 1
    for m in done:
        print(f"applied {m.path.name}")
    print(f"db migrate: {len(done) or 'nothing'} applied", file=sys.stderr)
    return _check_data_login()


def _check_data_login() -> int:
    """The functions' login (``DATA_URL``), when set: 1 when it would read past the RLS bound."""
    import psycopg

    from bailian_fc.venue.login import check_login

    data_url = os.environ.get("DATA_URL", "")
    if not data_url.startswith(("postgresql://", "postgres://")):
        return 0
    try:
        with psycopg.connect(data_url, autocommit=True, connect_timeout=10) as conn:
            verdict = check_login(conn)
    except psycopg.Error as exc:
        print(f"db migrate: DATA_URL login not checked: {exc}", file=sys.stderr)
        return 1
    print(f"db migrate: DATA_URL {verdict.describe()}", file=sys.stderr)
    return 0 if verdict.safe else 1


def _gen_rls(args: argparse.Namespace) -> int:
    from bailian_fc_tools.db.rls import generated, is_current, next_version, write_migration

    directory = args.dir or migrations_dir()
    if args.check:
        latest = generated(directory)
        if latest and is_current(latest[-1]):
            print(f"gen-rls: {latest[-1].name} is up to date")
            return 0
        print(
            f"gen-rls: AI_VIEWS changed; run `bailian-fc db gen-rls` (would write {next_version(directory):04d})"
        )
        return 1
    path = write_migration(directory)
    print(f"gen-rls: wrote {path}" if path else "gen-rls: the latest RLS migration is up to date")
    return 0
