"""`bailian-fc dev` on PostgreSQL: App2, App3 by clue_id, the pickers' lists, App7 by customer_id and
the prewarm's site discovery, end to end."""

from __future__ import annotations

import time
from typing import Any

import httpx
import psycopg
import pytest
from pg_support import MIGRATIONS, VenueDb, create_database, grant_reader
from support import SECRET, running_dev

from bailian_fc.auth import Authenticator
from bailian_fc_tools.db.migrations import migrate
from bailian_fc_tools.db.pg_writer import PostgresWriter
from bailian_fc_tools.db.pgtemp import TempCluster
from bailian_fc_tools.demo.finance import generate

AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")


def small_venue(pg: TempCluster, end: Any) -> VenueDb:
    """Three sites, two weeks: enough for every range, small enough for a whole prewarm run."""
    db = VenueDb(pg, create_database(pg, "dev"), end)
    with psycopg.connect(db.admin_url, autocommit=True) as conn:
        migrate(conn, MIGRATIONS)
        grant_reader(conn, db.name)
        generate(PostgresWriter(conn), sites=3, days=14, end=end, seed=11, clues=4)
    return db


def test_dev_serves_app2_app3_and_prewarm_from_postgres(
    pg: TempCluster, venue_db: VenueDb, tmp_path: Any
) -> None:
    db = small_venue(pg, venue_db.end)
    manager = {"Authorization": f"Bearer {AUTH.mint('m', 'site-002', 'manager')}"}
    admin = {
        "Authorization": f"Bearer {AUTH.mint('a', 'site-001', 'admin', platform=True)}"
    }  # runs every site
    with (
        running_dev(
            tmp_path / "store", "--tick-seconds", "1", DATA_URL=db.reader_url, PREWARM_QPS="1000"
        ) as (base, banner, _proc),
        httpx.Client(base_url=base, timeout=60) as http,
    ):
        assert "venue data: PostgreSQL" in banner and "demo finance data" not in banner
        app2 = http.post("/apps/app2_finance", json={"range": "last_7_days"}, headers=manager)
        assert app2.status_code == 200, app2.text
        assert app2.json()["meta"]["days_with_data"] == 7
        app3 = http.post("/apps/app3_clue_detail", json={"clue_id": "cl-002-004"}, headers=manager)
        assert app3.status_code == 200, app3.text
        assert app3.json()["meta"]["clue_id"] == "cl-002-004"
        foreign = http.post("/apps/app3_clue_detail", json={"clue_id": "cl-001-004"}, headers=manager)
        assert foreign.status_code == 404 and foreign.json()["error"]["code"] == "ClueNotFound"
        assert not (tmp_path / "store" / "finance").exists(), "nothing was seeded into the store"

        queued = http.post("/admin/triggers/app2_prewarm/run", json={}, headers=admin)
        assert queued.status_code == 202, queued.text
        deadline, last = time.monotonic() + 240, None
        while time.monotonic() < deadline:
            last = http.get("/admin/triggers/app2_prewarm", headers=admin).json()["last_run"]
            if last and last["trigger"] == "manual" and last["status"] != "running":
                break
            time.sleep(0.5)
        assert last and last["trigger"] == "manual", last
        summary = last["summary"]
        assert summary["sites"] == ["site-001", "site-002", "site-003"] and summary["failures"] == 0, summary
        assert summary["complete"] is True and summary["computed"] + summary["skipped"] == summary["total"]


def test_dev_on_the_embedded_dataset_seeds_clues_for_app3(tmp_path: Any) -> None:
    manager = {"Authorization": f"Bearer {AUTH.mint('m', 'site-001', 'manager')}"}
    with (
        running_dev(tmp_path / "store") as (base, banner, _proc),
        httpx.Client(base_url=base, timeout=60) as http,
    ):
        assert "clues such as cl-001-001" in banner
        answer = http.post("/apps/app3_clue_detail", json={"clue_id": "cl-001-001"}, headers=manager)
        assert answer.status_code == 200, answer.text
        assert answer.json()["meta"]["clue_id"] == "cl-001-001"
        assert (
            http.post("/apps/app3_clue_detail", json={"clue_id": "cl-002-001"}, headers=manager).status_code
            == 404
        )


def test_dev_with_a_superuser_data_url_refuses_venue_reads_and_verify_says_so(
    venue_db: VenueDb, tmp_path: Any
) -> None:
    """The configuration RLS cannot survive: every venue read is a 503, GET /clock and verify name it."""
    from test_verify_dev import verify

    manager = {"Authorization": f"Bearer {AUTH.mint('m', 'site-001', 'manager')}"}
    admin = AUTH.mint("a", "site-001", "admin", platform=True)
    with (
        running_dev(tmp_path / "store", DATA_URL=venue_db.admin_url) as (base, _banner, _proc),
        httpx.Client(base_url=base, timeout=60) as http,
    ):
        app3 = http.post("/apps/app3_clue_detail", json={"clue_id": "cl-001-001"}, headers=manager)
        assert app3.status_code == 503 and app3.json()["error"]["code"] == "DataLoginUnsafe", app3.text
        assert http.get("/clock", headers=manager).json()["data_login"] == "refused"
        out = verify(base, admin)
    row = next(line for line in out.stdout.splitlines() if "DATA_URL login" in line)
    assert " FAIL " in f" {row.upper()} " and out.returncode >= 3, out.stdout


@pytest.mark.parametrize("data", ["embedded", "postgresql"])
def test_dev_serves_the_pickers_lists_and_app7_by_id(
    tmp_path: Any, pg: TempCluster, venue_db: VenueDb, data: str
) -> None:
    """Over real HTTP through dev's s.yaml routes: areas, a clue page and its next one, a customer
    search, then App7 for a customer picked from the list — on either data adapter."""
    env = {}
    if data == "postgresql":
        env["DATA_URL"] = small_venue(pg, venue_db.end).reader_url
    staff = {"Authorization": f"Bearer {AUTH.mint('s', 'site-001', 'staff')}"}
    with (
        running_dev(tmp_path / "store", **env) as (base, _banner, _proc),
        httpx.Client(base_url=base, timeout=60, headers=staff) as http,
    ):
        areas = http.get("/apps/areas")
        assert areas.status_code == 200 and areas.json()["areas"], areas.text
        first = http.get("/apps/clues", params={"limit": 3}).json()
        assert len(first["items"]) == 3 and first["next_cursor"]
        second = http.get("/apps/clues", params={"limit": 3, "cursor": first["next_cursor"]}).json()
        assert second["items"][0]["clue_id"] > first["items"][-1]["clue_id"]
        assert http.get("/apps/clues", params={"limit": 1000}).status_code == 400
        customers = http.get("/apps/customers", params={"limit": 100}).json()["items"]
        picked = customers[0]
        found = http.get("/apps/customers", params={"q": picked["phone_tail"]}).json()["items"]
        assert picked["customer_id"] in {c["customer_id"] for c in found}
        answer = http.post("/apps/app7_customer_insight", json={"customer_id": picked["customer_id"]})
        assert answer.status_code == 200, answer.text
        assert answer.json()["meta"]["customer_id"] == picked["customer_id"]
