"""The OpenAPI 3.1 documents, rendered from the functions' :class:`~.route.Route` tables.

Parameters are the JSON Schema of each route's query model, request bodies its body model,
responses its reply model (``models_json_schema``, so two models with one name never collide)
and every error the one error body of :mod:`bailian_fc.http.errors`; every route but the
documents themselves needs a bearer JWT. Nothing here is written by hand per route.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .route import Reply, Route

OPENAPI_VERSION = "3.1.0"
REF = "#/components/schemas/{model}"
SECURITY_SCHEME = "bearerJWT"

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
    415: "the body is not declared as application/json",
    422: "the model's answer never fit its schema",
    429: "a per-user limit is reached (the error code says which; Retry-After when waiting helps)",
    502: "Bailian failed",
    503: "storage, Bailian or configuration unavailable; retry later",
}
ERRORS_ALWAYS = (400, 401, 403, 404, 413, 503)


Mode = Literal["validation", "serialization"]


def operations(routes: Iterable[Route]) -> list[Route]:
    """The documented routes of a table, each ``variants`` route expanded into its operations."""
    ops: list[Route] = []
    for route in routes:
        if not route.documented:
            continue
        ops += list(route.variants()) if route.variants is not None else [route]
    return ops


def function_document(title: str, routes: Iterable[Route], *, tag: str, version: str = "1") -> dict[str, Any]:
    """The OpenAPI 3.1 document of one function's route table (``tag``: its operations' tag)."""
    return render(title, [(tag, route) for route in operations(routes)], version)


def render(title: str, ops: list[tuple[str, Route]], version: str = "1") -> dict[str, Any]:
    """A document from (tag, route) pairs: several functions' tables make the combined one."""
    models = _models(route for _, route in ops)
    refs, top = models_json_schema(models, ref_template=REF) if models else ({}, {})
    schemas: dict[str, Any] = dict(sorted(top.get("$defs", {}).items()))
    schemas["ErrorBody"] = ERROR_BODY
    paths: dict[str, dict[str, Any]] = {}
    for tag, route in sorted(ops, key=lambda op: (op[1].path, op[1].method)):
        method = route.method.lower()
        paths.setdefault(route.path, {})[method] = _operation(tag, route, refs)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {SECURITY_SCHEME: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{SECURITY_SCHEME: []}],
    }


def _models(routes: Iterable[Route]) -> list[tuple[type[BaseModel], Mode]]:
    found: dict[tuple[type[BaseModel], Mode], None] = {}
    for route in routes:
        if route.body is not None:
            found[(route.body, "validation")] = None
        if route.reply is not None and route.reply.model is not None:
            found[(route.reply.model, "serialization")] = None
    return list(found)


def _operation(tag: str, route: Route, refs: dict[Any, Any]) -> dict[str, Any]:
    method = route.method.lower()
    op: dict[str, Any] = {
        "operationId": route.operation_id or _operation_id(method, route.path),
        "summary": route.summary,
        "tags": [route.tag or tag],
    }
    if route.description:
        op["description"] = route.description
    if route.roles is None:
        op["security"] = []
    else:
        op["x-roles"] = list(route.roles)
    params = [
        _path_param(name, dict(route.path_params.get(name, {"type": "string"})))
        for name in re.findall(r"\{([^}]+)\}", route.path)
    ]
    if route.query is not None:
        params += _query_params(route.query)
    if params:
        op["parameters"] = params
    if route.body is not None:
        op["requestBody"] = {
            "required": not route.body_optional,
            "content": {"application/json": {"schema": refs[(route.body, "validation")]}},
        }
    assert route.reply is not None  # a documented route has one (Route refuses to build otherwise)
    responses: dict[str, Any] = {str(route.reply.status): _reply(route.reply, refs)}
    statuses = set(ERRORS_ALWAYS) | set(route.errors)
    if route.json_only:
        statuses.add(415)
    if route.roles is None:
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
    if reply.schema is not None:
        out["content"] = {reply.media_type: {"schema": reply.schema()}}
    elif reply.model is not None:
        out["content"] = {reply.media_type: {"schema": refs[(reply.model, "serialization")]}}
    return out


def _error_reply(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model="ErrorBody")}}},
    }
