"""The edge's errors: every HTTP function answers ``{"error": {"code", "message", "request_id", "details"?}}``.

:func:`to_api_error` is the one table from an exception to that answer, for the Starlette chat
function (:mod:`bailian_fc.http.asgi`) and the FC event functions (:mod:`bailian_fc.http.fc_event`)
alike, so the same failure is the same status, code and headers everywhere. Domain code raises
domain errors (:mod:`bailian_fc.errors`), the client raises upstream errors
(:mod:`bailian_fc.bailian.errors`), stores raise ``StoreError``; only this module knows statuses.
Expected failures keep their message; anything unexpected is logged with its traceback and
answered as a bare 500 (``str(exc)`` could carry a path, a key or a secret).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from .. import errors as d
from .. import jsonsafe
from ..bailian import errors as up
from ..bailian.errors import BailianError
from ..jsonsafe import JsonRejected
from ..store import StoreError


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


def bad_request(message: str, details: list[dict[str, Any]] | None = None) -> ApiError:
    return ApiError(400, "BadRequest", message, details)


def from_validation_error(exc: ValidationError, where: str = "body") -> ApiError:
    """The one 400 of a model's refusal (a route's query or body, an app's input): code
    ValidationError, one detail naming each refused field."""
    details = [
        {"field": ".".join(str(p) for p in e["loc"]) or f"<{where}>", "message": e["msg"], "type": e["type"]}
        for e in exc.errors(include_url=False, include_input=False)
    ]
    return ApiError(400, "ValidationError", f"the request {where} is invalid", details)


# Every JSON answer: never cached by a browser or a proxy, never sniffed as another type.
JSON_HEADERS = {"cache-control": "no-store", "x-content-type-options": "nosniff"}


def error_body(code: str, message: str, request_id: str | None, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "request_id": request_id}
    if details:
        error["details"] = details
    return {"error": error}


def parse_json_body(raw: bytes) -> Any:
    """JSON from a request body within :mod:`jsonsafe`'s limits, or a 400 that says what is wrong."""
    if not raw.strip():
        raise bad_request("the request body is empty; send a JSON object")
    try:
        return jsonsafe.loads(raw)
    except jsonsafe.JsonRejected as exc:
        raise bad_request(f"the request body {exc}") from None


log = logging.getLogger("bailian_fc.http")

Rule = tuple[type[BaseException], Callable[[Any], ApiError]]


# Upstream failures: first match wins (subclasses before their bases); anything else Bailian did is a 502.
UPSTREAM_STATUS: list[tuple[type[BailianError], int]] = [
    (up.ContentBlocked, 422),
    (up.RateLimited, 429),
    (up.UpstreamTimeout, 504),
    (up.OutputInvalid, 422),
    (up.DeadlineExceeded, 504),
]


def upstream_status(exc: BailianError) -> int:
    return next((status for kind, status in UPSTREAM_STATUS if isinstance(exc, kind)), 502)


def _upstream(exc: BailianError) -> ApiError:
    """Bailian failures keep their code; ``retryable`` tells the client whether to try again."""
    details: dict[str, Any] = {"retryable": exc.retryable}
    if exc.request_id:
        details["upstream_request_id"] = exc.request_id
    status = upstream_status(exc)
    headers = {}
    if status == 429 and exc.retry_after is not None and math.isfinite(exc.retry_after):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return ApiError(status, exc.code, exc.message, [details], headers)


def _limit_reached(exc: d.LimitReached) -> ApiError:
    headers = {}
    if exc.retry_after is not None and math.isfinite(exc.retry_after):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return ApiError(429, exc.code, exc.message, exc.details, headers)


def _domain(status: int, headers: dict[str, str] | None = None) -> Callable[[d.DomainError], ApiError]:
    return lambda e: ApiError(status, e.code, e.message, e.details, dict(headers or {}))


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="bailian-fc"'}

# First match wins: subclasses before their bases.
RULES: list[Rule] = [
    (ApiError, lambda e: e),
    (ValidationError, from_validation_error),
    (JsonRejected, lambda e: ApiError(400, "BadRequest", f"the request body {e}")),
    (d.Unauthenticated, _domain(401, _CHALLENGE)),
    (d.Forbidden, _domain(403)),
    (d.NotFound, _domain(404)),
    (d.UnsupportedMediaType, _domain(415)),
    (d.InvalidInput, _domain(400)),
    (d.Conflict, _domain(409)),
    (d.TooLarge, _domain(413)),
    (d.LimitReached, _limit_reached),
    (d.NotConfigured, _domain(503)),
    (d.Busy, _domain(503)),
    (d.Unavailable, _domain(503)),
    (d.TimedOut, _domain(504)),
    (BailianError, _upstream),
    (StoreError, lambda e: ApiError(503, "StoreUnavailable", "storage is unavailable, try again")),
]

_LOGGED = (BailianError, StoreError)  # expected but worth a warning line (no traceback)


def to_api_error(exc: BaseException, where: str = "a request") -> ApiError:
    """The error contract for ``exc``; only unexpected exceptions are logged with their traceback."""
    for kind, convert in RULES:
        if isinstance(exc, kind):
            if isinstance(exc, _LOGGED):
                log.warning("%s on %s: %s", type(exc).__name__, where, exc)
            return convert(exc)
    log.error("unhandled error on %s", where, exc_info=exc)
    return ApiError(500, "InternalError", "internal error")
