"""The OpenAPI 3.1 documents: rendered from the functions' Route tables, valid, served by each function;
and the one 400 both adapters answer when a route's query or body model refuses a request."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from support import running_dev

from bailian_fc.admin import function as admin_function
from bailian_fc.admin.routes import ContextRequest
from bailian_fc.apps import function as apps_function
from bailian_fc.catalogue.chat import ChatRequest
from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc.chat import function as chat_function
from bailian_fc.http.asgi import starlette_routes
from bailian_fc.http.fc_event import http_handler
from bailian_fc.http.openapi import operations
from bailian_fc.http.route import Reply, Route, UndocumentedRoute
from bailian_fc.http.router import Router
from bailian_fc_tools.export.types import openapi as combined_document
from bailian_fc_tools.local.fc_context import fake_context

DOC = combined_document()
MODULES = {"chat": chat_function, "apps": apps_function, "admin": admin_function}
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


def test_every_operation_of_the_documents_comes_from_a_route_and_back():
    """Both ways: each documented route (variants expanded) is an operation, and nothing else is."""
    for function, module in MODULES.items():
        from_routes = {(r.method.lower(), r.path) for r in operations(module.ROUTES)}
        doc = module.document()
        in_doc = {(method, path) for path, item in doc["paths"].items() for method in item}
        assert in_doc == from_routes, function
        assert all(path.startswith(PREFIXES[function]) for _, path in in_doc), function
    assert ("post", "/chat/messages") in {(m, p) for p, i in DOC["paths"].items() for m in i}
    for key, spec in CATALOGUE.items():  # POST /apps/{key}: one operation per single-turn app
        assert (spec.mode != "single") == (f"/apps/{key}" not in DOC["paths"]), key
    # FC's runtime hooks and the console's files are routes, but not the client API.
    hidden = [r.path for m in MODULES.values() for r in m.ROUTES if not r.documented]
    assert hidden == ["/initialize", "/pre-stop", "/invoke"]
    assert not any(p.startswith("/admin/ui") for p in DOC["paths"])


def test_a_route_without_a_summary_or_a_reply_refuses_to_build():
    for doc in ({"summary": "x"}, {"reply": Reply(None)}, {"summary": " ", "reply": Reply(None)}):
        with pytest.raises(UndocumentedRoute, match="GET /apps/new-thing"):
            Route("GET", "/apps/new-thing", lambda request: None, **doc)
    # What is not the client API says so, and needs neither.
    assert not Route("POST", "/initialize", lambda request: None, roles=None, documented=False).documented


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
        assert doc == MODULES[function].document()
        assert all(p.startswith(PREFIXES[function]) for p in doc["paths"]), function
        paths |= set(doc["paths"])
    assert paths == set(DOC["paths"])


# -- the one 400, on both adapters -----------------------------------------------------------------


class ProbeQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=100)
    flag: bool = False


class ProbeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int
    at: AwareDatetime | None = None


PROBES = [
    Route(
        "GET",
        "/probe",
        lambda r: {"limit": r.query.limit, "flag": r.query.flag},
        roles=None,
        query=ProbeQuery,
        documented=False,
    ),
    Route("POST", "/probe", lambda r: {"count": r.body.count}, roles=None, body=ProbeBody, documented=False),
]
REFUSED = [
    ("GET", "limit=abc", None, "limit"),
    ("GET", "limit=%C2%B2", None, "limit"),  # a digit to str.isdigit(), not to the one rule
    ("GET", "limit=20.0", None, "limit"),
    ("GET", "limit=true", None, "limit"),
    ("GET", "limit=0", None, "limit"),
    ("GET", "flag=yes", None, "flag"),
    ("POST", "", {"count": "1"}, "count"),  # string → number
    ("POST", "", {"count": True}, "count"),  # bool → number
    ("POST", "", {"count": 1.5}, "count"),
    ("POST", "", {"count": 1, "at": 1700000000}, "at"),  # number → date-time
    ("POST", "", {"count": 1, "extra": 1}, "extra"),
    ("POST", "", {}, "count"),
]


def fc_call(
    method: str, query: str, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    from urllib.parse import parse_qsl

    event = {
        "version": "v1",
        "rawPath": "/probe",
        "headers": {"content-type": "application/json"},
        "queryParameters": dict(parse_qsl(query)),
        "body": "" if body is None else json.dumps(body),
        "isBase64Encoded": False,
        "requestContext": {"requestId": "r-1", "http": {"method": method, "path": "/probe"}},
    }
    out = http_handler(Router(PROBES), max_body_bytes=4096)(json.dumps(event).encode(), fake_context())
    text = base64.b64decode(out["body"]).decode() if out["isBase64Encoded"] else out["body"]
    if headers is not None:
        headers.update(out["headers"])
    return out["statusCode"], json.loads(text)


async def asgi_call(
    method: str, query: str, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    app = Starlette(routes=starlette_routes(PROBES, None, 4096))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.request(method, f"/probe?{query}", json=body)
    if headers is not None:
        headers.update(response.headers)
    return response.status_code, response.json()


def assert_refused(status: int, body: dict[str, Any], field: str) -> None:
    assert status == 400, body
    error = body["error"]
    assert error["code"] == "ValidationError" and error["request_id"]
    assert [d["field"] for d in error["details"]] == [field], error


@pytest.mark.parametrize(("method", "query", "body", "field"), REFUSED)
async def test_a_request_its_model_refuses_gets_the_one_400_on_both_adapters(method, query, body, field):
    fc_status, fc_body = fc_call(method, query, body)
    asgi_status, asgi_body = await asgi_call(method, query, body)
    assert_refused(fc_status, fc_body, field)
    assert_refused(asgi_status, asgi_body, field)
    for answer in (fc_body, asgi_body):
        answer["error"].pop("request_id")
    assert fc_body == asgi_body


async def test_what_the_models_accept_is_parsed_into_their_types_on_both_adapters():
    for method, query, body, expected in [
        ("GET", "limit=7&flag=true", None, {"limit": 7, "flag": True}),
        ("GET", "limit=&flag=false", None, {"limit": 20, "flag": False}),  # empty: not given
        ("GET", "flag=1", None, {"limit": 20, "flag": True}),
        ("POST", "", {"count": 3, "at": "2026-03-01T08:00:00+08:00"}, {"count": 3}),
    ]:
        assert fc_call(method, query, body) == (200, expected)
        assert await asgi_call(method, query, body) == (200, expected)


async def test_json_answers_are_never_cached_or_sniffed_on_both_adapters():
    for query in ("limit=7", "limit=abc"):  # an answer and an error
        fc_headers: dict[str, str] = {}
        asgi_headers: dict[str, str] = {}
        fc_call("GET", query, None, fc_headers)
        await asgi_call("GET", query, None, asgi_headers)
        for headers in (fc_headers, asgi_headers):
            assert headers["cache-control"] == "no-store" and headers["x-content-type-options"] == "nosniff"


def test_the_real_functions_refuse_through_their_models():
    """Chat's limit is its query model's (no regex of its own); admin's bodies are strict."""
    chat = {r.path: r for r in chat_function.ROUTES if r.method == "GET"}
    assert chat["/chat/conversations"].query is not None
    assert chat["/chat/conversations/{conversation_id}"].query is not None
    put = next(r for r in admin_function.ROUTES if (r.method, r.path) == ("PUT", "/admin/runtime-context"))
    assert put.body is ContextRequest
