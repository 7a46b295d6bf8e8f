"""The PostgreSQL adapter: the venue's DWS through the RLS views of ``db/migrations``.

One connection per instance, opened on first use and reused by every invocation while the
instance is warm (FC freezes it between calls; a connection the server or a NAT dropped in
the meantime shows up as a broken connection on the next read, which reconnects once and
retries: reads are idempotent). Reads from several threads (the prewarm's pool) take turns:
a scoped transaction must never see another thread's statements.

Each read is one transaction that first sets, with ``set_config(..., true)`` (the
function form of ``SET LOCAL``), ``app.site_id`` and ``app.business_date_upper`` — which the
RLS policies compare every row with — and a ``statement_timeout`` inside the function's
deadline. TLS and everything else libpq knows comes from the URL (``?sslmode=verify-full&
sslrootcert=…``); ``connect_timeout`` is added when the URL has none.

The first connection of an instance also checks the login (:mod:`.login`): a superuser, a
``BYPASSRLS`` role or the tables' owner would read past the RLS bound, so such a login is refused
(503 ``DataLoginUnsafe``, one error log line) for the life of the instance, with no further
connection attempts: fixing ``DATA_URL`` means a redeploy, which starts new instances anyway.

``psycopg`` itself (~100 ms to import: it pulls in asyncio and importlib.metadata) is imported by
the first read, not by the initializer: a cold start that is a cache hit never pays for it, and a
miss pays it beside a Bailian call of seconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, TypeVar

from ..clock import check_site_id
from ..errors import TimedOut, Unavailable
from .finance import FinanceRow
from .lists import ClueItem, CustomerItem
from .login import CODE as LOGIN_CODE
from .login import LoginVerdict, check_login
from .models import MAX_CLUES, MAX_FOLLOW_UPS, MAX_PURCHASES, MAX_VISITS, ClueDetail, CustomerProfile
from .pg_sql import (
    AREAS_SQL,
    CLUE_FIELDS,
    CLUE_ITEM_FIELDS,
    CLUE_LIST_SQL,
    CLUE_SQL,
    CLUES_FOLLOW_UPS_SQL,
    CUSTOMER_CLUES_SQL,
    CUSTOMER_FIELDS,
    CUSTOMER_ITEM_FIELDS,
    CUSTOMER_LIST_SQL,
    CUSTOMER_SQL,
    FINANCE_SQL,
    FOLLOW_UPS_SQL,
    PURCHASES_SQL,
    STAFF_IN_SQL,
    STAFF_SQL,
    VISITS_SQL,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


def _page(rows: list[dict[str, Any]], limit: int, key: str) -> tuple[list[dict[str, Any]], str | None]:
    """``limit + 1`` rows were asked for: the extra one only says there is a next page."""
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1][key]
    return rows, None


def _dicts(cursor: Any, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {f: (float(v) if isinstance(v, Decimal) else v) for f, v in zip(fields, row, strict=True)}
        for row in cursor
    ]


def _unreadable(exc: Exception) -> Unavailable:
    """Not the client's fault and not transient either: logged in full, answered 503 without details."""
    log.error(
        "venue database read failed (run `bailian-fc db migrate`? grants, docs/operations.md 'Venue data'): %s: %s",
        type(exc).__name__,
        exc,
    )
    return Unavailable(
        "venue data cannot be read; the operator has been told in the logs", code="DataUnavailable"
    )


class PostgresVenueData:
    kind = "postgresql"

    def __init__(
        self,
        url: str,
        *,
        statement_timeout_seconds: float = 3.0,
        connect_timeout_seconds: float = 5.0,
        connect: Callable[..., Any] | None = None,
    ) -> None:
        self.url = url
        self.statement_timeout_ms = max(1, int(statement_timeout_seconds * 1000))
        self.connect_timeout = max(1, round(connect_timeout_seconds))
        self._connect_fn = connect
        self._conn: Any = None
        self._lock = threading.Lock()
        self.reconnects = 0
        self.verdict: LoginVerdict | None = None  # set by the first connection

    def _refusal(self) -> Unavailable:
        return Unavailable(
            "the venue database login could read past row-level security, so venue data is not read;"
            " the operator has been told in the logs",
            code=LOGIN_CODE,
        )

    # -- connection -------------------------------------------------------------------------------

    def _connection(self) -> Any:
        import psycopg  # the first read; then a dict lookup

        if self.verdict is not None and not self.verdict.safe:
            raise self._refusal()
        if self._conn is None or self._conn.closed:
            # A connection FC froze with the instance may be dead without a FIN (a NAT forgot it): the
            # server-side statement_timeout cannot end that wait, tcp_user_timeout does (unacknowledged
            # data), and then the read reconnects. URL parameters win over these defaults.
            defaults = {
                "connect_timeout": self.connect_timeout,
                "keepalives": 1,
                "keepalives_idle": 30,
                "keepalives_interval": 5,
                "keepalives_count": 3,
                "tcp_user_timeout": self.statement_timeout_ms + 2000,
            }
            extra: dict[str, Any] = {k: v for k, v in defaults.items() if f"{k}=" not in self.url}
            try:
                connect = self._connect_fn or psycopg.connect
                self._conn = connect(self.url, autocommit=True, application_name="bailian-fc", **extra)
            except psycopg.OperationalError as exc:
                log.warning("venue database unreachable: %s", exc)
                raise Unavailable(
                    "the venue database is unreachable, try again", code="DataUnavailable"
                ) from None
            if self.verdict is None:
                self._check_login()
        return self._conn

    def _check_login(self) -> None:
        """Once per instance, on the first connection (a reconnect is the same login)."""
        try:
            verdict = check_login(self._conn)
        except Exception as exc:  # the next connection checks again
            self._drop()
            raise _unreadable(exc) from None
        self.verdict = verdict
        if not verdict.safe:
            log.error("venue data refused: %s", verdict.describe())
            self._drop()
            raise self._refusal()

    def login_verdict(self) -> str:
        """``ok`` or ``refused`` (connecting first if needed), ``unreachable``: for ``GET /clock``."""
        with self._lock:
            try:
                self._connection()
            except Unavailable as exc:
                return "refused" if exc.code == LOGIN_CODE else "unreachable"
        return "ok"

    def scoped(self, site_id: str, upper_bound: date, read: Callable[[Any], T]) -> T:
        """``read(connection)`` in one transaction scoped to the site and the bound.

        (The read role has SELECT only; a ``SET TRANSACTION READ ONLY`` would cost a round trip.)
        """
        import psycopg
        from psycopg import errors

        check_site_id(site_id)
        with self._lock:
            for attempt in (1, 2):
                conn = self._connection()
                try:
                    # Pipeline mode: BEGIN, the scope and the first query leave in one flight.
                    with conn.pipeline(), conn.transaction():
                        conn.execute(
                            "SELECT set_config('app.site_id', %s, true),"
                            " set_config('app.business_date_upper', %s, true),"
                            " set_config('statement_timeout', %s, true)",
                            (site_id, upper_bound.isoformat(), str(self.statement_timeout_ms)),
                        )
                        return read(conn)
                except errors.QueryCanceled:
                    raise TimedOut(
                        f"a venue data read took longer than {self.statement_timeout_ms} ms and was cancelled",
                        code="DataTimeout",
                    ) from None
                except psycopg.OperationalError as exc:
                    if not conn.broken and not conn.closed:
                        raise _unreadable(exc) from None
                    self._drop()
                    if attempt == 2:
                        log.warning("venue database connection lost twice: %s", exc)
                        raise Unavailable(
                            "the venue database connection was lost, try again", code="DataUnavailable"
                        ) from None
                    self.reconnects += 1
                    log.info("venue database connection lost (%s); reconnecting once", exc)
                except psycopg.Error as exc:  # no table, no grant, a schema that drifted: an operator's fix
                    raise _unreadable(exc) from None
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # closing a broken connection must not hide the original error
                pass

    def close(self) -> None:
        with self._lock:
            self._drop()

    # -- reads ------------------------------------------------------------------------------------

    def sites(self, *, upper_bound: date | None = None) -> list[str]:
        """Sites with a finance row on or before ``upper_bound``, through a SECURITY DEFINER function
        (ids only). Without a bound: the latest business date any site can have now (UTC + 14 h)."""
        bound = upper_bound or (datetime.now(timezone.utc) + timedelta(hours=14)).date()

        def read(conn: Any) -> list[str]:
            return [row[0] for row in conn.execute("SELECT * FROM ai.sites_with_data(%s)", (bound,))]

        # Discovery needs no site scope; any valid site id opens the transaction.
        return self.scoped("discovery", date.min, read)

    def areas(self, site_id: str, *, upper_bound: date) -> list[str]:
        return self.scoped(
            site_id, upper_bound, lambda conn: [r[0] for r in conn.execute(AREAS_SQL, (site_id, site_id))]
        )

    def read(self, site_id: str, start: date, end: date, *, upper_bound: date) -> list[FinanceRow]:
        last = min(end, upper_bound)
        if start > last:
            return []

        def rows(conn: Any) -> list[FinanceRow]:
            # Trusted, typed columns (numeric → Decimal): construct without re-validating each row.
            return [
                FinanceRow.model_construct(
                    site_id=site_id,
                    business_date=d,
                    area=area,
                    table_revenue=tr,
                    goods_revenue=gr,
                    recharge=rc,
                    consumption=co,
                    discount=di,
                    table_hours=float(hours),
                    orders=orders,
                    customers=customers,
                    loaded_at=loaded_at,
                )
                for d, area, tr, gr, rc, co, di, hours, orders, customers, loaded_at in conn.execute(
                    FINANCE_SQL, (site_id, start, last)
                )
            ]

        return self.scoped(site_id, upper_bound, rows)

    def customer_profile(
        self, site_id: str, customer_id: str, *, upper_bound: date
    ) -> CustomerProfile | None:
        def load(conn: Any) -> CustomerProfile | None:
            named = {
                "site": site_id,
                "customer": customer_id,
                "clues": MAX_CLUES,
                "follow_ups": MAX_FOLLOW_UPS,
            }
            # Every statement is sent before any result is read: one flight in pipeline mode.
            cursors = (
                conn.execute(CUSTOMER_SQL, (site_id, customer_id)),
                conn.execute(VISITS_SQL, (site_id, customer_id, MAX_VISITS)),
                conn.execute(PURCHASES_SQL, (site_id, customer_id, MAX_PURCHASES)),
                conn.execute(CUSTOMER_CLUES_SQL, named),
                conn.execute(CLUES_FOLLOW_UPS_SQL, named),
                conn.execute(STAFF_IN_SQL, named),
            )
            customer = _dicts(cursors[0], CUSTOMER_FIELDS)
            visits = _dicts(cursors[1], ("business_date", "area", "table_type", "duration_hours", "spend"))
            purchases = _dicts(cursors[2], ("business_date", "amount", "category"))
            clues = _dicts(cursors[3], CLUE_FIELDS)[::-1]
            follow_ups: dict[str, list[dict[str, Any]]] = {c["clue_id"]: [] for c in clues}
            for f in _dicts(
                cursors[4], ("clue_id", "business_date", "kind", "channel", "staff_id", "content")
            ):
                follow_ups[f.pop("clue_id")].append(f)
            staff = _dicts(cursors[5], ("staff_id", "name", "role", "since_date"))
            if not customer:
                return None
            return CustomerProfile.model_validate(
                {
                    "site_id": site_id,
                    "customer": customer[0],
                    "visits": visits[::-1],
                    "purchases": purchases[::-1],
                    "clues": [{"clue": c, "follow_ups": follow_ups[c["clue_id"]]} for c in clues],
                    "staff": staff,
                }
            )

        return self.scoped(site_id, upper_bound, load)

    def clues(
        self,
        site_id: str,
        *,
        upper_bound: date,
        status: str | None = None,
        q: str | None = None,
        after: str = "",
        limit: int,
    ) -> tuple[list[ClueItem], str | None]:
        params = {"site": site_id, "after": after, "status": status, "q": q, "limit": limit + 1}

        def page(conn: Any) -> tuple[list[ClueItem], str | None]:
            rows, last = _page(
                _dicts(conn.execute(CLUE_LIST_SQL, params), CLUE_ITEM_FIELDS), limit, "clue_id"
            )
            return [ClueItem.model_validate(r) for r in rows], last

        return self.scoped(site_id, upper_bound, page)

    def customers(
        self, site_id: str, *, upper_bound: date, q: str | None = None, after: str = "", limit: int
    ) -> tuple[list[CustomerItem], str | None]:
        params = {"site": site_id, "after": after, "q": q, "limit": limit + 1}

        def page(conn: Any) -> tuple[list[CustomerItem], str | None]:
            rows, last = _page(
                _dicts(conn.execute(CUSTOMER_LIST_SQL, params), CUSTOMER_ITEM_FIELDS), limit, "customer_id"
            )
            return [CustomerItem.model_validate(r) for r in rows], last

        return self.scoped(site_id, upper_bound, page)

    def clue_detail(self, site_id: str, clue_id: str, *, upper_bound: date) -> ClueDetail | None:
        def load(conn: Any) -> ClueDetail | None:
            clue = _dicts(conn.execute(CLUE_SQL, (site_id, clue_id)), CLUE_FIELDS)
            if not clue:
                return None
            customer_id, staff_id = clue[0]["customer_id"], clue[0]["assigned_staff_id"]
            customer = _dicts(conn.execute(CUSTOMER_SQL, (site_id, customer_id)), CUSTOMER_FIELDS)
            if not customer:
                return None
            staff = (
                _dicts(
                    conn.execute(STAFF_SQL, (site_id, staff_id)), ("staff_id", "name", "role", "since_date")
                )
                if staff_id
                else []
            )
            visits = _dicts(
                conn.execute(VISITS_SQL, (site_id, customer_id, MAX_VISITS)),
                ("business_date", "area", "table_type", "duration_hours", "spend"),
            )
            purchases = _dicts(
                conn.execute(PURCHASES_SQL, (site_id, customer_id, MAX_PURCHASES)),
                ("business_date", "amount", "category"),
            )
            follow_ups = _dicts(
                conn.execute(FOLLOW_UPS_SQL, (site_id, clue_id, MAX_FOLLOW_UPS)),
                ("business_date", "kind", "channel", "staff_id", "content"),
            )
            return ClueDetail.model_validate(
                {
                    "site_id": site_id,
                    "clue": clue[0],
                    "customer": customer[0],
                    "assigned_staff": staff[0] if staff else None,
                    "visits": visits[::-1],
                    "purchases": purchases[::-1],
                    "follow_ups": follow_ups[::-1],
                }
            )

        return self.scoped(site_id, upper_bound, load)
