"""What each route of each function is, for its OpenAPI operation.

The *paths* come from each function's live route table (the FC router of apps and admin, the
Starlette routes of chat), so a route added later is documented at least generically; the
table below adds its models and replies. ``POST /apps/{key}`` becomes one operation per
single-turn app, each with that app's own input and output models.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..http.openapi import OpDoc, Reply, function_document, generic_doc

ALL = ("staff", "manager", "admin", "service")
ADMIN = ("admin",)
ID_SCHEMA = {"type": "string", "pattern": "^c[0-9a-f]{22}$"}
JOB_SCHEMA = {"type": "string", "pattern": "^[a-z][a-z0-9_-]{0,62}$"}
# Only the routes that clients call through the custom domain are documented; FC's own hooks are not,
# nor the console's HTML and static files under /admin/ui (a browser UI, not an API).
PREFIXES = {"chat": ("/chat/",), "apps": ("/apps", "/clock"), "admin": ("/admin/",)}
EXCLUDED = ("/admin/ui",)


def obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    """An object with these properties (the ``required`` ones always present); more may appear."""
    return {"type": "object", "required": sorted(required), "properties": {**required, **(optional or {})}}


STR, INT, NUM, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
NSTR = {"type": ["string", "null"]}
ANY_OBJ: dict[str, Any] = {"type": "object"}
ANY_LIST: dict[str, Any] = {"type": "array"}

SSE_EVENT = obj({"event": {"enum": ["meta", "delta", "done", "error"]}, "data": {"type": "string"}})
CONVERSATION = obj({"conversation_id": STR, "title": STR, "created_at": NUM, "updated_at": NUM})
CLOCK = obj(
    {
        "now": STR,
        "business_date": STR,
        "tz": STR,
        "day_start": STR,
        "sandbox": BOOL,
        "scope": NSTR,
        "expires_at": NSTR,
        "mode": NSTR,
    }
)
TRIGGER = obj(
    {
        "name": STR,
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
    }
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


class Usage(BaseModel):
    input_tokens: int
    output_tokens: int


def app_answer(key: str, output: type[BaseModel]) -> type[BaseModel]:
    """The answer model of one app: its own output model as ``result``."""
    from typing import Literal, Optional

    from pydantic import create_model

    fields: dict[str, Any] = {
        "app": (Literal[key], ...),
        "result": (output, ...),
        "cached": (bool, ...),
        "stale": (bool, ...),
        "generated_at": (str, ...),
        "prompt_version": (str, ...),
        "usage": (Usage, ...),
        "meta": (Optional[dict[str, Any]], None),  # noqa: UP045 - create_model wants a runtime type
    }
    name = "".join(part.capitalize() for part in key.split("_")) + "Answer"
    return create_model(name, **fields)


def openapi_doc(function: str) -> OpDoc:
    return OpDoc(
        "this function's OpenAPI 3.1 document",
        "openapi",
        roles=None,
        replies={200: Reply("the document", ANY_OBJ)},
        operation_id=f"{function}_openapi",
    )


def chat_docs() -> dict[tuple[str, str], OpDoc]:
    from ..catalogue.chat import ChatRequest

    conv = {"conversation_id": ID_SCHEMA}
    return {
        ("POST", "/chat/messages"): OpDoc(
            "one chat turn, streamed as server-sent events (meta, delta…, done | error)",
            "chat",
            body=ChatRequest,
            replies={
                200: Reply(
                    "the SSE stream; each event's data is a JSON object", SSE_EVENT, "text/event-stream"
                )
            },
        ),
        ("GET", "/chat/conversations"): OpDoc(
            "the caller's conversations, most recent first",
            "chat",
            query=_limit_query(),
            replies={
                200: Reply("conversations", obj({"conversations": {"type": "array", "items": CONVERSATION}}))
            },
        ),
        ("GET", "/chat/conversations/{conversation_id}"): OpDoc(
            "one conversation with its turns",
            "chat",
            path_params=conv,
            replies={
                200: Reply(
                    "the conversation",
                    {
                        **CONVERSATION,
                        "required": [*CONVERSATION["required"], "turns"],
                        "properties": {**CONVERSATION["properties"], "turns": ANY_LIST},
                    },
                )
            },
        ),
        ("DELETE", "/chat/conversations/{conversation_id}"): OpDoc(
            "delete a conversation (a turn still streaming does not bring it back)",
            "chat",
            path_params=conv,
            replies={204: Reply("deleted")},
        ),
        ("GET", "/chat/openapi.json"): openapi_doc("chat"),
    }


def _limit_query() -> type[BaseModel]:
    from pydantic import Field

    class ConversationListQuery(BaseModel):
        limit: int = Field(default=20, ge=1, le=100)

    return ConversationListQuery


def apps_docs() -> dict[tuple[str, str], OpDoc]:
    return {
        ("GET", "/apps"): OpDoc(
            "the app catalogue",
            "apps",
            replies={
                200: Reply(
                    "catalogue",
                    obj(
                        {
                            "apps": {
                                "type": "array",
                                "items": obj(
                                    {
                                        "key": STR,
                                        "title": STR,
                                        "mode": STR,
                                        "prompt_version": STR,
                                        "roles": ANY_LIST,
                                        "configured": BOOL,
                                    }
                                ),
                            }
                        }
                    ),
                )
            },
        ),
        ("GET", "/clock"): OpDoc(
            "effective now, business date and sandbox state for the caller's site",
            "apps",
            replies={200: Reply("the clock", CLOCK)},
        ),
        ("GET", "/apps/openapi.json"): openapi_doc("apps"),
    }


def app_ops() -> list[tuple[str, str, OpDoc]]:
    """``POST /apps/{key}`` as one operation per single-turn app, with its own models."""
    from pydantic import Field

    from ..catalogue.registry import CATALOGUE

    class RefreshQuery(BaseModel):
        refresh: bool = Field(default=False, description="bypass the cache (manager and admin only)")

    ops = []
    for spec in CATALOGUE.values():
        if spec.mode != "single" or spec.output_model is None:
            continue
        ops.append(
            (
                "POST",
                f"/apps/{spec.key}",
                OpDoc(
                    f"{spec.title} ({spec.key}); cached per site and prompt version",
                    "apps",
                    roles=spec.roles,
                    body=spec.input_model,
                    query=RefreshQuery,
                    errors=(422, 502),
                    replies={200: Reply("the answer", app_answer(spec.key, spec.output_model))},
                    operation_id=f"post_{spec.key}",
                ),
            )
        )
    return ops


def admin_docs() -> dict[tuple[str, str], OpDoc]:
    from ..admin import routes, views
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
            "calls, errors, latency and tokens per day and app",
            "admin",
            ADMIN,
            query=DashboardQuery,
            replies={
                200: Reply(
                    "the dashboard",
                    obj(
                        {
                            "days": INT,
                            "from": STR,
                            "to": STR,
                            "by_day": ANY_LIST,
                            "by_app": ANY_OBJ,
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
            "queue a run of the job now",
            "admin",
            ADMIN,
            body=routes.RunRequest,
            body_required=False,
            path_params=job,
            replies={
                202: Reply(
                    "queued",
                    obj(
                        {
                            "queue_id": STR,
                            "job": STR,
                            "site_id": NSTR,
                            "force": BOOL,
                            "queued_by": STR,
                            "queued_at": STR,
                        }
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
        ("GET", "/admin/openapi.json"): openapi_doc("admin"),
    }


def operations(function: str, routes: list[tuple[str, str]]) -> list[tuple[str, str, OpDoc]]:
    """The operations of ``function`` for its live route table ``[(method, path), ...]``."""
    docs = {"chat": chat_docs, "apps": apps_docs, "admin": admin_docs}[function]()
    ops = []
    for method, path in routes:
        if not path.startswith(PREFIXES[function]) or path.startswith(EXCLUDED) or method == "HEAD":
            continue
        if (method, path) == ("POST", "/apps/{key}"):
            ops += app_ops()
            continue
        ops.append((method, path, docs.get((method, path)) or generic_doc(method, path)))
    return ops


def document(function: str, routes: list[tuple[str, str]]) -> dict[str, Any]:
    return function_document(f"bailian-fc {function}", operations(function, routes))


def route_tables() -> dict[str, list[tuple[str, str]]]:
    """Each HTTP function's route table, built without settings, a store or a token."""
    from ..admin.function import AdminRuntime
    from ..apps.function import AppsRuntime
    from ..chat.app import chat_routes

    return {
        "chat": chat_routes(),
        "apps": [(r.method, r.pattern) for r in AppsRuntime.__new__(AppsRuntime).router().routes],
        "admin": [(r.method, r.pattern) for r in AdminRuntime.__new__(AdminRuntime).router().routes],
    }


def combined_document() -> dict[str, Any]:
    """Every function's operations in one document (``types/openapi.json``)."""
    ops = [op for function, routes in route_tables().items() for op in operations(function, routes)]
    return function_document("bailian-fc", ops)
