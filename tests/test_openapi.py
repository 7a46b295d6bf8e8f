"""The OpenAPI 3.1 documents: valid, generated from the routes' own models, served by each function."""

from __future__ import annotations

import httpx
from openapi_spec_validator import validate
from support import running_dev

from bailian_fc.admin import openapi as admin_openapi
from bailian_fc.admin.function import route_table as admin_routes
from bailian_fc.admin.routes import ContextRequest
from bailian_fc.apps import openapi as apps_openapi
from bailian_fc.apps.function import route_table as apps_routes
from bailian_fc.catalogue.chat import ChatRequest
from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc.chat import openapi as chat_openapi
from bailian_fc.chat.app import chat_routes
from bailian_fc.http.openapi import OpDoc, UndocumentedRoute, client_operations
from bailian_fc_tools.export.types import openapi as combined_document

DOC = combined_document()
MODULES = {"chat": chat_openapi, "apps": apps_openapi, "admin": admin_openapi}
ROUTES = {"chat": chat_routes(), "apps": apps_routes(), "admin": admin_routes()}
PREFIXES = {"chat": ("/chat/",), "apps": ("/apps", "/clock"), "admin": ("/admin/",)}


def resolve(doc: dict, schema: dict) -> dict:
    ref = schema.get("$ref", "")
    return doc["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def body_schema(doc: dict, method: str, path: str) -> dict:
    return resolve(doc, doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"])


def test_the_combined_document_is_valid_openapi_3_1():
    assert DOC["openapi"].startswith("3.1")
    validate(DOC)
    assert DOC["components"]["securitySchemes"]["bearerJWT"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    error = DOC["components"]["schemas"]["ErrorBody"]
    assert error["properties"]["error"]["required"] == ["code", "message", "request_id"]


def test_every_client_route_of_every_function_is_an_operation():
    """Read from the live route tables, not from the docs: a route with no OpDoc would raise instead."""
    client_routes = {
        (method, path)
        for function, routes in ROUTES.items()
        for method, path in routes
        if path.startswith(PREFIXES[function]) and not path.startswith("/admin/ui")
    }
    assert ("POST", "/chat/messages") in client_routes and ("GET", "/admin/runlogs") in client_routes
    for method, path in client_routes:
        if path == "/apps/{key}":  # one operation per single-turn app
            for key, spec in CATALOGUE.items():
                assert (spec.mode != "single") or "post" in DOC["paths"][f"/apps/{key}"], key
            continue
        assert method.lower() in DOC["paths"][path], (method, path)


def test_a_client_route_without_a_doc_is_refused():
    docs = {("GET", "/apps"): OpDoc("the catalogue", "apps")}
    routes = [("GET", "/apps"), ("GET", "/apps/new-thing"), ("POST", "/initialize")]
    try:
        client_operations(routes, docs, prefixes=("/apps",))
    except UndocumentedRoute as exc:
        assert "GET /apps/new-thing" in str(exc)
    else:
        raise AssertionError("an undocumented client route was accepted")
    # FC's own hooks and excluded paths need no doc.
    assert [op[:2] for op in client_operations(routes[:1] + routes[2:], docs, prefixes=("/apps",))] == [
        ("GET", "/apps")
    ]


def test_bodies_are_the_models_the_routes_validate_with():
    chat = body_schema(DOC, "post", "/chat/messages")
    assert chat["properties"].keys() == ChatRequest.model_json_schema()["properties"].keys()
    assert chat["properties"]["message"]["maxLength"] == 4000
    ctx = body_schema(DOC, "put", "/admin/runtime-context")
    assert set(ctx["required"]) == set(ContextRequest.model_json_schema()["required"])
    app6 = body_schema(DOC, "post", "/apps/app6_note_analysis")
    assert (
        app6["properties"].keys()
        == CATALOGUE["app6_note_analysis"].input_model.model_json_schema()["properties"].keys()
    )


def test_errors_and_security_are_documented_on_every_operation():
    for path, item in DOC["paths"].items():
        for method, op in item.items():
            public = path.endswith("/openapi.json")
            assert (op.get("security") == []) is public, (method, path)
            for status in ("400", "404", "default", *(() if public else ("401", "403"))):
                schema = op["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)


def test_each_function_serves_its_own_part_under_its_prefix(tmp_path):
    with running_dev(tmp_path / "store") as (base, _, _):
        served = {f: httpx.get(f"{base}/{f}/openapi.json", timeout=30) for f in ("chat", "apps", "admin")}
    paths: set[str] = set()
    for function, response in served.items():
        assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
        doc = response.json()
        validate(doc)
        assert doc == MODULES[function].document(ROUTES[function])
        assert all(p.startswith(PREFIXES[function]) for p in doc["paths"]), function
        paths |= set(doc["paths"])
    assert paths == set(DOC["paths"])
