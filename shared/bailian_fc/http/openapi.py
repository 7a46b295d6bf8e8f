"""Build an OpenAPI 3.1 document from (method, path, :class:`OpDoc`) triples.

Request bodies and query parameters are the JSON Schema of the very pydantic models the
routes validate with (``models_json_schema``, so two models with one name never collide);
every error is the one error body of :mod:`bailian_fc.http.errors`; every route but the
documents themselves needs a bearer JWT.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

OPENAPI_VERSION = "3.1.0"
REF = "#/components/schemas/{model}"
SECURITY_SCHEME = "bearerJWT"
Mode = Literal["validation", "serialization"]

ERROR_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "request_id"],
            "properties": {
                "code": {"type": "string", "minLength": 1},
                "message": {"type": "string"},
                "request_id": {"type": ["string", "null"]},
                "details": {"type": "array", "items": {"type": "object"}},
            },
        }
    },
}
ERROR_TEXT = {
    400: "invalid request (details name the fields)",
    401: "no valid bearer token",
    403: "the token's role or site may not do this",
    404: "no such resource",
    405: "method not allowed",
    413: "body too large",
    422: "the model's answer never fit its schema",
    429: "a per-user limit is reached (the error code says which; Retry-After when waiting helps)",
    502: "Bailian failed",
    503: "storage, Bailian or configuration unavailable; retry later",
}
ERRORS_ALWAYS = (400, 401, 403, 404, 413, 503)


@dataclass(frozen=True)
class Reply:
    """One documented success response: a JSON Schema dict, a pydantic model, or no body."""

    description: str
    schema: dict[str, Any] | type[BaseModel] | None = None
    media_type: str = "application/json"


@dataclass(frozen=True)
class OpDoc:
    summary: str
    tag: str
    roles: tuple[str, ...] | None = ("staff", "manager", "admin", "service")  # None: no token needed
    body: type[BaseModel] | None = None
    body_required: bool = True
    query: type[BaseModel] | None = None
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    replies: dict[int, Reply] = field(default_factory=lambda: {200: Reply("OK", {"type": "object"})})
    errors: tuple[int, ...] = ()
    operation_id: str | None = None


class OpenApiBuilder:
    def __init__(self, title: str, version: str = "1") -> None:
        self.title = title
        self.version = version
        self.ops: list[tuple[str, str, OpDoc]] = []

    def add(self, method: str, path: str, doc: OpDoc) -> None:
        self.ops.append((method.lower(), path, doc))

    def extend(self, ops: Iterable[tuple[str, str, OpDoc]]) -> None:
        for method, path, doc in ops:
            self.add(method, path, doc)

    # -- rendering ------------------------------------------------------------------------------

    def _models(self) -> list[tuple[type[BaseModel], Mode]]:
        found: dict[tuple[type[BaseModel], Mode], None] = {}
        for _, _, doc in self.ops:
            if doc.body is not None:
                found[(doc.body, "validation")] = None
            for reply in doc.replies.values():
                if isinstance(reply.schema, type):
                    found[(reply.schema, "serialization")] = None
        return list(found)

    def render(self) -> dict[str, Any]:
        models = self._models()
        refs, top = models_json_schema(models, ref_template=REF) if models else ({}, {})
        schemas: dict[str, Any] = dict(sorted(top.get("$defs", {}).items()))
        schemas["ErrorBody"] = ERROR_BODY
        paths: dict[str, dict[str, Any]] = {}
        for method, path, doc in sorted(self.ops, key=lambda op: (op[1], op[0])):
            paths.setdefault(path, {})[method] = self._operation(method, path, doc, refs)
        return {
            "openapi": OPENAPI_VERSION,
            "info": {"title": self.title, "version": self.version},
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    SECURITY_SCHEME: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                },
            },
            "security": [{SECURITY_SCHEME: []}],
        }

    def _operation(self, method: str, path: str, doc: OpDoc, refs: dict[Any, Any]) -> dict[str, Any]:
        op: dict[str, Any] = {
            "operationId": doc.operation_id or _operation_id(method, path),
            "summary": doc.summary,
            "tags": [doc.tag],
        }
        if doc.roles is None:
            op["security"] = []
        else:
            op["x-roles"] = list(doc.roles)
        params = [
            _path_param(name, doc.path_params.get(name, {"type": "string"}))
            for name in re.findall(r"\{([^}]+)\}", path)
        ]
        if doc.query is not None:
            params += _query_params(doc.query)
        if params:
            op["parameters"] = params
        if doc.body is not None:
            op["requestBody"] = {
                "required": doc.body_required,
                "content": {"application/json": {"schema": refs[(doc.body, "validation")]}},
            }
        responses: dict[str, Any] = {}
        for status, reply in sorted(doc.replies.items()):
            responses[str(status)] = _reply(reply, refs)
        statuses = set(ERRORS_ALWAYS) | set(doc.errors)
        if doc.roles is None:
            statuses -= {401, 403}
        for status in sorted(statuses):
            responses[str(status)] = _error_reply(ERROR_TEXT.get(status, "error"))
        responses["default"] = _error_reply("any other error, in the same shape")
        op["responses"] = responses
        return op


def _operation_id(method: str, path: str) -> str:
    words = re.sub(r"[{}]", "", path).replace("-", "_").replace(".", "_").strip("/").split("/")
    return "_".join([method, *words])


def _path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query_params(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = _without_null(copy.deepcopy(prop))
        prop.pop("title", None)
        params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    return params


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query value is a string or absent, never JSON null: drop the null branch pydantic adds."""
    options = schema.get("anyOf")
    if isinstance(options, list):
        rest = [s for s in options if s.get("type") != "null"]
        if len(rest) == 1:
            merged = {**{k: v for k, v in schema.items() if k != "anyOf"}, **rest[0]}
            if merged.get("default") is None:
                merged.pop("default", None)
            return merged
        schema["anyOf"] = rest
    return schema


def _reply(reply: Reply, refs: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"description": reply.description}
    if reply.schema is None:
        return out
    schema = refs[(reply.schema, "serialization")] if isinstance(reply.schema, type) else reply.schema
    out["content"] = {reply.media_type: {"schema": schema}}
    return out


def _error_reply(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model="ErrorBody")}}},
    }


def function_document(title: str, ops: Iterable[tuple[str, str, OpDoc]]) -> dict[str, Any]:
    builder = OpenApiBuilder(title)
    builder.extend(ops)
    return builder.render()


# -- schema helpers the function rooms describe their replies with ------------------------------

ALL_ROLES = ("staff", "manager", "admin", "service")
ADMIN = ("admin",)
ID_SCHEMA = {"type": "string", "pattern": "^c[0-9a-f]{22}$"}
STR, INT, NUM, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
NSTR = {"type": ["string", "null"]}
ANY_OBJ: dict[str, Any] = {"type": "object"}
ANY_LIST: dict[str, Any] = {"type": "array"}
CLOCK: dict[str, Any]  # set below, once obj() exists


def obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    """An object with these properties (the ``required`` ones always present); more may appear."""
    return {"type": "object", "required": sorted(required), "properties": {**required, **(optional or {})}}


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


def openapi_doc(function: str) -> OpDoc:
    """The document route itself: public, since the contract is no secret."""
    return OpDoc(
        "this function's OpenAPI 3.1 document",
        "openapi",
        roles=None,
        replies={200: Reply("the document", ANY_OBJ)},
        operation_id=f"{function}_openapi",
    )


# -- from a live route table to operations ------------------------------------------------------

Operation = tuple[str, str, OpDoc]


class UndocumentedRoute(LookupError):
    """A client route has no :class:`OpDoc`: document it next to the route (a test builds every document)."""


def client_operations(
    routes: Iterable[tuple[str, str]],
    docs: Mapping[tuple[str, str], OpDoc],
    *,
    prefixes: tuple[str, ...],
    excluded: tuple[str, ...] = (),
    expand: Mapping[tuple[str, str], Callable[[], list[Operation]]] | None = None,
) -> list[Operation]:
    """The documented operations of a function's live route table.

    Only the routes clients call through the custom domain count (``prefixes``); FC's own hooks and
    ``excluded`` paths (the console's static files) do not. ``expand`` turns one route into several
    operations (``POST /apps/{key}``: one per app). A client route without a doc raises.
    """
    ops: list[Operation] = []
    for method, path in routes:
        if method == "HEAD" or not path.startswith(prefixes) or path.startswith(excluded):
            continue
        if expand and (method, path) in expand:
            ops += expand[(method, path)]()
        elif (method, path) in docs:
            ops.append((method, path, docs[(method, path)]))
        else:
            raise UndocumentedRoute(f"{method} {path} has no OpDoc")
    return ops
