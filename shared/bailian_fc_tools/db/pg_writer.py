"""Writing demo venue data into the DWS tables (``demo-data`` with a PostgreSQL ``DATA_URL``).

Connects as the schema owner (``DATA_ADMIN_URL``): the functions' read role cannot write. The
tables FORCE row-level security, so each transaction first says it maintains the data
(``app.dws_maintenance = on``, the owner's policy in the generated RLS migration), as the ETL must. A
site's demo days and demo clues replace what is there under the same keys, as the ETL would;
rows under other keys (a real venue's) are left alone.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bailian_fc.venue.finance import FinanceRow
from bailian_fc.venue.models import ClueDetail

FINANCE_COLUMNS = (
    "site_id",
    "business_date",
    "area",
    "table_revenue",
    "goods_revenue",
    "recharge",
    "consumption",
    "discount",
    "table_hours",
    "orders",
    "customers",
)


class PostgresWriter:
    def __init__(self, conn: Any) -> None:
        self.conn = conn  # autocommit psycopg connection; each site is one transaction

    def write_site(
        self, site_id: str, days: list[tuple[date, list[FinanceRow]]], clues: list[ClueDetail]
    ) -> None:
        with self.conn.transaction():
            self.conn.execute("SELECT set_config('app.dws_maintenance', 'on', true)")
            if days:
                self.conn.execute(
                    "DELETE FROM dws.finance_area_daily WHERE site_id = %s AND business_date"
                    " BETWEEN %s AND %s",
                    (site_id, days[0][0], days[-1][0]),
                )
                # INSERT, not COPY: PostgreSQL refuses COPY FROM into a table under (forced) RLS;
                # executemany pipelines the rows, so it is one flight either way.
                self.conn.cursor().executemany(
                    f"INSERT INTO dws.finance_area_daily ({', '.join(FINANCE_COLUMNS)})"
                    f" VALUES ({', '.join(['%s'] * len(FINANCE_COLUMNS))})",
                    [[getattr(row, c) for c in FINANCE_COLUMNS] for _, rows in days for row in rows],
                )
            if clues:
                self._clues(site_id, clues)

    def _clues(self, site_id: str, clues: list[ClueDetail]) -> None:
        cur = self.conn.cursor()
        clue_ids = [d.clue.clue_id for d in clues]
        customers = {d.customer.customer_id: d for d in clues}
        staff = {d.assigned_staff.staff_id: d.assigned_staff for d in clues if d.assigned_staff}
        cur.execute(
            "DELETE FROM dws.clue_followup WHERE site_id = %s AND clue_id = ANY(%s)", (site_id, clue_ids)
        )
        cur.execute("DELETE FROM dws.clue WHERE site_id = %s AND clue_id = ANY(%s)", (site_id, clue_ids))
        for table in ("customer_visit", "customer_purchase", "customer"):
            cur.execute(
                f"DELETE FROM dws.{table} WHERE site_id = %s AND customer_id = ANY(%s)",
                (site_id, list(customers)),
            )
        cur.executemany(
            "INSERT INTO dws.staff (site_id, staff_id, name, role, since_date) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (site_id, staff_id) DO UPDATE SET name = excluded.name, role = excluded.role,"
            " since_date = excluded.since_date",
            [(site_id, s.staff_id, s.name, s.role, s.since_date) for s in staff.values()],
        )
        cur.executemany(
            "INSERT INTO dws.customer (site_id, customer_id, name, gender, age_range, member_level, phone_tail,"
            " balance, registered_date) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    site_id,
                    c.customer_id,
                    c.name,
                    c.gender,
                    c.age_range,
                    c.member_level,
                    c.phone_tail,
                    c.balance,
                    c.registered_date,
                )
                for c in (d.customer for d in customers.values())
            ],
        )
        cur.executemany(
            "INSERT INTO dws.customer_visit (site_id, customer_id, business_date, area, table_type, duration_hours,"
            " spend) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (site_id, cid, v.business_date, v.area, v.table_type, v.duration_hours, v.spend)
                for cid, d in customers.items()
                for v in d.visits
            ],
        )
        cur.executemany(
            "INSERT INTO dws.customer_purchase (site_id, customer_id, business_date, amount, category)"
            " VALUES (%s, %s, %s, %s, %s)",
            [
                (site_id, cid, p.business_date, p.amount, p.category)
                for cid, d in customers.items()
                for p in d.purchases
            ],
        )
        cur.executemany(
            "INSERT INTO dws.clue (site_id, clue_id, customer_id, business_date, category, content, source, status,"
            " assigned_staff_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    site_id,
                    c.clue_id,
                    c.customer_id,
                    c.business_date,
                    c.category,
                    c.content,
                    c.source,
                    c.status,
                    c.assigned_staff_id,
                )
                for c in (d.clue for d in clues)
            ],
        )
        cur.executemany(
            "INSERT INTO dws.clue_followup (site_id, clue_id, business_date, kind, channel, staff_id, content)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (site_id, d.clue.clue_id, f.business_date, f.kind, f.channel, f.staff_id, f.content)
                for d in clues
                for f in d.follow_ups
            ],
        )
