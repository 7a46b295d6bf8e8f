"""The admin function: run logs, dashboard, trigger jobs, runtime context and cache ops.

FC's built-in ``python3.10`` runtime; every route needs a bearer token with ``role=admin``
(401 without a valid token, 403 for staff, manager and service), and acts on the token's own site
unless the token is a platform admin's (:mod:`.scope`). Settings, store, clock and
authenticator are built once per instance, as in the apps function. The admin function never
calls Bailian, so it holds no key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..auth import Authenticator, Principal, require_role
from ..clock import SITE_ID_PATTERN, SandboxClock, utc_now
from ..http.fc_entry import HttpEntry
from ..http.fc_event import HttpRequest
from ..http.params import parse_query
from ..http.router import Router
from ..jobs import JobStore
from ..jobs.seed import default_jobs
from ..runlog.dashboard import MAX_DAYS
from ..runlog.query import RunlogQuery, list_runlogs
from ..runlog.view import build_dashboard
from ..settings import Settings, get_settings
from ..store import Store, open_store
from . import console, jobs_admin, routes, views
from .scope import own_site

AdminRoute = Callable[["AdminRuntime", HttpRequest, Principal], Any]


class DashboardQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    days: int = Field(default=7, ge=1, le=MAX_DAYS)
    # A site admin's dashboard is its site's (given or not); a platform admin's is every site's
    # unless it names one.
    site: str | None = Field(default=None, pattern=SITE_ID_PATTERN)


@dataclass
class AdminRuntime:
    settings: Settings
    store: Store
    clock: SandboxClock
    auth: Authenticator
    jobs: JobStore

    @classmethod
    def build(
        cls,
        settings: Settings | None = None,
        store: Store | None = None,
        wall: Callable[[], datetime] = utc_now,
    ) -> AdminRuntime:
        """``wall`` is the real clock (tests move it): run logs, roll-ups and audits use real time."""
        settings = settings or get_settings()
        store = store or open_store(settings.store_url)
        clock = SandboxClock.from_settings(store, settings, wall=wall)
        auth = Authenticator.from_settings(settings)
        jobs = JobStore(store, now=clock.wall_now)
        # create-only: a fresh store lists its jobs; admin edits are never overwritten
        jobs.seed(default_jobs(settings.business_tz, settings.business_day_start))
        return cls(settings, store, clock, auth, jobs)

    def admin(self, request: HttpRequest) -> Principal:
        principal = self.auth.authenticate(request.header("authorization"))
        require_role(principal, "admin")
        return principal

    def route(self, fn: AdminRoute) -> Callable[[HttpRequest], Any]:
        """``fn`` behind the admin check: nothing of a route runs for a caller who is not an admin."""
        return lambda request: fn(self, request, self.admin(request))

    def router(self) -> Router:
        router = Router()
        for method, path, fn in ROUTES:
            router.add(method, path, self.route(fn))
        router.get("/admin/openapi.json", self.openapi)  # public: the contract is no secret
        console.add_routes(router)
        return router

    def openapi(self, request: HttpRequest) -> dict[str, Any]:
        from .openapi import document

        return document(route_table())


def get_runlogs(rt: AdminRuntime, request: HttpRequest, principal: Principal) -> dict[str, Any]:
    query = parse_query(RunlogQuery, request.query)
    site = own_site(principal, query.site, "run logs")  # a site admin's walk is pinned to its site
    return list_runlogs(rt.store, query.model_copy(update={"site": site}), rt.clock.wall_now())


def get_dashboard(rt: AdminRuntime, request: HttpRequest, principal: Principal) -> dict[str, Any]:
    query = parse_query(DashboardQuery, request.query)
    site = own_site(principal, query.site, "the dashboard")  # None: a platform admin's all-sites view
    return build_dashboard(rt.store, rt.clock.calendar, rt.clock.wall_now(), query.days, site)


_entry = HttpEntry(AdminRuntime.build)
configure = _entry.configure
initialize = _entry.initialize
handler = _entry.handler


__all__ = ["AdminRuntime", "configure", "handler", "initialize"]


# The admin route table: every route behind the admin check. Its OpenAPI operations are in openapi.py.
ROUTES: tuple[tuple[str, str, AdminRoute], ...] = (
    ("GET", "/admin/runlogs", get_runlogs),
    ("GET", "/admin/dashboard", get_dashboard),
    ("GET", "/admin/triggers", routes.list_triggers),
    ("GET", "/admin/triggers/{job}", routes.get_trigger),
    ("PUT", "/admin/triggers/{job}", routes.put_trigger),
    ("POST", "/admin/triggers/{job}/run", routes.run_trigger),
    ("GET", "/admin/runtime-context", routes.get_runtime_context),
    ("PUT", "/admin/runtime-context", routes.put_runtime_context),
    ("DELETE", "/admin/runtime-context", routes.delete_runtime_context),
    ("POST", "/admin/cache/purge", routes.purge_cache),
    # What the browser console adds (views.py); its static files are console.py's.
    ("GET", "/admin/triggers/{job}/runs", views.trigger_runs),
    ("GET", "/admin/cron/preview", views.cron_preview),
    ("GET", "/admin/queue", views.run_queue),
    ("GET", "/admin/runtime-context/audit", views.context_audit),
    ("GET", "/admin/apps/schemas", views.app_schemas),
    ("GET", "/admin/apps", views.app_titles),
    # Creating and removing jobs, their kinds and their audit (jobs_admin.py).
    ("POST", "/admin/triggers", jobs_admin.create_trigger),
    ("DELETE", "/admin/triggers/{job}", jobs_admin.delete_trigger),
    ("GET", "/admin/jobs/kinds", jobs_admin.job_kinds),
    ("GET", "/admin/jobs/audit", jobs_admin.jobs_audit),
)


def route_table() -> list[tuple[str, str]]:
    """Every route of the admin function, the console's and the document's included."""
    return [(method, path) for method, path, _ in ROUTES] + [("GET", "/admin/openapi.json")] + console.ROUTES
