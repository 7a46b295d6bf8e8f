"""Read-only admin views the console needs beside the core routes: a job's runs, a cron preview,
the run-now queue, the runtime-context audit and the apps' input schemas.

Each function has the admin-route signature of :mod:`.routes` (``function.py`` checks
``role=admin`` before any of them runs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from ..clock import AUDIT_KEY
from ..errors import InvalidInput
from ..http.route import Request
from ..jobs import CronError, Job, next_fire_times, validate_cron
from ..jobs.cron import split_tz
from ..jobs.queue import list_queue
from .routes import NEXT_FIRES, _job
from .scope import is_per_site, visible_site

if TYPE_CHECKING:
    from .function import AdminFunction

AUDIT_PREFIX = AUDIT_KEY.split("{", 1)[0]
MAX_LIST = 100
MAX_AUDIT_SCAN = 1000  # records read per audit request, whatever the filter keeps: a bounded read


class LimitQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(default=20, ge=1, le=MAX_LIST)


class CronQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    cron: str = Field(min_length=1, max_length=200)
    tz: str | None = Field(default=None, min_length=1, max_length=64)
    count: int = Field(default=NEXT_FIRES, ge=1, le=20)


def trigger_runs(rt: AdminFunction, request: Request[LimitQuery, None]) -> dict[str, Any]:
    """``GET /admin/triggers/{job}/runs?limit=N``: newest runs first, with each run's summary
    (a prewarm run's ``failed`` lists its per-item failures)."""
    principal = request.caller
    job = _job(rt, request.path_params["job"])
    query = request.query
    if principal.platform:
        runs = rt.jobs.runs(job, query.limit)
    elif is_per_site(job):  # a site admin: the runs that acted on its site alone
        runs = rt.jobs.site_runs(job, principal.site_id, query.limit)
    else:
        runs = []  # a job over every site: its runs are the platform's
    return {"job": job.name, "runs": [r.model_dump(mode="json") for r in runs]}


def cron_preview(rt: AdminFunction, request: Request[CronQuery, None]) -> dict[str, Any]:
    """``GET /admin/cron/preview?cron=…&tz=…``: validate a cron without saving it, and its next fires."""
    query = request.query
    try:
        prefix_tz, _ = split_tz(query.cron)
        tz = prefix_tz or query.tz or rt.settings.business_tz
        validate_cron(query.cron, tz)
        probe = Job(name="preview", cron=query.cron, tz=tz, enabled=True)
    except (CronError, ValueError) as exc:
        raise InvalidInput(str(exc).splitlines()[0][:300], code="InvalidCron") from None
    fires = next_fire_times(probe, query.count, after=rt.clock.wall_now())
    return {"cron": query.cron, "tz": tz, "next_fire_times": [t.isoformat() for t in fires]}


def run_queue(rt: AdminFunction, request: Request[None, None]) -> dict[str, Any]:
    """``GET /admin/queue``: manual runs waiting for the prewarm function, oldest first (a site
    admin: those for its own site)."""
    principal = request.caller
    entries = [e for e in list_queue(rt.store) if visible_site(principal, e.get("site_id"))]
    return {"queued": entries[:MAX_LIST]}


def context_audit(rt: AdminFunction, request: Request[LimitQuery, None]) -> dict[str, Any]:
    """``GET /admin/runtime-context/audit?limit=N``: who set or cleared which clock, newest first
    (a site admin: its own site's clock only; the scan stops after ``MAX_AUDIT_SCAN`` records)."""
    principal = request.caller
    query = request.query
    records: list[dict[str, Any]] = []
    for n, key in enumerate(reversed(rt.store.list(AUDIT_PREFIX))):
        if len(records) >= query.limit or n >= MAX_AUDIT_SCAN:
            break
        try:
            raw = rt.store.get_json(key)
        except ValueError:
            continue
        if isinstance(raw, dict) and visible_site(principal, audit_site(raw)):
            records.append(raw)
    return {"audit": records}


def audit_site(record: dict[str, Any]) -> str | None:
    """The site an audit record is about; None for the global context (a platform admin's)."""
    context = record.get("context") if record.get("action") == "set" else record
    if not isinstance(context, dict) or context.get("scope") != "site":
        return None
    site = context.get("site_id")
    return site if isinstance(site, str) else None


def app_schemas(rt: AdminFunction, request: Request[None, None]) -> dict[str, Any]:
    """``GET /admin/apps/schemas``: each single-turn app's input JSON Schema (the console builds forms)."""
    from ..catalogue.registry import CATALOGUE  # late: builds every app's models

    return {
        "apps": [
            {
                "key": spec.key,
                "title": spec.describe(False)["title"],
                "input_schema": spec.input_model.model_json_schema(),
            }
            for spec in CATALOGUE.values()
            if spec.mode == "single"
        ]
    }


def app_titles(rt: AdminFunction, request: Request[None, None]) -> dict[str, Any]:
    """``GET /admin/apps``: every catalogue app's key, Chinese title and mode, in catalogue order:
    the console's app names and filters come from here, never from a list of its own."""
    from ..catalogue.registry import CATALOGUE  # late: builds every app's models

    return {"apps": [{"key": s.key, "title": s.title, "mode": s.mode} for s in CATALOGUE.values()]}
