"""Nothing imports psycopg unless DATA_URL is PostgreSQL (checked in fresh interpreters)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"

SCRIPT = """
import json, sys
from datetime import date
from bailian_fc.settings import Settings
from bailian_fc.apps.function import AppsFunction
from bailian_fc.catalogue.apps.app3_clue_detail import ClueRef
from bailian_fc.catalogue.inputs import FinanceFilter
from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc_tools.demo.finance import generate
from bailian_fc.store import FileStore
from bailian_fc.scheduled.function import ScheduledFunction
store = FileStore(sys.argv[1])
settings = Settings(store_url="file://" + sys.argv[1], data_url=sys.argv[2] or None, auth_jwt_secret="x" * 40)
runtime = AppsFunction.build(settings, store)
ScheduledFunction.build(settings, store)
before = [m for m in sys.modules if m.split(".")[0] in ("psycopg", "psycopg_binary")][:3]
if sys.argv[2]:
    from bailian_fc.errors import Unavailable
    try:
        runtime.service.venue.sites()  # nothing listens on port 1: a clean 503, psycopg now imported
    except Unavailable as exc:
        assert exc.code == "DataUnavailable", exc
else:
    generate(store, sites=1, days=10, end=runtime.clock.business_date())
    view = runtime.service.context.load(
        CATALOGUE["app2_finance"], FinanceFilter(range="last_7_days"), "site-001"
    )
    assert view["days_with_data"] == 7
    assert runtime.service.context.load(
        CATALOGUE["app3_clue_detail"], ClueRef(clue_id="cl-001-001"), "site-001"
    )["clue"]
after = [m for m in sys.modules if m.split(".")[0] in ("psycopg", "psycopg_binary")][:3]
print(json.dumps([before, after]))
"""


def _run(tmp_path: Path, data_url: str) -> list[list[str]]:
    path = os.pathsep.join(p for p in (str(SHARED), os.environ.get("PYTHONPATH", "")) if p)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), data_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_embedded_data_never_imports_psycopg(tmp_path: Path) -> None:
    assert _run(tmp_path, "") == [[], []]


def test_postgres_data_url_imports_psycopg_at_the_first_read(tmp_path: Path) -> None:
    """The runtimes (the FC initializer) build the adapter; psycopg and the connection wait for a read,
    so a cold start served from the cache never imports it."""
    before, after = _run(tmp_path, "postgresql://nobody@127.0.0.1:1/none")
    assert before == [] and after != []
