"""psycopg in `bailian-fc build` output: only for the functions that read venue data, only when
DATA_URL is PostgreSQL, and the built code dir talks to a real server on FC's Python 3.10."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pg_support import VenueDb

from bailian_fc_tools.builder import build as build_mod

pytestmark = pytest.mark.build

ROOT = Path(__file__).resolve().parents[2]


def names(function: str, data: str) -> set[str]:
    project = build_mod.read_pyproject(ROOT)
    return {build_mod._req_name(r) for r in build_mod.requirements_for(function, project, "file", data)}


def test_psycopg_only_for_data_reading_functions_on_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    for function in build_mod.EXCLUDED_DEPS:
        assert "psycopg" not in names(function, "embedded")
        assert ("psycopg" in names(function, "postgresql")) == (function in ("apps", "prewarm", "chat"))
    monkeypatch.setenv("DATA_URL", "postgresql://fc@rds.internal/venue?sslmode=verify-full")
    assert build_mod.data_kind("auto") == "postgresql"
    monkeypatch.delenv("DATA_URL")
    assert build_mod.data_kind("auto") == "embedded"


def test_built_prewarm_reads_postgres_on_the_target_python(venue_db: VenueDb, tmp_path: Path) -> None:
    """Cross-built for cp310 manylinux, run with only its code dir (``-I -S``) against the server."""
    interpreter = build_mod.find_interpreter("3.10")
    version = "3.10" if interpreter else f"{sys.version_info.major}.{sys.version_info.minor}"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bailian_fc_tools.cli",
            "build",
            "prewarm",
            "--out",
            str(tmp_path),
            "--python-version",
            version,
            "--store",
            "file",
            "--data",
            "postgresql",
            "--no-compile",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    code = tmp_path / "prewarm"
    assert json.loads((code / build_mod.BUILD_INFO).read_text())["data"] == "postgresql"
    assert any(
        p.name.startswith(f"_psycopg.cpython-{version.replace('.', '')}")
        for p in (code / "python" / "psycopg_binary").iterdir()
    )
    script = (
        f"import sys; sys.path[:0] = [{str(code / 'python')!r}, {str(code)!r}]\n"
        "import datetime, index, psycopg\n"
        "from bailian_fc.venue.postgres import PostgresVenueData\n"
        "venue = PostgresVenueData(sys.argv[1])\n"
        "print(psycopg.pq.__impl__, venue.sites(), psycopg.__file__)"
    )
    ran = subprocess.run(
        [interpreter or sys.executable, "-I", "-S", "-c", script, venue_db.reader_url],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    impl, sites, where = (
        ran.stdout.split(" ", 1)[0],
        ran.stdout.split(" ", 1)[1].rsplit(" ", 1)[0],
        ran.stdout,
    )
    assert impl == "binary" and sites == "['site-001', 'site-002', 'site-003']"
    assert where.strip().endswith("psycopg/__init__.py") and str(code) in where
