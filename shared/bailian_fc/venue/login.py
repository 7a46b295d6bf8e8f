"""Whether the ``DATA_URL`` login is subject to row-level security, checked on the live connection.

The RLS policies bound every read to one site and one business date, but PostgreSQL skips them for
a superuser, a ``BYPASSRLS`` role and (unless the table has ``FORCE ROW LEVEL SECURITY``) the
table's owner, and a member of such a role can act as it. A ``DATA_URL`` naming any of these
would serve rows of other sites and later dates without a single error, so the functions check
the login on first connect and refuse venue reads (503 ``DataLoginUnsafe``) when it is one;
``validate``, ``verify`` and ``db migrate`` report the same verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# One round trip over the catalogue; `pg_has_role(..., 'MEMBER')` counts the role itself and every
# role it can SET ROLE to. Ownership counts whether or not FORCE is set: FORCE is the second guard.
LOGIN_SQL = """
SELECT r.rolname, r.rolsuper, r.rolbypassrls,
    ARRAY(SELECT o.rolname FROM pg_roles o
          WHERE o.oid <> r.oid AND (o.rolsuper OR o.rolbypassrls) AND pg_has_role(r.oid, o.oid, 'MEMBER')
          ORDER BY 1),
    ARRAY(SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'dws' AND c.relkind IN ('r', 'p') AND pg_has_role(r.oid, c.relowner, 'MEMBER')
          ORDER BY 1)
FROM pg_roles r WHERE r.rolname = current_user
"""

CODE = "DataLoginUnsafe"


@dataclass(frozen=True)
class LoginVerdict:
    login: str
    reasons: tuple[str, ...]  # empty: RLS applies to this login

    @property
    def safe(self) -> bool:
        return not self.reasons

    def describe(self) -> str:
        if self.safe:
            return f"login {self.login!r} is subject to row-level security"
        return (
            f"login {self.login!r} bypasses row-level security ({'; '.join(self.reasons)}): give DATA_URL "
            "a login that is only a member of bailian_ai_read (docs/operations.md 'Venue data')"
        )


def check_login(conn: Any) -> LoginVerdict:
    """The verdict for the login of ``conn`` (a psycopg connection; autocommit or not)."""
    row = conn.execute(LOGIN_SQL).fetchone()
    login, superuser, bypass, privileged, owned = row
    reasons = []
    if superuser:
        reasons.append("superuser")
    if bypass:
        reasons.append("BYPASSRLS")
    if privileged:
        reasons.append("member of superuser/BYPASSRLS role(s) " + ", ".join(privileged))
    if owned and not superuser:  # a superuser "owns" everything through pg_has_role: said once above
        shown = ", ".join(owned[:3]) + (f" and {len(owned) - 3} more" if len(owned) > 3 else "")
        reasons.append(f"owner (or member of the owner) of {shown}")
    return LoginVerdict(login, tuple(reasons))
