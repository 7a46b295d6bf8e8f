"""Creating, removing and auditing trigger jobs, and the job kinds the console offers.

Every change to a job (create, update, delete) writes a create-only audit record with the admin's
``sub`` (:mod:`..jobs.audit`), the way runtime-context changes are audited. A payload is validated
against its kind's pydantic model (:mod:`..jobs.kinds`) before anything is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from ..errors import Conflict, InvalidInput
from ..http.fc_event import Response
from ..http.route import Request
from ..jobs import CronError, Job, validate_cron
from ..jobs import audit as job_audit
from ..jobs.kinds import JOB_KINDS, KindName, validate_payload
from ..jobs.store import NAME_PATTERN
from .routes import _job, check_cost, trigger_view
from .scope import require_platform
from .views import LimitQuery

if TYPE_CHECKING:
    from .function import AdminFunction


class JobCreate(BaseModel):
    """``POST /admin/triggers``: a new job of a known kind; created disabled unless ``enabled``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    kind: KindName
    cron: str = Field(min_length=1, max_length=200)
    tz: str | None = Field(default=None, min_length=1, max_length=64)
    enabled: StrictBool = False
    payload: dict[str, Any] = Field(default_factory=dict)
    description: str = Field(default="", max_length=500)


def checked_payload(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` validated by its kind's model; a 400 naming each bad ``payload.<field>``."""
    if kind not in JOB_KINDS:
        return payload  # a job of a kind this build does not know: nothing to check against
    try:
        return validate_payload(kind, payload)
    except ValidationError as exc:
        details = [
            {
                "field": ".".join(["payload", *(str(p) for p in e["loc"])]),
                "message": e["msg"],
                "type": e["type"],
            }
            for e in exc.errors(include_url=False, include_input=False)
        ]
        raise InvalidInput(
            "the payload does not fit this job's kind", code="ValidationError", details=details
        ) from None


def create_trigger(rt: AdminFunction, request: Request[None, JobCreate]) -> Response:
    principal = request.caller
    require_platform(principal, "creating a trigger (it runs for every site)")
    body = request.body
    if rt.jobs.get(body.name) is not None:
        raise Conflict(f"a job named {body.name!r} already exists")
    if len(rt.jobs.list()) >= rt.settings.max_jobs:
        raise Conflict(f"at most MAX_JOBS={rt.settings.max_jobs} jobs: remove one first", code="TooManyJobs")
    tz = body.tz or rt.settings.business_tz
    try:
        validate_cron(body.cron, tz)
        job = Job(
            name=body.name,
            kind="" if body.kind == body.name else body.kind,
            cron=body.cron,
            tz=tz,
            enabled=body.enabled,
            payload=checked_payload(body.kind, body.payload),
            description=body.description,
        )
    except (CronError, ValueError) as exc:  # the payload's own InvalidInput passes through
        raise InvalidInput(str(exc).splitlines()[0][:300], code="InvalidCron") from None
    check_cost(job, rt.jobs, rt.clock.wall_now(), rt.settings.job_max_calls_per_day)
    saved = rt.jobs.save(job, by=principal.sub)
    job_audit.record(
        rt.store,
        "create",
        saved.name,
        principal.sub,
        rt.clock.wall_now(),
        definition=saved.model_dump(mode="json"),
    )
    return Response(201, trigger_view(rt.jobs, saved, rt.clock.wall_now()))


def delete_trigger(rt: AdminFunction, request: Request[None, None]) -> Response:
    """Remove the definition; its runs, claims and audit stay for the record."""
    principal = request.caller
    require_platform(principal, "removing a trigger")
    job = _job(rt, request.path_params["job"])
    rt.jobs.delete(job.name)
    job_audit.record(
        rt.store,
        "delete",
        job.name,
        principal.sub,
        rt.clock.wall_now(),
        definition=job.model_dump(mode="json"),
    )
    return Response(204, None)


def job_kinds(rt: AdminFunction, request: Request[None, None]) -> dict[str, Any]:
    """``GET /admin/jobs/kinds``: each kind's title, description and payload JSON Schema."""
    return {"kinds": [kind.describe() for kind in JOB_KINDS.values()]}


def jobs_audit(rt: AdminFunction, request: Request[LimitQuery, None]) -> dict[str, Any]:
    """``GET /admin/jobs/audit?limit=N``: who created, changed or removed which job, newest first."""
    query = request.query
    return {"audit": job_audit.newest(rt.store, query.limit)}
