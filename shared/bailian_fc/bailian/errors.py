"""One error tree for every upstream (Bailian) failure.

The ``dashscope`` SDK reports failures three ways: typed exceptions (2.0 client),
error *values* (1.x ``Application.call``), and silence (a stream that ends without
``finish_reason == "stop"``). ``translate.py`` and ``client.py`` fold all of them into this tree::

    BailianError                    code, request_id, retryable      (→ what the edge answers)
     ├── AuthError                  401/403: bad key, workspace or app access     never retried   → 502
     ├── BadRequestError            400 InvalidParameter, Arrearage,              never retried   → 502
     │    └── ContentBlocked        400 DataInspectionFailed (moderation)         never retried   → 422
     ├── RateLimited                429 Throttling*                               retried, Retry-After honoured → 429
     ├── UpstreamError              5xx InternalError, ModelServingError, …       retried         → 502
     │    └── UpstreamTimeout       connect/read timeout                          retried         → 504
     ├── ProtocolError              200 without output, non-JSON data,            retried before the first byte → 502
     │    │                         stream ended without finish_reason "stop"
     │    └── ConnectionDropped     connection reset / refused / broken chunking  retried before the first byte → 502
     ├── OutputInvalid              single-turn reply failed its schema after the attempt budget → 422
     └── DeadlineExceeded           the call's total deadline passed              → 504

The statuses on the right are the edge's (:mod:`bailian_fc.http.errors`), not this tree's.

"Retried" always means: by the one retry loop in ``client.py``, only before the first
streamed byte reached the consumer, within ``max_attempts`` and the total deadline.
"""

from __future__ import annotations

from typing import Any


class BailianError(Exception):
    """An upstream call failed. ``code`` is Bailian's (or ours for local failures)."""

    retryable = False
    default_code = "UpstreamError"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        request_id: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.request_id = request_id
        self.status = status
        self.retry_after = retry_after
        self.attempts = 0
        self.usage: Any = None  # Usage of every attempt so far, for the run log
        self.upstream_seconds: float | None = None  # time spent on the call, for the run log's latency split

    def __str__(self) -> str:
        rid = f", request_id={self.request_id}" if self.request_id else ""
        return f"{self.code}: {self.message}{rid}"


class AuthError(BailianError):
    default_code = "AccessDenied"


class BadRequestError(BailianError):
    default_code = "InvalidParameter"


class ContentBlocked(BadRequestError):
    default_code = "DataInspectionFailed"


class RateLimited(BailianError):
    retryable = True
    default_code = "Throttling"


class UpstreamError(BailianError):
    retryable = True


class UpstreamTimeout(UpstreamError):
    default_code = "UpstreamTimeout"


class ProtocolError(BailianError):
    retryable = True
    default_code = "ProtocolError"


class ConnectionDropped(ProtocolError):
    default_code = "ConnectionDropped"


class OutputInvalid(BailianError):
    default_code = "OutputInvalid"

    def __init__(self, message: str, *, raw_text: str = "", **kw: Any) -> None:
        super().__init__(message, **kw)
        self.raw_text = raw_text


class DeadlineExceeded(BailianError):
    default_code = "DeadlineExceeded"


_AUTH_CODES = (
    "InvalidApiKey",
    "NOT AUTHORIZED",
    "AccessDenied",
    "App.AccessDenied",
    "Workspace.AccessDenied",
    "Model.AccessDenied",
)


def classify(status: int | None, code: str | None) -> type[BailianError]:
    """The error class for an HTTP status and Bailian code (mid-stream errors say 200/400: trust the code)."""
    code = code or ""
    if code.startswith("Throttling") or status == 429:
        return RateLimited
    if code == "DataInspectionFailed":
        return ContentBlocked
    if code in _AUTH_CODES or code.startswith("AccessDenied") or status in (401, 403):
        return AuthError
    if status is not None and status >= 500:
        return UpstreamError
    if code.startswith(
        (
            "Internal",
            "System",
            "Model",
            "RequestTimeOut",
            "InvokePluginFailed",
            "AppProcessFailed",
            "RewriteFailed",
            "RetrivalFailed",
            "ServiceUnavailable",
            "GatewayTimeout",
        )
    ):
        return UpstreamError
    return BadRequestError
