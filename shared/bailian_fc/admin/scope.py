"""Which sites an admin may act on (README, "Admin scope").

An admin token acts on its own ``site_id`` only. A *platform admin* (role ``admin`` and the claim
``"platform": true``, minted with ``bailian-fc token --role admin --platform``) acts on every site and
on what is shared by all of them: global runtime contexts, trigger definitions, runs over every site,
the cross-site dashboard.
"""

from __future__ import annotations

from ..auth import Principal
from ..errors import Forbidden


def forbidden(message: str) -> Forbidden:
    return Forbidden(message)


def require_platform(principal: Principal, what: str) -> None:
    if not principal.platform:
        raise forbidden(f"{what} needs a platform admin token (claim platform: true)")


def own_site(principal: Principal, site_id: str | None, what: str) -> str | None:
    """The site an admin's request acts on: its own by default; another site or all (None) only for a
    platform admin, whose ``site_id`` is passed through as given."""
    if principal.platform:
        return site_id
    if site_id is None:
        return principal.site_id
    if site_id != principal.site_id:
        raise forbidden(f"{what}: an admin acts on its own site ({principal.site_id}) only")
    return site_id
