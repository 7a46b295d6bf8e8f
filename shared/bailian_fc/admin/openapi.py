"""The admin function's routes as OpenAPI operations (the console's HTML and static files are not an API)."""

from __future__ import annotations

from typing import Any

from ..http.openapi import (
    ADMIN,
    ANY_LIST,
    ANY_OBJ,
    BOOL,
    CLOCK,
    INT,
    NSTR,
    STR,
    OpDoc,
    Operation,
    Reply,
    client_operations,
    function_document,
    obj,
    openapi_doc,
)

JOB_SCHEMA = {"type": "string", "pattern": "^[a-z][a-z0-9_-]{0,62}$"}
TRIGGER = obj(
    {
        "name": STR,
        "kind": STR,
        "enabled": BOOL,
        "cron": STR,
        "tz": STR,
        "payload": ANY_OBJ,
        "description": STR,
        "updated_at": NSTR,
        "updated_by": STR,
        "enabled_at": NSTR,
        "last_run": {"type": ["object", "null"]},
        "next_fire_times": {"type": "array", "items": STR},
    },
    # a prewarm whose schedule fires before the business-day start (docs/business-day.md)
    {"warnings": {"type": "array", "items": STR}},
)
CONTEXT = obj(
    {
        "mode": {"enum": ["fixed", "offset"]},
        "scope": {"enum": ["global", "site"]},
        "expires_at": STR,
        "reason": STR,
        "set_by": STR,
        "set_at": STR,
        "expired": BOOL,
    }
)


def admin_docs() -> dict[tuple[str, str], OpDoc]:
    from ..admin import jobs_admin, routes, views
    from ..admin.function import DashboardQuery
    from ..runlog.query import RunlogQuery

    job = {"job": JOB_SCHEMA}
    return {
        ("GET", "/admin/runlogs"): OpDoc(
            "run log records, newest first, cursor-paginated",
            "admin",
            ADMIN,
            query=RunlogQuery,
            replies={
                200: Reply(
                    "a page",
                    obj(
                        {
                            "items": ANY_LIST,
                            "next_cursor": NSTR,
                            "limit": INT,
                            "from": STR,
                            "to": STR,
                            "filters": ANY_OBJ,
                            "scanned": INT,
                        }
                    ),
                )
            },
        ),
        ("GET", "/admin/dashboard"): OpDoc(
            "calls, errors (and 4xx rejections by code), latency and tokens per day and app, users'"
            " calls apart from scheduled ones; a site admin's is its own site's, a platform admin's"
            " every site's unless `site` names one",
            "admin",
            ADMIN,
            query=DashboardQuery,
            replies={
                200: Reply(
                    "the dashboard",
                    obj(
                        {
                            "days": INT,
                            "site": NSTR,
                            "sites": {"type": "array", "items": STR},
                            "from": STR,
                            "to": STR,
                            "by_day": ANY_LIST,
                            "by_app": ANY_OBJ,
                            "by_origin": ANY_OBJ,
                            "by_site": {"type": ["object", "null"]},
                            "total": ANY_OBJ,
                        }
                    ),
                )
            },
        ),
        ("GET", "/admin/triggers"): OpDoc(
            "every trigger job",
            "admin",
            ADMIN,
            replies={200: Reply("jobs", obj({"jobs": {"type": "array", "items": TRIGGER}}))},
        ),
        ("GET", "/admin/triggers/{job}"): OpDoc(
            "one trigger job", "admin", ADMIN, path_params=job, replies={200: Reply("the job", TRIGGER)}
        ),
        ("PUT", "/admin/triggers/{job}"): OpDoc(
            "change a job's schedule, payload or state",
            "admin",
            ADMIN,
            body=routes.TriggerPatch,
            path_params=job,
            replies={200: Reply("the job", TRIGGER)},
        ),
        ("POST", "/admin/triggers/{job}/run"): OpDoc(
            "start a run of the job now: one per (job, site) at a time; a second request gets the "
            "running run's id (202, started=running); without force, a slot whose manual run "
            "happened answers started=already_ran",
            "admin",
            ADMIN,
            body=routes.RunRequest,
            body_required=False,
            path_params=job,
            replies={
                202: Reply(
                    "started, queued, already running (with its run_id) or already run in this slot",
                    obj(
                        {
                            "started": {
                                "type": "string",
                                "enum": ["now", "queued", "running", "already_ran"],
                            },
                            "job": STR,
                            "site_id": NSTR,
                            "force": BOOL,
                            "requested_by": STR,
                            "requested_at": STR,
                        },
                        {
                            "run_id": NSTR,
                            "invocation_id": STR,
                            "queue_id": STR,
                            "queued_by": STR,
                            "queued_at": STR,
                            "reason": STR,
                            "slot": STR,
                            "hint": STR,
                        },
                    ),
                )
            },
        ),
        ("GET", "/admin/runtime-context"): OpDoc(
            "sandbox clocks and the effective clock",
            "admin",
            ADMIN,
            replies={
                200: Reply("contexts", obj({"contexts": {"type": "array", "items": CONTEXT}, "clock": CLOCK}))
            },
        ),
        ("PUT", "/admin/runtime-context"): OpDoc(
            "set a sandbox clock",
            "admin",
            ADMIN,
            body=routes.ContextRequest,
            replies={200: Reply("the stored context", CONTEXT)},
        ),
        ("DELETE", "/admin/runtime-context"): OpDoc(
            "clear a sandbox clock",
            "admin",
            ADMIN,
            query=routes.ContextDelete,
            replies={204: Reply("cleared")},
        ),
        ("POST", "/admin/cache/purge"): OpDoc(
            "delete cached answers of one app and/or one site",
            "admin",
            ADMIN,
            body=routes.PurgeRequest,
            replies={200: Reply("count deleted", obj({"deleted": INT}))},
        ),
        ("GET", "/admin/triggers/{job}/runs"): OpDoc(
            "a job's newest runs",
            "admin",
            ADMIN,
            path_params=job,
            query=views.LimitQuery,
            replies={200: Reply("runs", obj({"job": STR, "runs": ANY_LIST}))},
        ),
        ("GET", "/admin/cron/preview"): OpDoc(
            "validate a cron and show its next fire times",
            "admin",
            ADMIN,
            query=views.CronQuery,
            replies={
                200: Reply(
                    "the preview",
                    obj({"cron": STR, "tz": STR, "next_fire_times": {"type": "array", "items": STR}}),
                )
            },
        ),
        ("GET", "/admin/queue"): OpDoc(
            "manual runs waiting for the prewarm function",
            "admin",
            ADMIN,
            replies={200: Reply("the queue", obj({"queued": ANY_LIST}))},
        ),
        ("GET", "/admin/runtime-context/audit"): OpDoc(
            "who set or cleared which sandbox clock",
            "admin",
            ADMIN,
            query=views.LimitQuery,
            replies={200: Reply("audit records", obj({"audit": ANY_LIST}))},
        ),
        ("GET", "/admin/apps/schemas"): OpDoc(
            "each single-turn app's input JSON Schema",
            "admin",
            ADMIN,
            replies={200: Reply("schemas", obj({"apps": ANY_LIST}))},
        ),
        ("GET", "/admin/apps"): OpDoc(
            "every catalogue app's key, Chinese title and mode (the console's names and filters)",
            "admin",
            ADMIN,
            replies={200: Reply("apps", obj({"apps": ANY_LIST}))},
        ),
        ("POST", "/admin/triggers"): OpDoc(
            "create a job of a known kind (payload validated against the kind's model; audited)",
            "admin",
            ADMIN,
            body=jobs_admin.JobCreate,
            replies={201: Reply("the job", TRIGGER)},
            errors=(409,),
        ),
        ("DELETE", "/admin/triggers/{job}"): OpDoc(
            "remove a job (its runs and audit stay; audited)",
            "admin",
            ADMIN,
            path_params=job,
            replies={204: Reply("removed")},
        ),
        ("GET", "/admin/jobs/kinds"): OpDoc(
            "each job kind's title, description and payload JSON Schema",
            "admin",
            ADMIN,
            replies={200: Reply("kinds", obj({"kinds": ANY_LIST}))},
        ),
        ("GET", "/admin/jobs/audit"): OpDoc(
            "who created, changed or removed which job, newest first",
            "admin",
            ADMIN,
            query=views.LimitQuery,
            replies={200: Reply("audit records", obj({"audit": ANY_LIST}))},
        ),
        ("GET", "/admin/openapi.json"): openapi_doc("admin"),
    }


def operations(routes: list[tuple[str, str]]) -> list[Operation]:
    """The documented operations of this function's live route table."""
    return client_operations(
        routes,
        admin_docs(),
        prefixes=("/admin/",),
        excluded=("/admin/ui",),
    )


def document(routes: list[tuple[str, str]]) -> dict[str, Any]:
    return function_document("bailian-fc admin", operations(routes))
