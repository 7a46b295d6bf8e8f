"""Hostile and careless input against a running `bailian-fc dev`: always a 4xx with our error shape, never a 5xx.

Every case here was a 5xx (or worse) once; each goes through real HTTP to the real functions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time
from typing import Any

import httpx
import pytest
from support import SECRET, running_dev

from bailian_fc import jwt_hs256
from bailian_fc.auth import Authenticator

AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
STAFF = AUTH.mint("user-1", "site-001", "staff")
MANAGER = AUTH.mint("mgr-1", "site-001", "manager")
PLATFORM = AUTH.mint("root-1", "site-001", "admin", platform=True)

# One authenticated route per HTTP function (prewarm has no HTTP trigger).
EVERY_FUNCTION = [
    ("GET", "/chat/conversations"),
    ("GET", "/apps"),
    ("GET", "/clock"),
    ("GET", "/admin/triggers"),
]


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    # Slow-client deadlines short enough to test, long enough for any real request on a loaded machine.
    with running_dev(tmp_path_factory.mktemp("store"), "--header-timeout", "3", "--body-timeout", "4") as (
        base,
        _banner,
        _proc,
    ):
        yield base


@pytest.fixture(scope="module")
def http(dev):
    with httpx.Client(base_url=dev, timeout=30) as client:
        yield client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed(header_text: str, claims_text: str) -> str:
    """A token with exactly these header and claims texts, correctly signed with the functions' secret."""
    signing_input = f"{b64(header_text.encode())}.{b64(claims_text.encode())}"
    signature = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "sub": "user-1",
        "site_id": "site-001",
        "role": "staff",
        "iss": "bailian-fc",
        "aud": "bailian-fc",
        "iat": now,
        "exp": now + 600,
        **over,
    }


def assert_error(resp: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, (resp.status_code, resp.text[:300])
    body = resp.json()["error"]
    assert set(body) >= {"code", "message", "request_id"}
    if code is not None:
        assert body["code"] == code, body
    return body


# -- tokens --------------------------------------------------------------------------------------

HOSTILE_HEADERS = {
    "5000-digit int": '{"alg":"HS256","x":' + "9" * 5000 + "}",
    "2000-deep nesting": '{"alg":"HS256","x":' + "[" * 2000 + "]" * 2000 + "}",
    "NaN": '{"alg":"HS256","x":NaN}',
    "crit": '{"alg":"HS256","crit":["exp"],"exp":1}',
}


@pytest.mark.parametrize("header", HOSTILE_HEADERS.values(), ids=HOSTILE_HEADERS.keys())
@pytest.mark.parametrize(("method", "path"), EVERY_FUNCTION)
def test_crafted_token_headers_are_401_on_every_function(http, method, path, header):
    token = signed(header, json.dumps(claims()))
    assert_error(http.request(method, path, headers=auth(token)), 401, "Unauthorized")


NOW = int(time.time())
HOSTILE_CLAIMS = {
    "exp NaN": '{"sub":"u","site_id":"s","role":"staff","iss":"bailian-fc","aud":"bailian-fc","exp":NaN}',
    "exp Infinity": '{"sub":"u","site_id":"s","role":"staff","iss":"bailian-fc","aud":"bailian-fc","exp":Infinity}',
    "exp 1e999": '{"sub":"u","site_id":"s","role":"staff","iss":"bailian-fc","aud":"bailian-fc","exp":1e999}',
    "nbf NaN": json.dumps(claims())[:-1] + ',"nbf":NaN}',
    "future iat": json.dumps(claims(iat=NOW + 3600)),
    "string iat": json.dumps(claims(iat="yesterday")),
    "5000-digit sub": json.dumps(claims())[:-1] + ',"n":' + "1" * 5000 + "}",
}


@pytest.mark.parametrize("text", HOSTILE_CLAIMS.values(), ids=HOSTILE_CLAIMS.keys())
def test_crafted_claims_are_401(http, text):
    token = signed('{"alg":"HS256","typ":"JWT"}', text)
    assert_error(http.get("/apps", headers=auth(token)), 401)


BAD_IDS = ["site 001", "站点一", "a/b", "..", ".", "-x", "a" * 65, "x\n", "王" * 30]


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("claim", ["site_id", "sub"])
def test_unsafe_site_or_user_ids_are_refused_at_sign_in(http, claim, bad):
    """Ids become store keys: anything but 1-64 of [A-Za-z0-9._-] (not starting with . _ -) is a 401."""
    token = jwt_hs256.encode(claims(**{claim: bad}), SECRET)
    for method, path in EVERY_FUNCTION:
        assert_error(http.request(method, path, headers=auth(token)), 401, "Unauthorized")


def test_a_non_canonical_signature_spelling_is_refused(http):
    """The last character of a base64url signature carries 2 unused bits: only the canonical one passes."""
    head, body, sig = STAFF.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    index = alphabet.index(sig[-1])
    twins = [sig[:-1] + alphabet[(index & ~3) | low] for low in range(4) if (index & ~3) | low != index]
    assert http.get("/apps", headers=auth(STAFF)).status_code == 200
    std = sig.replace("-", "+").replace("_", "/")  # the standard alphabet's spelling of the same bytes
    for twin in [*twins, sig + "=", sig + "==", sig[:10] + "!" + sig[10:], *([std] if std != sig else [])]:
        assert_error(http.get("/apps", headers=auth(f"{head}.{body}.{twin}")), 401)


# -- JSON bodies ---------------------------------------------------------------------------------

HOSTILE_BODIES = {
    "deep": b'{"message":"hi","context":' + b"[" * 2000 + b"]" * 2000 + b"}",
    "long int": b'{"message":"hi","context":{"x":' + b"7" * 5000 + b"}}",
    "NaN": b'{"message":"hi","context":{"x":NaN}}',
    "Infinity": b'{"message":"hi","context":{"x":-Infinity}}',
    "1e999": b'{"message":"hi","context":{"x":1e999}}',
}
JSON_ROUTES = [
    ("POST", "/chat/messages", STAFF),
    ("POST", "/apps/app6_note_analysis", MANAGER),
    ("PUT", "/admin/runtime-context", PLATFORM),
    ("POST", "/admin/cache/purge", PLATFORM),
]


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
@pytest.mark.parametrize(("method", "path", "token"), JSON_ROUTES)
def test_hostile_json_bodies_are_400_everywhere(http, method, path, token, body):
    resp = http.request(
        method, path, content=body, headers={**auth(token), "Content-Type": "application/json"}
    )
    assert_error(resp, 400, "BadRequest")


def test_a_nan_context_is_refused_and_never_stored(http):
    """{"context":{"x":NaN}} once made the conversation unreadable for good; now it never gets in."""
    headers = {**auth(STAFF), "Content-Type": "application/json"}
    before = http.get("/chat/conversations", headers=auth(STAFF)).json()["conversations"]
    assert_error(
        http.post("/chat/messages", content=b'{"message":"hi","context":{"x":NaN}}', headers=headers), 400
    )
    with http.stream(
        "POST",
        "/chat/messages",
        headers=headers,
        content=json.dumps({"message": "hi", "context": {"x": 1.5, "page": "chat"}}),
    ) as resp:
        text = resp.read().decode()
    assert resp.status_code == 200 and "event: done" in text
    after = http.get("/chat/conversations", headers=auth(STAFF)).json()["conversations"]
    assert len(after) == len(before) + 1
    for conversation in after:
        assert (
            http.get(
                f"/chat/conversations/{conversation['conversation_id']}", headers=auth(STAFF)
            ).status_code
            == 200
        )


# -- other former 5xx ----------------------------------------------------------------------------


def test_a_non_ascii_digit_limit_is_400(http):
    # The one 400 of a refused query (docs/contracts.md): ValidationError naming the field.
    error = assert_error(
        http.get("/chat/conversations?limit=%C2%B2", headers=auth(STAFF)), 400, "ValidationError"
    )
    assert [d["field"] for d in error["details"]] == ["limit"]


@pytest.mark.parametrize("job", ["a%00b", "j" * 300, "..", "a%2Fb"])
def test_impossible_job_names_are_404_not_503(http, job):
    assert_error(http.get(f"/admin/triggers/{job}", headers=auth(PLATFORM)), 404)
    assert_error(http.post(f"/admin/triggers/{job}/run", json={}, headers=auth(PLATFORM)), 404)


@pytest.mark.parametrize(
    "instant", ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00-14:00", "9999-12-31T23:59:59-14:00"]
)
def test_out_of_range_runtime_context_instants_are_400(http, instant):
    for body in (
        {"mode": "fixed", "fixed_at": instant, "reason": "t"},
        {"mode": "offset", "offset_seconds": 1, "expires_at": instant, "reason": "t"},
    ):
        assert_error(http.put("/admin/runtime-context", json=body, headers=auth(PLATFORM)), 400)
    assert http.get("/clock", headers=auth(STAFF)).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "from=0001-01-01T00:00:00",
        "to=0001-01-01T00:00:00Z",
        "from=0001-01-01T00:00:00%2B14:00",
        "from=-1",
        "from=1e300",
        "from=nan",
    ],
)
def test_out_of_range_runlog_bounds_are_400(http, query):
    assert_error(http.get(f"/admin/runlogs?{query}", headers=auth(PLATFORM)), 400)


def cursor(**fields: Any) -> str:
    data = {
        "v": 1,
        "lo": 0,
        "hi": 3600,
        "app": None,
        "status": None,
        "site": None,
        "h": 0,
        "k": None,
        **fields,
    }
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "forged",
    [
        cursor(lo=1e300),
        cursor(hi=1e300),
        cursor(h=1e300),
        cursor(h=-1e300),
        cursor(lo=-5),
        base64.urlsafe_b64encode(
            b'{"v":1,"lo":NaN,"hi":1,"app":null,"status":null,"site":null,"h":0,"k":null}'
        ).decode(),
        cursor(lo=True),
        cursor(app=["x"]),
        cursor(hi=0),
        "!!!",
        "e30",
    ],
)
def test_forged_runlog_cursors_are_400(http, forged):
    assert_error(
        http.get("/admin/runlogs", params={"cursor": forged}, headers=auth(PLATFORM)), 400, "InvalidCursor"
    )


# -- lenient edges -------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_chat_requires_a_json_content_type(http, content_type):
    headers = auth(STAFF) | ({"Content-Type": content_type} if content_type else {})
    assert_error(
        http.post("/chat/messages", content=b'{"message":"hi"}', headers=headers), 415, "UnsupportedMediaType"
    )


@pytest.mark.parametrize("path", ["/chat/conversations", "/apps", "/admin/triggers"])
def test_implausible_request_ids_are_replaced_not_echoed(http, path):
    for bad in ["<script>alert(1)</script>", "r" * 2000, "a b"]:
        resp = http.get(path, headers={"x-fc-request-id": bad})
        body = assert_error(resp, 401)
        assert body["request_id"] == resp.headers["x-request-id"] and bad not in resp.text
        assert bad not in resp.headers["x-request-id"]
    good = "1-6789abcd-0123456789abcdef0123"
    resp = http.get("/chat/conversations", headers={"x-fc-request-id": good})
    assert resp.headers["x-request-id"] == good == resp.json()["error"]["request_id"]


def test_the_trailing_slash_redirect_is_relative_whatever_the_host(http):
    resp = http.get("/chat/conversations/?limit=5", headers={**auth(STAFF), "Host": "evil.example"})
    assert resp.status_code == 307
    assert resp.headers["location"] == "/chat/conversations?limit=5"


@pytest.mark.parametrize(
    ("path", "token"), [("/apps/app6_note_analysis", None), ("/admin/cache/purge", None)]
)
def test_oversize_bodies_are_refused_before_auth_with_our_413(dev, path, token):
    """The body is refused from its Content-Length, before it is read: the server answers and closes."""
    host, port = dev.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {50 * 1024 * 1024}\r\n\r\n".encode()
            + b"{" * 1024
        )
        raw = _read_until_closed(sock)
    head, _, payload = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(payload)["error"]["code"] == "PayloadTooLarge"


def _read_until_closed(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("stage", ["headers", "body"])
def test_dev_closes_connections_that_trickle_their_request(dev, stage):
    """One byte every 0.25 s would hold a connection forever; dev closes it (408 for headers)."""
    host, port = dev.removeprefix("http://").split(":")
    head = b"POST /apps/app6_note_analysis HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        if stage == "body":
            sock.sendall(head + b"Content-Length: 1000\r\n\r\n")
        received, sent = b"", 0
        for _ in range(240):  # 60 s at most: far past both deadlines, so a pass is never luck
            try:
                sock.sendall(b"x-slow: 1\r\n"[sent % 12 : sent % 12 + 1] if stage == "headers" else b" ")
                sent += 1
                sock.settimeout(0.25)
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except (ConnectionResetError, BrokenPipeError):
                break
            if not chunk:
                break
            received += chunk
        else:
            pytest.fail("the slow connection was never closed")
    if stage == "headers":
        assert received.startswith(b"HTTP/1.1 408"), received[:100]
    else:
        assert sent > 4, "the body was refused at once rather than timed out"
        assert not received.startswith(b"HTTP/1.1 413"), received[:100]
