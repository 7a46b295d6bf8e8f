"""Failures of the domain (apps, chat, admin, clock, venue data) that are not upstream errors.

Domain code raises these and knows nothing of HTTP; only the edge decides what a client sees,
through the one table in :mod:`bailian_fc.http.errors`. ``code`` is the stable machine-readable
name in the error body, ``details`` (optional) name the fields at fault::

    DomainError                     code, message, details
     ├── Unauthenticated            no or bad credentials                         → 401
     ├── Forbidden                  known caller, not allowed                     → 403
     ├── NotFound                   nothing there (for this caller)               → 404
     │    └── ConversationNotFound
     ├── InvalidInput               well-formed but wrong (bad cursor, cron, …)   → 400
     │    └── UnsupportedMediaType  a body that is not declared JSON              → 415
     ├── Conflict                   it exists already (create-only)               → 409
     ├── TooLarge                   a value above a configured bound              → 413
     ├── LimitReached               a per-user quota is used up (retry_after)     → 429
     ├── NotConfigured              a setting this request needs is missing       → 503
     ├── Busy                       the same work is in flight elsewhere          → 503
     ├── Unavailable                a backing service cannot answer now           → 503
     └── TimedOut                   a backing service overran its budget          → 504

The other two trees: upstream failures (:mod:`bailian_fc.bailian.errors`) and storage
(:class:`bailian_fc.store.StoreError`).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    default_code = "DomainError"

    def __init__(
        self, message: str, *, code: str | None = None, details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details


class Unauthenticated(DomainError):
    """No credentials, or credentials that do not prove who the caller is."""

    default_code = "Unauthorized"


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    default_code = "Forbidden"


class NotFound(DomainError):
    """The thing asked for does not exist (for this caller)."""

    default_code = "NotFound"


class ConversationNotFound(NotFound):
    """No conversation by that id for this user (or it was deleted)."""

    default_code = "ConversationNotFound"

    def __init__(self, message: str = "no such conversation", **kw: Any) -> None:
        super().__init__(message, **kw)


class InvalidInput(DomainError):
    """The input is well-formed but wrong: refers to something that is not there, contradicts itself, …"""

    default_code = "BadRequest"


class UnsupportedMediaType(InvalidInput):
    """A body that does not say it is JSON (a form or text/plain post: a client bug or a CSRF-style request)."""

    default_code = "UnsupportedMediaType"


def invalid_field(
    field: str, message: str, *, kind: str = "value_error", summary: str = "the request is invalid"
) -> InvalidInput:
    """A 'ValidationError' naming one field, shaped like the ones pydantic failures give."""
    return InvalidInput(
        summary,
        code="ValidationError",
        details=[{"field": field, "message": message, "type": kind}],
    )


class NotConfigured(DomainError):
    """A setting this request needs is missing (an app id, the Bailian key)."""

    default_code = "NotConfigured"


class Busy(DomainError):
    """The same work is in flight elsewhere and did not finish in time: retry shortly."""

    default_code = "Busy"


class Conflict(DomainError):
    """Creating something that already exists (a create-only name taken)."""

    default_code = "Conflict"


class TooLarge(DomainError):
    """A client-sent value above a configured bound; nothing was stored."""

    default_code = "TooLarge"


class LimitReached(DomainError):
    """A per-user quota is used up (``retry_after``: seconds until it frees, None when it never does)."""

    default_code = "LimitReached"

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A backing service (the venue database, …) cannot answer now: retry later."""

    default_code = "Unavailable"


class TimedOut(DomainError):
    """A backing service took longer than its budget and the work was cancelled."""

    default_code = "Timeout"
