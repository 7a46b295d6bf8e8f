"""Scriptable behaviours of the Bailian emulator: what one request gets back.

A :class:`Behaviour` describes the reply to exactly one ``POST /apps/{app_id}/completion``.
Tests queue them per app id (``Emulator.script``); when a queue is empty the emulator's
``default`` applies. Every field is optional; ``Behaviour()`` is a normal, instant success.

Kinds and their wire semantics (``S`` = stream request, ``N`` = non-stream request):

``ok``
    S: HTTP 200 SSE, ``chunks`` events, ``finish_reason`` ``"null"`` then ``"stop"`` on the
    last, ``usage.models`` on the last. N: HTTP 200 JSON with ``finish_reason: "stop"``.
``text``
    Like ``ok`` but the reply is exactly ``text`` (``text`` also overrides the reply of any
    other kind).
``fenced_json``
    Like ``ok`` but the reply is wrapped in a Markdown fence: ``"```json\\n…\\n```"``.
``http_error``
    S and N: HTTP ``status`` with the JSON body ``{"request_id","code","message"}``,
    ``Retry-After: <retry_after>`` when set. Sent after ``first_chunk_delay`` (S) or
    ``latency`` (N).
``mid_stream_error``
    S: HTTP 200, ``after_chunks`` normal events, then
    ``id:N / event:error / :HTTP_STATUS/<status> / data:{"code","message","request_id"}``
    and a clean end of the body. N: same as ``http_error`` (a non-stream call has no
    stream to fail in).
``truncate``
    S: ``after_chunks`` normal events (all ``finish_reason: "null"``), then a clean end of the
    chunked body -- no ``"stop"`` event. N: HTTP 200 JSON whose ``text`` is the text of the
    first ``after_chunks`` chunks and whose ``finish_reason`` is the string ``"null"``, no usage.
``drop``
    S: ``after_chunks`` events (``0`` = the headers only), then a TCP RST (``SO_LINGER 0``)
    without the terminating 0-chunk. N: the headers (with the full ``Content-Length``) and the
    first half of the body, then RST.
``drop_before_response``
    S and N: the request is read completely, then RST before any response byte.
``stall``
    S: ``after_chunks`` events (``0`` = the headers only: they are sent at once, not with the
    first event), then silence for ``stall_seconds`` (``None`` = until the client goes away,
    capped at :data:`MAX_STALL_SECONDS`); if the client is still there afterwards the
    reply continues normally. N: nothing is sent for ``latency + stall_seconds``, then the
    normal reply. To stall *before the headers* of a stream, use ``first_chunk_delay``.
``invalid_json``
    S: ``after_chunks`` normal events, then one extra event whose ``data:`` line is not JSON,
    then the remaining events normally (ending with ``"stop"``). N: HTTP 200,
    ``Content-Type: application/json``, a body that is not JSON.
``no_output``
    S: ``after_chunks`` normal events, then a last event with ``request_id`` and ``usage`` but
    no ``output``, end. N: HTTP 200 JSON ``{"request_id", "usage"}`` without ``output``.

Timing: ``first_chunk_delay`` is waited before the response headers of a stream (the
headers go out together with the first event, like a gateway waiting for the model's first
token), except that ``early_headers=True`` (and ``stall`` with ``after_chunks=0``) sends
the headers first. Events are then paced ``chunk_delay`` apart on an absolute schedule.
``latency`` delays non-stream replies. All waits end early when the client disconnects.

Faults always come before the final chunk: a fault kind splits the reply into at least
``after_chunks + 1`` pieces, so the events before the fault all carry ``finish_reason: "null"``.
Requests without ``Authorization: Bearer …`` (401 ``InvalidApiKey``) or with a non-JSON body
(400 ``InvalidParameter``) are answered without consuming a scripted behaviour.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

KINDS: tuple[str, ...] = (
    "ok",
    "http_error",
    "mid_stream_error",
    "truncate",
    "drop",
    "drop_before_response",
    "stall",
    "invalid_json",
    "fenced_json",
    "no_output",
    "text",
)

#: Upper bound of a ``stall`` whose ``stall_seconds`` is ``None``.
MAX_STALL_SECONDS = 300.0

#: Default number of stream events a reply is split into (fewer for very short replies).
DEFAULT_CHUNKS = 5

#: Default error code per HTTP status (the gateway's codes, see the error-code page).
DEFAULT_CODES: dict[int, str] = {
    400: "InvalidParameter",
    401: "InvalidApiKey",
    403: "AccessDenied",
    404: "NotFound",
    429: "Throttling.RateQuota",
    500: "InternalError",
    502: "InternalError",
    503: "ModelUnavailable",
    504: "RequestTimeOut",
}

#: Gateway messages per error code.
DEFAULT_MESSAGES: dict[str, str] = {
    "InvalidParameter": "Required parameter(AppId) missing or invalid, please check the request parameters.",
    "InvalidApiKey": "Invalid API-key provided.",
    "AccessDenied": "Access denied.",
    "App.AccessDenied": "App access denied, please check the app id and the api key.",
    "NotFound": "Not found.",
    "Throttling": "Requests throttling triggered.",
    "Throttling.RateQuota": "Requests rate limit exceeded, please try again later.",
    "Throttling.BurstRate": "Request rate increased too quickly, please try again later.",
    "Throttling.AllocationQuota": "Allocated quota exceeded, please increase your quota limit.",
    "DataInspectionFailed": "Input or output data may contain inappropriate content.",
    "Arrearage": "Access denied, please make sure your account is in good standing.",
    "InternalError": "An internal error has occured, please try again later or contact service support.",
    "ModelUnavailable": "Model is unavailable, please try again later.",
    "RequestTimeOut": "Request timed out, please try again later.",
}


@dataclass
class Behaviour:
    """What the emulator does with one request. See the module docstring for the kinds."""

    kind: str = "ok"
    # pacing
    first_chunk_delay: float = 0.0
    chunk_delay: float = 0.0
    chunks: int | None = None
    latency: float = 0.0
    early_headers: bool = False
    # errors
    status: int = 500
    code: str | None = None
    message: str | None = None
    retry_after: float | None = None
    # faults
    after_chunks: int = 1
    stall_seconds: float | None = None
    # content
    text: str | None = None
    model_id: str = "qwen-plus"
    input_tokens: int | None = None
    output_tokens: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown behaviour kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if self.chunks is not None and self.chunks < 1:
            raise ValueError("chunks must be >= 1")
        if self.after_chunks < 0:
            raise ValueError("after_chunks must be >= 0")
        self.status = int(self.status)
        if not 100 <= self.status <= 599:
            raise ValueError(f"invalid HTTP status {self.status!r}")
        for name in ("first_chunk_delay", "chunk_delay", "latency"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Behaviour:
        """Build from a JSON object; unknown keys are an error (typos must not pass silently)."""
        if not isinstance(data, dict):
            raise ValueError(f"a behaviour must be a JSON object, got {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown behaviour field(s): {', '.join(unknown)}")
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> Behaviour:
        return cls.from_dict(json.loads(text))

    @classmethod
    def coerce(cls, value: Behaviour | dict[str, Any] | str) -> Behaviour:
        """Accept a Behaviour, a dict (``from_dict``) or a bare kind name (``"drop"``)."""
        if isinstance(value, Behaviour):
            return value
        if isinstance(value, str):
            return cls(kind=value)
        return cls.from_dict(value)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    # -- derived values -------------------------------------------------------------------

    @property
    def error_code(self) -> str:
        if self.code:
            return self.code
        return DEFAULT_CODES.get(int(self.status), "InternalError")

    @property
    def error_message(self) -> str:
        if self.message is not None:
            return self.message
        return DEFAULT_MESSAGES.get(self.error_code, f"Emulated error {self.error_code}.")


def http_error(status: int = 500, code: str | None = None, **kwargs: Any) -> Behaviour:
    """Shorthand: ``http_error(429, retry_after=1)``."""
    return Behaviour(kind="http_error", status=status, code=code, **kwargs)
