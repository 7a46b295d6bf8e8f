"""Admin operations on trigger jobs, the runtime context and the result cache.

Each function takes the admin function's wiring and the route's :class:`~..http.route.Request`
(its validated query or body, and ``caller``: the route table in ``function.py`` declares
``role=admin``, checked before any of these run) and returns a :class:`Response` or a JSON-able body.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from ..auth import Principal
from ..cache import purge
from ..clock import SITE_ID_PATTERN, BusinessCalendar, SandboxContext, bounded_utc, context_key
from ..errors import InvalidInput, NotFound, invalid_field
from ..http.fc_event import Response
from ..http.route import Request
from ..ids import is_safe_id
from ..jobs import CronError, Job, JobStore, next_fire_times, validate_cron
from ..jobs.cron import split_tz
from ..jobs.day_start import early_fire_warnings
from ..jobs.estimate import estimate
from ..jobs.run_now import start_run
from .scope import is_per_site, job_run_site, own_site, require_platform

if TYPE_CHECKING:
    from .function import AdminFunction

log = logging.getLogger("bailian_fc.admin")

NEXT_FIRES = 5
DEFAULT_TTL_SECONDS = 3600
MAX_TTL_SECONDS = 7 * 86400


def _invalid(field: str, message: str) -> InvalidInput:
    return invalid_field(field, message)


# -- triggers -----------------------------------------------------------------------------------


class TriggerPatch(BaseModel):
    """``PUT /admin/triggers/{job}``: only the fields given change; null means "leave as is"."""

    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool | None = None
    cron: str | None = Field(default=None, min_length=1, max_length=200)
    tz: str | None = Field(default=None, min_length=1, max_length=64)
    payload: dict[str, Any] | None = None
    description: str | None = Field(default=None, max_length=500)


class RunRequest(BaseModel):
    """``POST /admin/triggers/{job}/run``."""

    model_config = ConfigDict(extra="forbid")

    site_id: str | None = Field(default=None, pattern=SITE_ID_PATTERN)
    force: StrictBool = False


def run_view(run: Any) -> dict[str, Any]:
    at = run.finished_at or run.started_at or run.slot
    return {
        "id": run.id,
        "status": run.status,
        "at": at.isoformat(),
        "trigger": run.trigger,
        "slot": run.slot.isoformat(),
        "site_id": run.site_id,
        "duration_ms": run.duration_ms,
        "summary": run.summary,
        "error": run.error,
    }


def scoped_last_run(jobs: JobStore, job: Job, principal: Principal | None) -> Any:
    """The job's newest run the caller may see: any for a platform admin (or no principal), the
    newest that acted on its own site for a site admin (none, for a job over every site)."""
    if principal is None or principal.platform:
        return jobs.last_run(job)
    if not is_per_site(job):
        return None
    runs = jobs.site_runs(job, principal.site_id, limit=1, scan=50)
    return runs[0] if runs else None


def trigger_view(
    jobs: JobStore,
    job: Job,
    now: datetime,
    principal: Principal | None = None,
    calendar: BusinessCalendar | None = None,
) -> dict[str, Any]:
    """A job as the admin sees it: definition, last run (in the caller's scope), what the schedule
    does next and (given the business calendar) ``warnings``: a prewarm that fires before day start."""
    last = scoped_last_run(jobs, job, principal)
    return {
        "id": job.job_id,
        "name": job.name,
        "kind": job.handler_kind,
        "enabled": job.enabled,
        "cron": job.cron,
        "tz": job.tz,
        "payload": job.payload,
        "description": job.description,
        "updated_at": job.updated_at.isoformat() if job.updated_at else None,
        "updated_by": job.updated_by,
        "enabled_at": job.enabled_at.isoformat() if job.enabled_at else None,
        "last_run": None if last is None else run_view(last),
        "per_site": is_per_site(job),  # by its kind: the console shows a site admin its run-now
        # What the schedule gives, enabled or not: lets an admin preview a cron before enabling it.
        "next_fire_times": [t.isoformat() for t in next_fire_times(job, NEXT_FIRES, after=now)],
        "warnings": early_fire_warnings(job, calendar, after=now) if calendar is not None else [],
        "estimate": estimate(job, jobs, now),
    }


def check_cost(job: Job, jobs: JobStore, now: datetime, limit: int) -> None:
    """An enabled job estimated above ``JOB_MAX_CALLS_PER_DAY`` upstream calls a day is refused."""
    if not job.enabled:
        return
    guess = estimate(job, jobs, now)
    if guess["calls_per_day"] > limit:
        raise InvalidInput(
            f"this job would make about {guess['calls_per_day']} upstream calls a day"
            f" ({guess['fires_per_day']} fires × {guess['calls_per_fire']}; {guess['basis']}),"
            f" above JOB_MAX_CALLS_PER_DAY={limit}: fire less often or narrow its payload",
            code="JobTooCostly",
            details=[
                {"field": "cron", "message": "too many upstream calls a day", "type": "job_cost", **guess}
            ],
        )


def _job(rt: AdminFunction, name: str) -> Job:
    if not is_safe_id(name):  # a NUL, a slash or 300 characters cannot name a job: no store lookup
        raise NotFound("no job by that name")
    job = rt.jobs.get(name)
    if job is None:
        raise NotFound(f"no job named {name!r}")
    return job


def list_triggers(rt: AdminFunction, request: Request[None, None]) -> dict[str, Any]:
    principal = request.caller
    now = rt.clock.wall_now()
    jobs = [trigger_view(rt.jobs, job, now, principal, rt.clock.calendar) for job in rt.jobs.list()]
    return {"jobs": jobs, "available": available_defaults(rt) if principal.platform else []}


def available_defaults(rt: AdminFunction) -> list[dict[str, Any]]:
    """Defaults a later release added that this store was never offered: each is the body of the
    ``POST /admin/triggers`` that adds it (the console's one-click add), never created unasked."""
    from ..jobs.seed import default_jobs

    offered = rt.jobs.available(default_jobs(rt.settings.business_tz, rt.settings.business_day_start))
    return [
        {
            "name": job.name,
            "kind": job.handler_kind,
            "cron": job.cron,
            "tz": job.tz,
            "payload": job.payload,
            "description": job.description,
        }
        for job in offered
    ]


def get_trigger(rt: AdminFunction, request: Request[None, None]) -> dict[str, Any]:
    principal = request.caller
    job = _job(rt, request.path_params["job"])
    return trigger_view(rt.jobs, job, rt.clock.wall_now(), principal, rt.clock.calendar)


def _schedule_changes(job: Job, patch: TriggerPatch) -> dict[str, Any]:
    """The new (cron, tz), validated by ``validate_cron``; a CRON_TZ= prefix in a new cron sets tz."""
    if patch.cron is None and patch.tz is None:
        return {}
    cron = patch.cron if patch.cron is not None else job.cron
    try:
        prefix_tz, _ = split_tz(cron)
        tz = patch.tz if patch.tz is not None else (prefix_tz or job.tz)
        if prefix_tz is not None and patch.cron is None:
            raise CronError(f"the job's cron carries CRON_TZ={prefix_tz}; change the cron to change its zone")
        validate_cron(cron, tz)
    except CronError as exc:
        raise InvalidInput(str(exc), code="InvalidCron") from None
    return {"cron": cron, "tz": tz}


def put_trigger(rt: AdminFunction, request: Request[None, TriggerPatch]) -> dict[str, Any]:
    principal = request.caller
    require_platform(principal, "changing a trigger (it runs for every site)")
    job = _job(rt, request.path_params["job"])
    patch = request.body
    from ..jobs import audit as job_audit
    from . import jobs_admin  # late: jobs_admin builds on this module

    changes = {k: v for k, v in patch.model_dump(exclude={"cron", "tz"}).items() if v is not None}
    changes.update(_schedule_changes(job, patch))
    if not changes:
        raise InvalidInput("nothing to change: give enabled, cron, tz, payload or description")
    if "payload" in changes:
        changes["payload"] = jobs_admin.checked_payload(job.handler_kind, changes["payload"])
    updated = Job.model_validate({**job.model_dump(), **changes})
    if {"enabled", "cron", "tz", "payload"} & set(changes):
        check_cost(updated, rt.jobs, rt.clock.wall_now(), rt.settings.job_max_calls_per_day)
    saved = rt.jobs.save(updated, by=principal.sub)
    before = job.model_dump(mode="json")
    diff = {k: {"from": before.get(k), "to": v} for k, v in changes.items() if before.get(k) != v}
    job_audit.record(rt.store, "update", saved.name, principal.sub, rt.clock.wall_now(), changes=diff)
    log.info("job %s changed by %s: %s", saved.name, saved.updated_by, sorted(changes))
    # The edit is saved either way (an operator may mean it); the answer says when it is early.
    return trigger_view(rt.jobs, saved, rt.clock.wall_now(), principal, rt.clock.calendar)


def run_trigger(rt: AdminFunction, request: Request[None, RunRequest]) -> Response:
    """Start the job at once (FC async invocation, or in-process under dev); queued when that fails."""
    principal = request.caller
    job = _job(rt, request.path_params["job"])
    body = request.body  # an empty body is {}
    job_run_site(principal, job, body.site_id)
    return Response(
        202, start_run(rt.store, job.name, body.site_id, body.force, principal.sub, rt.clock.wall_now())
    )


# -- runtime context ----------------------------------------------------------------------------


class ContextRequest(BaseModel):
    """``PUT /admin/runtime-context``; ``set_by``/``set_at`` come from the token and the real clock."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["fixed", "offset"]
    fixed_at: AwareDatetime | None = None
    offset_seconds: float | None = None
    scope: Literal["global", "site"] = "global"
    site_id: str | None = None
    expires_at: AwareDatetime | None = None
    ttl_seconds: int | None = Field(default=None, ge=1, le=MAX_TTL_SECONDS)
    reason: str = Field(min_length=1, max_length=200)

    @field_validator("fixed_at", "expires_at")
    @classmethod
    def _in_range(cls, value: datetime | None) -> datetime | None:
        return None if value is None else bounded_utc(value)

    @model_validator(mode="after")
    def _one_expiry(self) -> ContextRequest:
        if self.expires_at is not None and self.ttl_seconds is not None:
            raise ValueError("give expires_at or ttl_seconds, not both")
        return self


class ContextDelete(BaseModel):
    model_config = ConfigDict(extra="ignore")

    scope: Literal["global", "site"]
    site_id: str | None = Field(default=None, pattern=SITE_ID_PATTERN)


def _context_scope(principal: Principal, scope: str, site_id: str | None) -> None:
    """A global context moves every site's clock: platform admins only; a site's, that site's admin."""
    if scope == "global":
        require_platform(principal, "a global runtime context")
    elif site_id is not None:
        own_site(principal, site_id, "a site runtime context")


def get_runtime_context(rt: AdminFunction, request: Request[None, None]) -> dict[str, Any]:
    principal = request.caller
    wall = rt.clock.wall_now()
    contexts = [
        context_view(ctx.model_dump(mode="json"), principal, expired=not ctx.active(wall))
        for ctx in rt.clock.list_contexts(include_expired=True)
        if ctx.scope == "global" or principal.may_act_on(ctx.site_id)
    ]
    return {"contexts": contexts, "clock": rt.clock.describe()}


REDACTED_CONTEXT_FIELDS = ("reason", "set_by")  # who set the global clock and why: platform business


def context_view(ctx: dict[str, Any], principal: Principal, *, expired: bool) -> dict[str, Any]:
    """A stored context as ``principal`` may see it: a site admin sees that a global context exists
    and what it does to its clock, but not its ``reason`` or ``set_by`` (the audit hides them too)."""
    view = {**ctx, "expired": expired}
    if ctx.get("scope") == "global" and not principal.platform:
        view.update({field: "" for field in REDACTED_CONTEXT_FIELDS}, redacted=True)
    return view


def _expiry(body: ContextRequest, wall: datetime) -> datetime:
    if body.expires_at is None:
        return wall + timedelta(seconds=body.ttl_seconds or DEFAULT_TTL_SECONDS)
    if body.expires_at <= wall:
        raise _invalid("expires_at", "expires_at is in the past")
    if body.expires_at > wall + timedelta(seconds=MAX_TTL_SECONDS):
        raise _invalid("expires_at", "a runtime context lasts at most 7 days")
    return body.expires_at


def put_runtime_context(rt: AdminFunction, request: Request[None, ContextRequest]) -> dict[str, Any]:
    principal = request.caller
    body = request.body
    _context_scope(principal, body.scope, body.site_id)
    actor = principal.sub
    wall = rt.clock.wall_now()
    data = body.model_dump(exclude={"ttl_seconds"})
    ctx = SandboxContext.model_validate(
        {**data, "expires_at": _expiry(body, wall), "set_by": actor, "set_at": wall}
    )
    try:
        rt.clock.set_context(ctx, actor)
    except ValueError as exc:
        raise _invalid("expires_at", str(exc)) from None
    stored = SandboxContext.model_validate(rt.store.get_json(ctx.key))
    log.info("runtime context %s set by %s", ctx.key, actor)
    return {**stored.model_dump(mode="json"), "expired": False}


def delete_runtime_context(rt: AdminFunction, request: Request[ContextDelete, None]) -> Response:
    principal = request.caller
    query = request.query
    _context_scope(principal, query.scope, query.site_id)
    try:
        context_key(query.scope, query.site_id)
    except ValueError as exc:
        raise _invalid("site_id", str(exc)) from None
    if not rt.clock.clear_context(query.scope, query.site_id, principal.sub):
        raise NotFound("no runtime context is set for that scope")
    return Response(204, None)


# -- cache --------------------------------------------------------------------------------------


class PurgeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    app: str | None = None
    site_id: str | None = Field(default=None, pattern=SITE_ID_PATTERN)

    @model_validator(mode="after")
    def _target(self) -> PurgeRequest:
        from ..catalogue.registry import CATALOGUE  # late: the catalogue builds every app's models

        if self.app is None and self.site_id is None:
            raise ValueError("give app, site_id or both: purging the whole cache is not an admin route")
        if self.app is not None and self.app not in CATALOGUE:
            raise ValueError(f"unknown app {self.app!r}: use a catalogue key (GET /apps)")
        return self


def purge_cache(rt: AdminFunction, request: Request[None, PurgeRequest]) -> dict[str, Any]:
    principal = request.caller
    body = request.body
    site_id = own_site(principal, body.site_id, "a cache purge")
    deleted = purge(rt.store, app=body.app, site_id=site_id)
    log.info("cache purge app=%s site=%s by %s: %d entries", body.app, site_id, principal.sub, deleted)
    return {"deleted": deleted}
