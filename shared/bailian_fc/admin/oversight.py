"""What the back office sees and steers of the AI: one run-log record's trace, and the sites' budgets.

``GET /admin/runlogs/{request_id}``: a site admin sees its own site's records only (another site's
is a 404, as if it did not exist). ``GET /admin/budgets``: a site admin its own site's limits and
spend; ``PUT /admin/budgets/{site_id}`` (a new audited version of that site's limits) is a
platform admin's: a site must not raise its own budget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from ..clock import SITE_ID_PATTERN
from ..errors import InvalidInput
from ..http.route import Request
from ..ids import is_safe_id
from ..runlog.budget import BudgetPatch, Budgets, BudgetView
from ..runlog.detail import REQUEST_ID_PARAM, DetailQuery, RunlogDetail, detail
from .scope import own_site, require_platform, visible_site

if TYPE_CHECKING:
    from .function import AdminFunction

__all__ = ["REQUEST_ID_PARAM", "BudgetPatch", "BudgetView", "DetailQuery", "RunlogDetail"]

SITE_PARAM = {"site_id": {"type": "string", "pattern": SITE_ID_PATTERN}}


class BudgetQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site: str | None = Field(default=None, pattern=SITE_ID_PATTERN)


class BudgetList(BaseModel):
    budgets: list[BudgetView]


def get_runlog(rt: AdminFunction, request: Request[DetailQuery, None]) -> dict[str, Any]:
    caller = request.caller
    found: RunlogDetail = detail(
        rt.store,
        request.path_params["request_id"],
        now=rt.clock.wall_now(),
        days=rt.settings.runlog_payload_retention_days,
        visible=lambda site: visible_site(caller, site),
        at=request.query.at,
    )
    return found.model_dump(mode="json")


def budgets(rt: AdminFunction) -> Budgets:
    return Budgets(rt.settings, rt.store, wall=lambda: rt.clock.wall_now().timestamp())


def get_budgets(rt: AdminFunction, request: Request[BudgetQuery, None]) -> dict[str, Any]:
    site = own_site(request.caller, request.query.site, "budgets")
    if site is None:
        raise InvalidInput("name a site: GET /admin/budgets?site=…", code="SiteRequired")
    return BudgetList(budgets=[budgets(rt).view(site)]).model_dump(mode="json")


def put_budget(rt: AdminFunction, request: Request[None, BudgetPatch]) -> dict[str, Any]:
    require_platform(request.caller, "changing a site's budget")
    site = request.path_params["site_id"]
    if not is_safe_id(site):
        raise InvalidInput("not a site id", code="InvalidSite")
    book = budgets(rt)
    book.set_override(site, request.body, request.caller.sub)
    return book.view(site).model_dump(mode="json")
