"""Folding the dashscope SDK's failures into the one error tree of ``errors.py``.

The 2.0 client raises typed ``DashScopeError``s for HTTP errors and ``event:error``
frames (mid-stream frames say 200/400: the Bailian code decides), lets raw httpx
exceptions escape from a dropped or stalled stream, and raises ``TimeoutError`` when our
own deadline scope fires. Everything leaves here as a :class:`~bailian_fc.bailian.errors.BailianError`.
"""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from .errors import (
    BadRequestError,
    BailianError,
    ConnectionDropped,
    DeadlineExceeded,
    ProtocolError,
    UpstreamTimeout,
    classify,
)


class _Clock(Protocol):
    def remaining(self) -> float: ...


class translate_errors:
    """Map SDK / httpx / timeout exceptions raised inside the block to the BailianError tree."""

    def __init__(self, clock: _Clock) -> None:
        self.clock = clock

    def __enter__(self) -> translate_errors:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc is None or isinstance(exc, BailianError) or not isinstance(exc, Exception):
            return
        raise to_bailian_error(exc, self.clock) from exc


def to_bailian_error(exc: Exception, clock: _Clock | None = None) -> BailianError:
    import httpx
    from dashscope.v2 import errors as sdk  # the SDK's documented error classes

    if isinstance(exc, TimeoutError):
        if clock is not None and clock.remaining() <= 0:
            return DeadlineExceeded("the call's total deadline passed")
        return UpstreamTimeout("upstream timed out")
    if isinstance(exc, sdk.APITimeoutError | httpx.TimeoutException):
        return UpstreamTimeout(f"upstream timed out: {type(exc).__name__}")
    if isinstance(exc, sdk.APIConnectionError | httpx.TransportError):
        return ConnectionDropped(f"connection failed: {type(exc).__name__}: {exc}")
    if isinstance(exc, sdk.DashScopeError):
        status = exc.status_code if exc.status_code and exc.status_code >= 400 else None
        cls = classify(status, exc.code)
        if exc.code is None and status is None:
            cls = ProtocolError  # e.g. "malformed SSE payload"
        elif exc.status_code == 200 and cls is BadRequestError:
            # A 200 reply without output and with a code we do not know: the same "200 without
            # output" ProtocolError (retried) as the streamed path, not a final BadRequest.
            return ProtocolError(
                f"200 without output (upstream code {exc.code}: {exc.message})", request_id=exc.request_id
            )
        return cls(
            exc.message or str(exc),
            code=exc.code,
            request_id=exc.request_id,
            status=status,
            retry_after=_retry_after(exc.headers),
        )
    if isinstance(exc, json.JSONDecodeError | ValueError | TypeError | KeyError):
        return ProtocolError(f"unreadable reply: {type(exc).__name__}: {exc}")
    return BailianError(f"{type(exc).__name__}: {exc}")


def _retry_after(headers: Any) -> float | None:
    if not headers:
        return None
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        try:
            return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
        except (TypeError, ValueError):
            return None
