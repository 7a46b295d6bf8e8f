"""The FC3 HTTP-event adapter: decoding FC's event bytes, encoding responses, routing, the error contract,
fuzzed events that must never crash the handler, and the ASGI bridge used by ``bailian-fc dev``."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from bailian_fc.bailian import errors
from bailian_fc.http.errors import ApiError
from bailian_fc.http.fc_event import HttpRequest, Response, decode_event, encode_response, http_handler
from bailian_fc.http.route import Request, Route
from bailian_fc.http.router import Router
from bailian_fc.store import StoreError, StoreUnavailable
from bailian_fc_tools.local.fc_context import asgi_app, fake_context

# The sample event of the FC3 docs (reference §2.1), as the bytes FC passes.
SAMPLE = {
    "version": "v1",
    "rawPath": "/example",
    "body": "Hello FC!",
    "isBase64Encoded": False,
    "headers": {"header1": "value1", "header2": "value1,value2"},
    "queryParameters": {"parameter1": "value1", "parameter2": "value1,value2"},
    "requestContext": {
        "accountId": "123456789",
        "domainName": "abc.cn-hangzhou.fcapp.run",
        "domainPrefix": "abc",
        "http": {
            "method": "GET",
            "path": "/example",
            "protocol": "HTTP/1.1",
            "sourceIp": "11.11.11.1",
            "userAgent": "PostmanRuntime/7.32.3",
        },
        "requestId": "1-64f6cd87-abc",
        "time": "2023-09-05T06:41:11Z",
        "timeEpoch": "1693896071895",
    },
}


def event(
    method: str = "GET",
    path: str = "/example",
    *,
    raw_path: str | None = None,
    body: str = "",
    b64: bool = False,
    headers: dict[str, Any] | None = None,
    query: dict[str, Any] | None = None,
    with_path: bool = True,
) -> bytes:
    """An FC HTTP event as JSON bytes."""
    http: dict[str, Any] = {"method": method, "sourceIp": "127.0.0.1"}
    if with_path:
        http["path"] = path
    data = {
        "version": "v1",
        "rawPath": quote(path) if raw_path is None else raw_path,
        "body": body,
        "isBase64Encoded": b64,
        "headers": headers or {},
        "queryParameters": query or {},
        "requestContext": {"requestId": "req-1", "http": http},
    }
    return json.dumps(data, ensure_ascii=False).encode()


class Item(BaseModel):
    name: str
    count: int


def build_router() -> Router:
    router = Router()
    router.get("/echo/{name}", echo)
    router.post("/echo/{name}", echo)
    router.get("/apps", lambda r: {"apps": ["app2_finance"]})
    router.post("/apps/{key}", lambda r: Response(201, {"key": r.path_params["key"], "body": r.json()}))
    router.add(
        Route(
            "POST",
            "/items",
            lambda r: Response(200, r.body.model_dump()),
            body=Item,
            roles=None,
            documented=False,
        )
    )
    router.delete("/apps/{key}/runs/{run}", lambda r: Response(204))
    return router


def echo(request: Request) -> Response:
    return Response(
        200,
        {
            "method": request.method,
            "name": request.path_params["name"],
            "body_b64": base64.b64encode(request.raw_body).decode(),
            "query": request.raw_query,
            "headers": request.headers,
            "path": request.path,
        },
    )


HANDLER = http_handler(build_router(), max_body_bytes=1024)


def call(raw: Any, handler: Any = HANDLER) -> tuple[int, dict[str, str], Any]:
    """(status, headers, parsed JSON body) of one invocation."""
    out = handler(raw, fake_context(request_id="ctx-req"))
    assert set(out) == {"statusCode", "headers", "isBase64Encoded", "body"}
    body = out["body"]
    if out["isBase64Encoded"]:
        body = base64.b64decode(body)
    elif body and out["headers"].get("content-type") == "application/json":
        body = json.loads(body)
    return out["statusCode"], out["headers"], body


def assert_error(status: int, headers: dict[str, str], body: Any, code: str) -> dict[str, Any]:
    """The error object, after checking the contract: code, request id in body and header, no traceback."""
    error = body["error"]
    assert error["code"] == code and status >= 400
    assert error["request_id"] == headers["x-request-id"]
    assert "Traceback" not in json.dumps(body)
    return error


# -- decoding --------------------------------------------------------------------------------------


def test_sample_event_decodes():
    req = decode_event(json.dumps(SAMPLE).encode())
    assert (req.method, req.path, req.raw_path) == ("GET", "/example", "/example")
    assert req.body == b"Hello FC!"
    assert req.query == {"parameter1": "value1", "parameter2": "value1,value2"}
    assert req.header("HEADER2") == "value1,value2" and req.header("missing") is None
    assert req.request_id == "1-64f6cd87-abc" and req.source_ip == "11.11.11.1"
    assert decode_event(SAMPLE).path == "/example" and decode_event(json.dumps(SAMPLE)).body == b"Hello FC!"


def test_repeated_query_and_headers_stay_comma_joined_and_case_insensitive():
    req = decode_event(
        event(headers={"Content-Type": "application/json", "X-Tag": "a,b"}, query={"a": "1,2"})
    )
    assert req.query["a"] == "1,2" and req.header("x-tag") == "a,b"
    assert req.header("content-type") == "application/json" and "content-type" in req.headers
    assert HttpRequest("get", "/", headers={"A": "1", "a": "2"}).headers == {"a": "1,2"}


def test_url_encoded_raw_path_with_chinese():
    raw = "/echo/" + quote("门店 报表%")
    req = decode_event(event(path="unused", raw_path=raw, with_path=False))
    assert req.path == "/echo/门店 报表%" and req.raw_path == raw
    status, _, body = call(event(raw_path=raw, with_path=False))
    assert status == 200 and body["name"] == "门店 报表%"
    # Both present: the decoded requestContext.http.path wins.
    assert decode_event(event(path="/a b", raw_path="/a%20b")).path == "/a b"


def test_base64_body_and_request_id_fallbacks():
    blob = bytes(range(256))
    req = decode_event(event("post", body=base64.b64encode(blob).decode(), b64=True))
    assert req.body == blob and req.method == "POST"
    data = json.loads(event(headers={"X-Fc-Request-Id": "hdr-1"}))
    del data["requestContext"]["requestId"]
    assert decode_event(data).request_id == "hdr-1"
    del data["headers"]["X-Fc-Request-Id"]
    assert decode_event(data, default_request_id="ctx-1").request_id == "ctx-1"
    assert len(decode_event(data).request_id) == 32


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"\xff\xfe\x00",
        b"[1, 2]",
        b'"text"',
        b"null",
        42,
        None,
        json.dumps({"requestContext": {"http": {"path": "/"}}}).encode(),  # missing method
        json.dumps({"requestContext": {"http": {"method": "GE T", "path": "/"}}}),  # not a token
        json.dumps({"requestContext": {"http": {"method": "GET"}}}),  # no path at all
        json.dumps({"requestContext": []}),
        event(body="!!!", b64=True),
        event(body="中文", b64=True),
        event(headers={"x-n": 1}),
        event(query={"q": None}),
        json.dumps({**json.loads(event()), "isBase64Encoded": "yes"}),
        json.dumps({**json.loads(event()), "body": {"a": 1}}),
        event(raw_path="/%ff", with_path=False),
        event(path="relative"),
        '{"rawPath": "/\\ud800", "requestContext": {"http": {"method": "GET"}}}',  # lone surrogate
        b"[" * 100_000,
    ],
)
def test_malformed_events_are_bad_event(raw):
    with pytest.raises(ApiError) as info:
        decode_event(raw)
    assert (info.value.status, info.value.code) == (400, "BadEvent")
    status, headers, body = call(raw)
    assert status == 400 and assert_error(status, headers, body, "BadEvent")
    assert headers["x-request-id"] in ("req-1", "ctx-req")


# -- encoding ---------------------------------------------------------------------------------------


def test_response_encoding():
    out = encode_response(
        Response(
            200,
            {"msg": "你好"},
            {
                "X-Fc-Foo": "x",
                "Connection": "close",
                "Date": "d",
                "Server": "s",
                "Keep-Alive": "5",
                "Content-Length": "9",
                "Cache-Control": "no-store",
                "Bad": "a\r\nb",
            },
        ),
        "rid",
    )
    assert out == {
        "statusCode": 200,
        "isBase64Encoded": False,
        "body": '{"msg":"你好"}',
        "headers": {
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
            "content-type": "application/json",
            "x-request-id": "rid",
        },
    }
    raw = encode_response(Response(200, b"\x00\xff", {"Content-Type": "image/png"}), "rid")
    assert raw["isBase64Encoded"] and base64.b64decode(raw["body"]) == b"\x00\xff"
    assert raw["headers"]["content-type"] == "image/png"
    text = encode_response(Response(202, "ok"), "rid")
    assert text["body"] == "ok" and text["headers"]["content-type"].startswith("text/plain")
    empty = encode_response(Response(204), "rid")
    assert empty["body"] == "" and "content-type" not in empty["headers"]
    with pytest.raises(ValueError):
        encode_response(Response(99), "rid")


# -- routing and the error contract -----------------------------------------------------------------


def test_routes_and_path_params():
    status, headers, body = call(event("POST", "/apps/app2_finance", body='{"x": 1}'))
    assert status == 201 and body == {"key": "app2_finance", "body": {"x": 1}}
    assert headers["x-request-id"] == "req-1"
    assert call(event("DELETE", "/apps/a/runs/r1"))[0] == 204
    assert call(event("GET", "/apps"))[2] == {"apps": ["app2_finance"]}
    status, headers, body = call(event("HEAD", "/apps"))  # HEAD: the GET route, without the body
    assert status == 200 and body == "" and headers["content-type"] == "application/json"


@pytest.mark.parametrize("path", ["/nope", "/apps/", "/echo/", "/echo//x", "/echo/a/b", "/apps/a/runs/"])
def test_not_found(path):
    status, headers, body = call(event("GET", path))
    assert status == 404 and assert_error(status, headers, body, "NotFound")


def test_method_not_allowed_has_allow_header():
    status, headers, body = call(event("PUT", "/echo/x"))
    assert status == 405 and assert_error(status, headers, body, "MethodNotAllowed")
    assert headers["allow"] == "GET, HEAD, POST"


@pytest.mark.parametrize("pattern", ["apps", "/apps/{key", "/a/x{key}", "/a/{k}/{k}", "/apps"])
def test_router_rejects_bad_or_duplicate_patterns(pattern):
    with pytest.raises(ValueError):
        build_router().get(pattern, echo)


def raising(exc: Exception) -> Any:
    """An FC handler whose only route raises ``exc``."""

    def boom(request: HttpRequest) -> Response:
        raise exc

    router = Router()
    router.get("/boom", boom)
    return http_handler(router, max_body_bytes=1024)


@pytest.mark.parametrize(
    ("exc", "status", "code", "retryable"),
    [
        (ApiError(409, "Conflict", "already running"), 409, "Conflict", None),
        (ApiError(401, "Unauthorized", "no token"), 401, "Unauthorized", None),
        (ApiError(403, "Forbidden", "admins only"), 403, "Forbidden", None),
        (errors.AuthError("bad key"), 502, "AccessDenied", False),
        (errors.UpstreamError("boom", request_id="up-1"), 502, "UpstreamError", True),
        (errors.UpstreamTimeout("slow"), 504, "UpstreamTimeout", True),
        (errors.DeadlineExceeded("late"), 504, "DeadlineExceeded", False),
        (
            errors.RateLimited("slow down", code="Throttling.RateQuota", retry_after=2.2),
            429,
            "Throttling.RateQuota",
            True,
        ),
        (errors.ContentBlocked("blocked"), 422, "DataInspectionFailed", False),
        (errors.OutputInvalid("bad reply", raw_text="secret raw"), 422, "OutputInvalid", False),
        (StoreUnavailable("oss down"), 503, "StoreUnavailable", None),
        (StoreError("broken"), 503, "StoreUnavailable", None),
    ],
)
def test_error_mapping(exc, status, code, retryable):
    got, headers, body = call(event("GET", "/boom"), raising(exc))
    error = assert_error(got, headers, body, code)
    assert got == status
    if retryable is not None:
        assert error["details"][0]["retryable"] is retryable
    if isinstance(exc, errors.RateLimited):
        assert headers["retry-after"] == "3"
    if isinstance(exc, errors.UpstreamError) and exc.request_id:
        assert error["details"][0]["upstream_request_id"] == "up-1"
    assert "secret raw" not in json.dumps(body)


def test_validation_and_bad_json_are_400():
    status, headers, body = call(event("POST", "/items", body='{"name": "x", "count": "many"}'))
    error = assert_error(status, headers, body, "ValidationError")
    assert status == 400 and error["details"][0]["field"] == "count"
    assert assert_error(*call(event("POST", "/items", body="{oops")), "BadRequest")
    assert "object" in assert_error(*call(event("POST", "/items", body="[1]")), "BadRequest")["message"]


def test_unexpected_exception_is_logged_not_returned(caplog):
    with caplog.at_level(logging.ERROR, logger="bailian_fc.http"):
        status, headers, body = call(event("GET", "/boom"), raising(KeyError("secret-key-name")))
    error = assert_error(status, headers, body, "InternalError")
    assert (
        status == 500 and error["message"] == "internal error" and "secret-key-name" not in json.dumps(body)
    )
    assert any(r.exc_info and "secret-key-name" in str(r.exc_info[1]) for r in caplog.records)


def test_body_over_limit_is_413():
    status, headers, body = call(event("POST", "/echo/x", body="x" * 1025))
    assert status == 413 and assert_error(status, headers, body, "PayloadTooLarge")
    assert call(event("POST", "/echo/x", body=base64.b64encode(b"\x00" * 1025).decode(), b64=True))[0] == 413
    assert call(event("POST", "/echo/x", body="x" * 1024))[0] == 200


# -- fuzzing ----------------------------------------------------------------------------------------

json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
json_any = st.recursive(
    json_leaf,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=8,
)
odd_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    ["%", "%%", "%2", "%zz", "%ff", "%e4%b8", "%E4%B8%AD", "%00", "/..", "//", "\u202e", "\x00"]
)


def mostly(usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``usual`` about 3 times in 4, else ``odd`` (one_of alone skews towards the odd, simpler values)."""
    return st.integers(0, 3).flatmap(lambda n: odd if n == 3 else usual)


paths = mostly(
    st.one_of(st.builds(lambda name: "/echo/" + name, odd_text), st.sampled_from(["/apps", "/items"])),
    st.one_of(st.builds(lambda parts: "/" + "/".join(parts), st.lists(odd_text, max_size=4)), odd_text),
)
methods = mostly(
    st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "get", "pOsT"]),
    st.sampled_from(["", "G E T", "GET\n"]) | st.text(max_size=8),
)
header_maps = mostly(
    st.dictionaries(st.text(max_size=12), st.text(max_size=20), max_size=4),
    st.dictionaries(st.text(max_size=12), st.text(max_size=20) | json_leaf, max_size=4),
)


MUTABLE = [
    ("rawPath",),
    ("body",),
    ("isBase64Encoded",),
    ("headers",),
    ("queryParameters",),
    ("requestContext",),
    ("requestContext", "requestId"),
    ("requestContext", "http"),
    ("requestContext", "http", "method"),
    ("requestContext", "http", "path"),
    ("requestContext", "http", "sourceIp"),
]


@st.composite
def fc_events(draw: st.DrawFn) -> Any:
    """A plausible FC event, then 0-3 fields removed or replaced by an arbitrary JSON value."""
    path = draw(paths)
    b64 = draw(st.booleans())
    body = base64.b64encode(draw(st.binary(max_size=1200))).decode() if b64 else draw(st.text(max_size=1100))
    data: dict[str, Any] = {
        "rawPath": draw(st.sampled_from([quote(path), path])),
        "body": body,
        "isBase64Encoded": b64,
        "headers": draw(header_maps),
        "queryParameters": draw(header_maps),
        "requestContext": {
            "requestId": draw(st.text(max_size=140)),
            "http": {"method": draw(methods), "path": path, "sourceIp": "10.0.0.1"},
        },
    }
    for _ in range(draw(st.integers(0, 3))):
        *parents, key = draw(st.sampled_from(MUTABLE))
        container: Any = data
        for name in parents:
            container = container.get(name) if isinstance(container, dict) else None
        if isinstance(container, dict):
            if draw(st.booleans()):
                container.pop(key, None)
            else:
                container[key] = draw(json_any)
    encoding = draw(st.sampled_from(["bytes", "str", "dict"]))
    return (
        json.dumps(data).encode() if encoding == "bytes" else json.dumps(data) if encoding == "str" else data
    )


any_event = mostly(
    fc_events(), st.one_of(st.binary(max_size=60), json_any.map(lambda v: json.dumps(v).encode()), json_any)
)
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(any_event)
def test_fuzzed_events_never_raise_and_never_5xx(raw):
    out = HANDLER(raw, fake_context())
    assert isinstance(out["statusCode"], int) and 200 <= out["statusCode"] < 500
    assert isinstance(out["body"], str) and isinstance(out["isBase64Encoded"], bool)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in out["headers"].items())
    out["body"].encode("utf-8")
    if out["statusCode"] >= 400 and out["body"]:  # HEAD answers carry no body
        assert json.loads(out["body"])["error"]["request_id"] == out["headers"]["x-request-id"]


segment = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/"), min_size=1, max_size=20)


@FUZZ
@given(
    name=segment,
    body=st.binary(max_size=1024),
    as_b64=st.booleans(),
    raw_only=st.booleans(),
    method=st.sampled_from(["GET", "post", "Get"]),
    headers=st.dictionaries(
        st.text(alphabet="abcXYZ-", min_size=1, max_size=8), st.text(max_size=20), max_size=4
    ),
)
def test_valid_events_get_through(name, body, as_b64, raw_only, method, headers):
    text = body.decode("utf-8", "replace") if not as_b64 else base64.b64encode(body).decode()
    raw = event(
        method,
        "/echo/" + name,
        raw_path="/echo/" + quote(name, safe=""),
        body=text,
        b64=as_b64,
        headers=headers,
        with_path=not raw_only,
    )
    status, _, got = call(raw)
    assert status == 200 and got["name"] == name and got["method"] == method.upper()
    assert base64.b64decode(got["body_b64"]) == (body if as_b64 else text.encode())


# -- the ASGI bridge ---------------------------------------------------------------------------------


async def test_asgi_bridge_round_trip():
    app = asgi_app(http_handler(build_router(), max_body_bytes=1024))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("10.0.0.7", 1234)), base_url="http://fc.local"
    ) as client:
        blob = b"\x00\xff\xfe binary"
        resp = await client.post(
            "/echo/" + quote("门店 A"),
            params=[("a", "1"), ("a", "2"), ("q", "你好")],
            headers=[("X-Multi", "one"), ("X-Multi", "two"), ("X-Fc-Secret", "s")],
            content=blob,
        )
        assert resp.status_code == 200
        got = resp.json()
        assert got["method"] == "POST" and got["name"] == "门店 A" and got["path"] == "/echo/门店 A"
        assert base64.b64decode(got["body_b64"]) == blob
        assert got["query"] == {"a": "1,2", "q": "你好"}
        assert got["headers"]["x-multi"] == "one,two" and "x-fc-secret" not in got["headers"]
        assert resp.headers["x-request-id"] == resp.headers["x-fc-request-id"]
        text = await client.post("/apps/app2", json={"中": "文"})
        assert text.status_code == 201 and text.json() == {"key": "app2", "body": {"中": "文"}}
        missing = await client.patch("/apps")
        assert missing.status_code == 405 and missing.json()["error"]["code"] == "MethodNotAllowed"
        assert missing.headers["allow"] == "GET, HEAD"


async def test_asgi_bridge_passes_bytes_and_context_and_reports_crashes():
    seen: dict[str, Any] = {}

    def handler(event: bytes, context: Any) -> Any:
        seen["event"], seen["context"] = json.loads(event), context
        if seen["event"]["rawPath"] == "/crash":
            raise RuntimeError("kaput")
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "image/png"},
            "isBase64Encoded": True,
            "body": base64.b64encode(b"\x89PNG").decode(),
        }

    app = asgi_app(
        handler, context_factory=lambda rid: fake_context(request_id=rid, function={"name": "apps"})
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://fc.local"
    ) as client:
        resp = await client.get("/img")
        assert resp.content == b"\x89PNG" and resp.headers["content-type"] == "image/png"
        assert seen["context"].function.name == "apps" and seen["context"].function.memory == 512
        assert seen["event"]["requestContext"]["requestId"] == seen["context"].request_id
        assert seen["event"]["requestContext"]["http"]["method"] == "GET"
        assert seen["event"]["headers"]["User-Agent"].startswith("python-httpx")  # FC's Title-Case names
        crash = await client.get("/crash")
        assert crash.status_code == 502 and crash.headers["x-fc-error-type"] == "UnhandledInvocationError"
        assert "stackTrace" not in crash.json()
