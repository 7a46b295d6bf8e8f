"""FC3 HTTP-trigger events for the built-in ``python3.10`` functions (apps, admin).

A built-in runtime cannot run an HTTP server: FC hands ``handler(event, context)`` the request as JSON
*bytes* (headers and query comma-joined, ``rawPath`` URL-encoded, binary bodies Base64) and expects a
``{statusCode, headers, isBase64Encoded, body}`` dict back. This module turns the event into an
:class:`HttpRequest`, a :class:`Response` into FC's dict, and every failure into the JSON error contract
of :mod:`bailian_fc.http.errors`, so these functions answer exactly like the Starlette chat function
(:mod:`bailian_fc.http.asgi`). A handler built here never raises: an exception reaching FC would be answered by
FC itself, with a stack trace.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote_to_bytes

from pydantic_core import to_jsonable_python

from .. import jsonsafe, logs
from ..logs import bound, pick_request_id
from .errors import JSON_HEADERS, ApiError, error_body, parse_json_body, to_api_error

if TYPE_CHECKING:
    from .router import Router

log = logging.getLogger("bailian_fc.http")

FcHandler = Callable[..., dict[str, Any]]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Response headers FC refuses to pass through (fc3 docs, HTTP-trigger limits), plus hop-by-hop ones.
_FORBIDDEN_RESPONSE_HEADERS = frozenset(
    {"connection", "content-length", "date", "keep-alive", "server", "transfer-encoding"}
)
_PATH_SAFE = "/!$&'()*+,;=:@-._~"


# -- request -------------------------------------------------------------------------------------


@dataclass
class HttpRequest:
    """One HTTP request as the handlers see it; header names are stored lower-cased for lookup."""

    method: str
    path: str
    raw_path: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    source_ip: str | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    context: Any = None  # the FC context object (credentials, function meta), set by http_handler

    def __post_init__(self) -> None:
        # Normalised here too, so tests and the router can build requests by hand.
        self.method = self.method.upper()
        self.headers = fold_headers(self.headers)
        if not self.raw_path:
            self.raw_path = quote(self.path, safe=_PATH_SAFE)

    def header(self, name: str, default: str | None = None) -> str | None:
        """A header by case-insensitive name; repeated headers arrive comma-joined from FC."""
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        """The body as JSON, or ApiError 400 saying what is wrong."""
        return parse_json_body(self.body)


def fold_headers(headers: dict[str, str]) -> dict[str, str]:
    """Lower-case header names, comma-joining names that differ only in case (as FC joins repeats)."""
    folded: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        folded[key] = f"{folded[key]},{value}" if key in folded else value
    return folded


def bad_event(message: str) -> ApiError:
    return ApiError(400, "BadEvent", message)


def decode_event(
    event: bytes | str | dict[str, Any], *, default_request_id: str | None = None
) -> HttpRequest:
    """The FC3 HTTP-trigger event as an :class:`HttpRequest`; anything malformed is ApiError 400 BadEvent.

    ``default_request_id`` (usually ``context.request_id``) is used when the event carries none.
    """
    data = _load(event)
    ctx = _object(data.get("requestContext"), "requestContext")
    http = _object(ctx.get("http"), "requestContext.http")
    path, raw_path = _paths(http.get("path"), data.get("rawPath"))
    headers = fold_headers(_str_map(data.get("headers"), "headers"))
    return HttpRequest(
        method=_method(http.get("method")),
        path=path,
        raw_path=raw_path,
        headers=headers,
        query=_str_map(data.get("queryParameters"), "queryParameters"),
        body=_body(data.get("body"), data.get("isBase64Encoded")),
        request_id=pick_request_id(ctx.get("requestId"), headers.get("x-fc-request-id"), default_request_id),
        source_ip=http.get("sourceIp") if isinstance(http.get("sourceIp"), str) else None,
    )


def _load(event: Any) -> dict[str, Any]:
    if isinstance(event, (bytes, bytearray, memoryview)):
        event = bytes(event)
    if isinstance(event, (bytes, str)):
        try:
            event = jsonsafe.loads(event, max_depth=8)  # FC's event is flat; the body inside is a string
        except jsonsafe.JsonRejected as exc:
            raise bad_event(f"the event {exc}") from None
    if not isinstance(event, dict):
        raise bad_event("the event must be a JSON object")
    return event


def _object(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_event(f"{what} must be an object")
    return value


def _text(value: Any, what: str) -> str:
    """A string that can be re-encoded as UTF-8 (JSON may carry lone surrogates, which cannot)."""
    if not isinstance(value, str):
        raise bad_event(f"{what} must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise bad_event(f"{what} is not valid Unicode") from None
    return value


def _str_map(value: Any, what: str) -> dict[str, str]:
    return {_text(k, f"a {what} name"): _text(v, f"{what}[{k!r}]") for k, v in _object(value, what).items()}


def _method(value: Any) -> str:
    if value is None:
        raise bad_event("requestContext.http.method is missing")
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        raise bad_event("requestContext.http.method is not an HTTP method")
    return value.upper()


def _paths(path: Any, raw: Any) -> tuple[str, str]:
    """(decoded path, raw path): FC gives both; either one is enough to derive the other."""
    raw_path = None if raw is None else _text(raw, "rawPath")
    if path is not None:
        decoded = _text(path, "requestContext.http.path")
    elif raw_path is not None:
        try:
            decoded = unquote_to_bytes(raw_path).decode("utf-8")
        except UnicodeDecodeError:
            raise bad_event("rawPath does not decode to UTF-8") from None
    else:
        raise bad_event("the event has no path")
    if not decoded.startswith("/"):
        raise bad_event("the path must start with '/'")
    return decoded, raw_path if raw_path else quote(decoded, safe=_PATH_SAFE)


def _body(body: Any, flag: Any) -> bytes:
    if flag is not None and not isinstance(flag, bool):
        raise bad_event("isBase64Encoded must be a boolean")
    if body is None:
        return b""
    text = _text(body, "body")
    if not flag:
        return text.encode("utf-8")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII text
        raise bad_event("body is not valid Base64") from None


# -- response ------------------------------------------------------------------------------------


@dataclass
class Response:
    """What a route returns: bytes go out Base64, str as text, None empty, anything else as JSON."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def encode_response(resp: Response, request_id: str) -> dict[str, Any]:
    """``resp`` in FC's response shape, with ``x-request-id`` and without headers FC forbids."""
    status = resp.status
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError(f"invalid HTTP status {status!r}")
    text, is_b64, content_type = _encode_body(resp.body)
    headers = clean_headers(resp.headers)
    if content_type and "content-type" not in headers:
        headers["content-type"] = content_type
    if headers.get("content-type", "").startswith("application/json"):
        headers = {**JSON_HEADERS, **headers}
    headers["x-request-id"] = request_id
    return {"statusCode": status, "headers": headers, "isBase64Encoded": is_b64, "body": text}


def _encode_body(body: Any) -> tuple[str, bool, str | None]:
    if body is None:
        return "", False, None
    if isinstance(body, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(body)).decode("ascii"), True, "application/octet-stream"
    if isinstance(body, str):
        return body.encode("utf-8", "replace").decode("utf-8"), False, "text/plain; charset=utf-8"
    return dump_json(body), False, "application/json"


def dump_json(value: Any) -> str:
    """Compact JSON with readable Chinese (ensure_ascii=False), like Starlette's JSONResponse."""
    data = to_jsonable_python(value)
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: escape them rather than emit invalid UTF-8
        text = json.dumps(data, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text


def clean_headers(headers: dict[str, Any]) -> dict[str, str]:
    """Lower-cased headers without those FC rejects (x-fc-*, hop-by-hop) or that could split a header."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = str(name).strip().lower()
        text = str(value)
        if (
            key in _FORBIDDEN_RESPONSE_HEADERS
            or key.startswith("x-fc-")
            or not _TOKEN.fullmatch(key)
            or any(c in text for c in "\r\n\x00")
        ):
            log.debug("dropping response header %r", key)
            continue
        out[key] = text.encode("utf-8", "replace").decode("utf-8")
    return out


# -- errors --------------------------------------------------------------------------------------


def api_error_for(exc: Exception, request: HttpRequest | None = None) -> ApiError:
    """The error contract for any exception (the table in :mod:`bailian_fc.http.errors`)."""
    where = f"{request.method} {request.path}" if request is not None else "an undecodable event"
    return to_api_error(exc, where)


def error_response(err: ApiError, request_id: str) -> dict[str, Any]:
    """``err`` as an FC response; falls back to a bare 500 if the error itself cannot be encoded."""
    try:
        body = error_body(err.code, err.message, request_id, err.details)
        return encode_response(Response(err.status, body, dict(err.headers)), request_id)
    except Exception:
        log.exception("could not encode error %r", getattr(err, "code", None))
        return encode_response(
            Response(500, error_body("InternalError", "internal error", request_id)), request_id
        )


# -- the FC entry point --------------------------------------------------------------------------


def _dispatch(router: Router, request: HttpRequest, max_body_bytes: int) -> dict[str, Any]:
    try:
        if len(request.body) > max_body_bytes:
            raise ApiError(413, "PayloadTooLarge", f"the request body exceeds {max_body_bytes} bytes")
        return encode_response(router.dispatch(request), request.request_id)
    except Exception as exc:  # answered here, inside the request id's scope, so its log lines carry it
        return error_response(api_error_for(exc, request), request.request_id)


def http_handler(router: Router, *, max_body_bytes: int) -> FcHandler:
    """``handler(event, context)`` for FC: decode, bound the body, dispatch, answer JSON errors."""

    def handler(event: Any, context: Any = None) -> dict[str, Any]:
        fallback = pick_request_id(getattr(context, "request_id", None))
        request: HttpRequest | None = None
        started, access = time.monotonic(), logs.open_access()
        with bound(fallback):
            try:
                request = decode_event(event, default_request_id=fallback)
                request.context = context
                with bound(request.request_id):
                    out = _dispatch(router, request, max_body_bytes)
            except Exception as exc:
                out = error_response(api_error_for(exc, request), request.request_id if request else fallback)
        if request is not None and request.method == "HEAD":
            out["body"], out["isBase64Encoded"] = "", False
        with bound(request.request_id if request else fallback):
            logs.log_access(
                access,
                method=request.method if request else "?",
                route=request.path if request else "?",
                status=int(out.get("statusCode", 200)),
                latency_ms=(time.monotonic() - started) * 1000,
            )
        return out

    return handler
