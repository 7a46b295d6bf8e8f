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

from ..auth import Authenticator
from ..clock import SITE_ID_PATTERN, SandboxClock, utc_now
from ..http.fc_entry import HttpEntry
from ..http.replies import OpenApiDocument
from ..http.route import ADMIN, Reply, Request, Route, bind
from ..http.router import Router
from ..jobs import JobStore
from ..jobs.seed import default_jobs
from ..runlog.dashboard import MAX_DAYS
from ..runlog.query import RunlogQuery, list_runlogs
from ..runlog.view import build_dashboard
from ..settings import Settings, get_settings
from ..store import Store, open_store
from . import console, jobs_admin, oversight, replies, routes, views
from .scope import own_site

TITLE = "bailian-fc admin"
JOB = {"job": {"type": "string", "pattern": "^[a-z][a-z0-9_-]{0,62}$"}}


class DashboardQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    days: int = Field(default=7, ge=1, le=MAX_DAYS)
    # A site admin's dashboard is its site's (given or not); a platform admin's is every site's
    # unless it names one.
    site: str | None = Field(default=None, pattern=SITE_ID_PATTERN)


@dataclass
class AdminFunction:
    """The admin function's wiring: settings, store, sandbox clock, authenticator and job store."""

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
    ) -> AdminFunction:
        """``wall`` is the real clock (tests move it): run logs, roll-ups and audits use real time."""
        settings = settings or get_settings()
        store = store or open_store(settings.store_url)
        clock = SandboxClock.from_settings(store, settings, wall=wall)
        auth = Authenticator.from_settings(settings)
        jobs = JobStore(store, now=clock.wall_now)
        # create-only: a fresh store lists its jobs; admin edits are never overwritten
        jobs.seed(default_jobs(settings.business_tz, settings.business_day_start))
        return cls(settings, store, clock, auth, jobs)

    def routes(self) -> list[Route]:
        return [*bind(ROUTES, self), *console.ROUTES]

    def router(self) -> Router:
        return Router(self.routes(), self.auth)

    def openapi(self, request: Request[None, None]) -> dict[str, Any]:
        return document()


def get_runlogs(rt: AdminFunction, request: Request[RunlogQuery, None]) -> dict[str, Any]:
    query = request.query
    site = own_site(request.caller, query.site, "run logs")  # a site admin's walk is pinned to its site
    return list_runlogs(rt.store, query.model_copy(update={"site": site}), rt.clock.wall_now())


def get_dashboard(rt: AdminFunction, request: Request[DashboardQuery, None]) -> dict[str, Any]:
    query = request.query
    site = own_site(request.caller, query.site, "the dashboard")  # None: a platform admin's all-sites view
    return build_dashboard(rt.store, rt.clock.calendar, rt.clock.wall_now(), query.days, site)


def admin_route(
    method: str, path: str, handler: Callable[..., Any], summary: str, reply: Reply, **doc: Any
) -> Route:
    """A route behind the admin check: nothing of it runs for a caller who is not an admin."""
    if "{job}" in path:
        doc.setdefault("path_params", JOB)
    return Route(method, path, handler, summary, reply, roles=ADMIN, **doc)


# The admin route table: its OpenAPI document is rendered from it; the console's files are console.py's.
ROUTES: list[Route] = [
    admin_route(
        "GET",
        "/admin/runlogs",
        get_runlogs,
        "run log records, newest first, cursor-paginated",
        Reply(replies.RunlogPage, "a page"),
        query=RunlogQuery,
    ),
    admin_route(
        "GET",
        "/admin/runlogs/{request_id}",
        oversight.get_runlog,
        "one run log record with its trace: input, output (personal data masked), tokens, cost_cny,"
        " user, ratings and its conversation; another site's record is a 404 to a site admin",
        Reply(oversight.RunlogDetail, "the record"),
        query=oversight.DetailQuery,
        path_params=oversight.REQUEST_ID_PARAM,
    ),
    admin_route(
        "GET",
        "/admin/budgets",
        oversight.get_budgets,
        "a site's daily limits in force (¥ budget, calls per user), today's spend and the limits' audit",
        Reply(oversight.BudgetList, "the site's budget"),
        query=oversight.BudgetQuery,
    ),
    admin_route(
        "PUT",
        "/admin/budgets/{site_id}",
        oversight.put_budget,
        "set a site's daily limits (null: the default); a new audited version; platform admins only",
        Reply(oversight.BudgetView, "the site's budget"),
        body=oversight.BudgetPatch,
        path_params=oversight.SITE_PARAM,
    ),
    admin_route(
        "GET",
        "/admin/dashboard",
        get_dashboard,
        "calls, errors (and 4xx rejections by code), latency and tokens per day and app, users'"
        " calls apart from scheduled ones; a site admin's is its own site's, a platform admin's"
        " every site's unless `site` names one",
        Reply(replies.Dashboard, "the dashboard"),
        query=DashboardQuery,
    ),
    admin_route(
        "GET",
        "/admin/triggers",
        routes.list_triggers,
        "every trigger job",
        Reply(replies.TriggerList, "jobs"),
    ),
    admin_route(
        "GET",
        "/admin/triggers/{job}",
        routes.get_trigger,
        "one trigger job",
        Reply(replies.Trigger, "the job"),
    ),
    admin_route(
        "PUT",
        "/admin/triggers/{job}",
        routes.put_trigger,
        "change a job's schedule, payload or state",
        Reply(replies.Trigger, "the job"),
        body=routes.TriggerPatch,
    ),
    admin_route(
        "POST",
        "/admin/triggers/{job}/run",
        routes.run_trigger,
        "start a run of the job now: one per (job, site) at a time; a second request gets the "
        "running run's id (202, started=running); without force, a slot whose manual run "
        "happened answers started=already_ran",
        Reply(
            replies.RunStarted,
            "started, queued, already running (with its run_id) or already run in this slot",
            status=202,
        ),
        body=routes.RunRequest,
        body_optional=True,
    ),
    admin_route(
        "GET",
        "/admin/runtime-context",
        routes.get_runtime_context,
        "sandbox clocks and the effective clock",
        Reply(replies.ContextList, "contexts"),
    ),
    admin_route(
        "PUT",
        "/admin/runtime-context",
        routes.put_runtime_context,
        "set a sandbox clock",
        Reply(replies.SandboxContext, "the stored context"),
        body=routes.ContextRequest,
    ),
    admin_route(
        "DELETE",
        "/admin/runtime-context",
        routes.delete_runtime_context,
        "clear a sandbox clock",
        Reply(None, "cleared", status=204),
        query=routes.ContextDelete,
    ),
    admin_route(
        "POST",
        "/admin/cache/purge",
        routes.purge_cache,
        "delete cached answers of one app and/or one site",
        Reply(replies.Purged, "count deleted"),
        body=routes.PurgeRequest,
    ),
    # What the browser console adds (views.py).
    admin_route(
        "GET",
        "/admin/triggers/{job}/runs",
        views.trigger_runs,
        "a job's newest runs",
        Reply(replies.TriggerRuns, "runs"),
        query=views.LimitQuery,
    ),
    admin_route(
        "GET",
        "/admin/cron/preview",
        views.cron_preview,
        "validate a cron and show its next fire times",
        Reply(replies.CronPreview, "the preview"),
        query=views.CronQuery,
    ),
    admin_route(
        "GET",
        "/admin/queue",
        views.run_queue,
        "manual runs waiting for the prewarm function",
        Reply(replies.RunQueue, "the queue"),
    ),
    admin_route(
        "GET",
        "/admin/runtime-context/audit",
        views.context_audit,
        "who set or cleared which sandbox clock",
        Reply(replies.AuditPage, "audit records"),
        query=views.LimitQuery,
    ),
    admin_route(
        "GET",
        "/admin/apps/schemas",
        views.app_schemas,
        "each single-turn app's input JSON Schema",
        Reply(replies.AppSchemas, "schemas"),
    ),
    admin_route(
        "GET",
        "/admin/apps",
        views.app_titles,
        "every catalogue app's key, Chinese title and mode (the console's names and filters)",
        Reply(replies.AppTitles, "apps"),
    ),
    # Creating and removing jobs, their kinds and their audit (jobs_admin.py).
    admin_route(
        "POST",
        "/admin/triggers",
        jobs_admin.create_trigger,
        "create a job of a known kind (payload validated against the kind's model; audited)",
        Reply(replies.Trigger, "the job", status=201),
        body=jobs_admin.JobCreate,
        errors=(409,),
    ),
    admin_route(
        "DELETE",
        "/admin/triggers/{job}",
        jobs_admin.delete_trigger,
        "remove a job (its runs and audit stay; audited)",
        Reply(None, "removed", status=204),
    ),
    admin_route(
        "GET",
        "/admin/jobs/kinds",
        jobs_admin.job_kinds,
        "each job kind's title, description and payload JSON Schema",
        Reply(replies.JobKinds, "kinds"),
    ),
    admin_route(
        "GET",
        "/admin/jobs/audit",
        jobs_admin.jobs_audit,
        "who created, changed or removed which job, newest first",
        Reply(replies.AuditPage, "audit records"),
        query=views.LimitQuery,
    ),
    Route(
        "GET",
        "/admin/openapi.json",
        AdminFunction.openapi,
        "this function's OpenAPI 3.1 document",
        Reply(OpenApiDocument, "the document"),
        roles=None,  # public: the contract is no secret
        operation_id="admin_openapi",
        tag="openapi",
    ),
]


def document() -> dict[str, Any]:
    """This function's OpenAPI document, rendered from :data:`ROUTES`."""
    from ..http.openapi import function_document  # only when asked: never on an app call

    return function_document(TITLE, ROUTES, tag="admin")


_entry = HttpEntry(AdminFunction.build)
configure = _entry.configure
initialize = _entry.initialize
handler = _entry.handler


__all__ = ["ROUTES", "AdminFunction", "configure", "handler", "initialize"]
