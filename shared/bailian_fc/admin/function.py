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
from ..clock import RuntimeClock, utc_now
from ..http.fc_entry import HttpEntry
from ..http.fc_event import HttpRequest
from ..http.params import parse_query
from ..http.router import Router
from ..jobs import JobStore
from ..runlog.dashboard import MAX_DAYS, build_dashboard
from ..runlog.query import RunlogQuery, list_runlogs
from ..settings import Settings, get_settings
from ..store import Store, open_store
from . import console, routes, views
from .scope import own_site, require_platform

AdminRoute = Callable[["AdminRuntime", HttpRequest, Principal], Any]


class DashboardQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    days: int = Field(default=7, ge=1, le=MAX_DAYS)


@dataclass
class AdminRuntime:
    settings: Settings
    store: Store
    clock: RuntimeClock
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
        clock = RuntimeClock.from_settings(store, settings, wall=wall)
        secret = settings.auth_jwt_secret.get_secret_value() if settings.auth_jwt_secret else ""
        auth = Authenticator(secret, settings.auth_issuer, settings.auth_audience)
        jobs = JobStore(store, now=clock.wall_now)
        jobs.seed()  # create-only: a fresh store lists its jobs; admin edits are never overwritten
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
        router.get("/admin/runlogs", self.route(get_runlogs))
        router.get("/admin/dashboard", self.route(get_dashboard))
        router.get("/admin/triggers", self.route(routes.list_triggers))
        router.get("/admin/triggers/{job}", self.route(routes.get_trigger))
        router.put("/admin/triggers/{job}", self.route(routes.put_trigger))
        router.post("/admin/triggers/{job}/run", self.route(routes.run_trigger))
        router.get("/admin/runtime-context", self.route(routes.get_runtime_context))
        router.put("/admin/runtime-context", self.route(routes.put_runtime_context))
        router.delete("/admin/runtime-context", self.route(routes.delete_runtime_context))
        router.post("/admin/cache/purge", self.route(routes.purge_cache))
        # What the browser console adds (views.py) and its static files (console.py).
        router.get("/admin/triggers/{job}/runs", self.route(views.trigger_runs))
        router.get("/admin/cron/preview", self.route(views.cron_preview))
        router.get("/admin/queue", self.route(views.run_queue))
        router.get("/admin/runtime-context/audit", self.route(views.context_audit))
        router.get("/admin/apps/schemas", self.route(views.app_schemas))
        router.get("/admin/openapi.json", self.openapi)  # public: the contract is no secret
        console.add_routes(router)
        return router

    def openapi(self, request: HttpRequest) -> dict[str, Any]:
        from ..openapi.operations import document

        return document("admin", [(r.method, r.pattern) for r in self.router().routes])


def get_runlogs(rt: AdminRuntime, request: HttpRequest, principal: Principal) -> dict[str, Any]:
    query = parse_query(RunlogQuery, request.query)
    site = own_site(principal, query.site, "run logs")  # a site admin's walk is pinned to its site
    return list_runlogs(rt.store, query.model_copy(update={"site": site}), rt.clock.wall_now())


def get_dashboard(rt: AdminRuntime, request: HttpRequest, principal: Principal) -> dict[str, Any]:
    require_platform(principal, "the dashboard (it sums every site)")
    query = parse_query(DashboardQuery, request.query)
    return build_dashboard(rt.store, rt.clock.calendar, rt.clock.wall_now(), query.days)


_entry = HttpEntry(AdminRuntime.build)
configure = _entry.configure
initialize = _entry.initialize
handler = _entry.handler


__all__ = ["AdminRuntime", "configure", "handler", "initialize"]
