"""The one table from an exception to the HTTP error a client sees, for every adapter.

The Starlette chat function (:mod:`bailian_fc.http.asgi`) and the FC event functions
(:mod:`bailian_fc.http.fc_event`) both answer through :func:`to_api_error`, so the same failure is the
same status, code and headers everywhere. Expected failures keep their message; anything
unexpected is logged with its traceback and answered as a bare 500 (``str(exc)`` could carry a
path, a key or a secret, so it never reaches the client).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from .. import errors as d
from ..bailian.errors import BailianError
from ..jsonsafe import JsonRejected
from ..store import StoreError
from .errors import ApiError, from_validation_error

log = logging.getLogger("bailian_fc.http")

Rule = tuple[type[BaseException], Callable[[Any], ApiError]]


def _upstream(exc: BailianError) -> ApiError:
    """Bailian failures keep their code; ``retryable`` tells the client whether to try again."""
    details: dict[str, Any] = {"retryable": exc.retryable}
    if exc.request_id:
        details["upstream_request_id"] = exc.request_id
    headers = {}
    if exc.http_status == 429 and exc.retry_after is not None and math.isfinite(exc.retry_after):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return ApiError(exc.http_status, exc.code, exc.message, [details], headers)


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="bailian-fc"'}


def _limit_reached(exc: d.LimitReached) -> ApiError:
    headers = {}
    if exc.retry_after is not None and math.isfinite(exc.retry_after):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return ApiError(429, exc.code, exc.message, headers=headers)


# First match wins: subclasses before their bases.
RULES: list[Rule] = [
    (ApiError, lambda e: e),
    (ValidationError, from_validation_error),
    (JsonRejected, lambda e: ApiError(400, "BadRequest", f"the request body {e}")),
    (d.Unauthenticated, lambda e: ApiError(401, e.code, e.message, headers=dict(_CHALLENGE))),
    (d.Forbidden, lambda e: ApiError(403, e.code, e.message)),
    (d.NotFound, lambda e: ApiError(404, e.code, e.message)),
    (d.InvalidInput, lambda e: ApiError(400, e.code, e.message)),
    (d.TooLarge, lambda e: ApiError(413, e.code, e.message)),
    (d.LimitReached, lambda e: _limit_reached(e)),
    (d.NotConfigured, lambda e: ApiError(503, e.code, e.message)),
    (d.Busy, lambda e: ApiError(503, e.code, e.message)),
    (d.Unavailable, lambda e: ApiError(503, e.code, e.message)),
    (d.TimedOut, lambda e: ApiError(504, e.code, e.message)),
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
