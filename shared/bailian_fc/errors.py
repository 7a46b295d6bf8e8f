"""Failures of the domain (apps, chat, clock) that are not upstream errors.

Domain code raises these; only the HTTP adapters decide what a client sees, through the one table
in :mod:`bailian_fc.http.error_table`. ``code`` is the stable machine-readable name in the error body.
"""

from __future__ import annotations


class DomainError(Exception):
    default_code = "DomainError"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code


class Unauthenticated(DomainError):
    """No credentials, or credentials that do not prove who the caller is."""

    default_code = "Unauthorized"


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    default_code = "Forbidden"


class NotFound(DomainError):
    """The thing asked for does not exist (for this caller)."""

    default_code = "NotFound"


class InvalidInput(DomainError):
    """The input is well-formed but refers to something that is not there (an unknown area, …)."""

    default_code = "BadRequest"


class NotConfigured(DomainError):
    """A setting this request needs is missing (an app id, the Bailian key)."""

    default_code = "NotConfigured"


class Busy(DomainError):
    """The same work is in flight elsewhere and did not finish in time: retry shortly."""

    default_code = "Busy"


class TooLarge(DomainError):
    """A client-sent value above a configured bound; nothing was stored."""

    default_code = "TooLarge"


class LimitReached(DomainError):
    """A per-user quota is used up (``retry_after``: seconds until it frees, None when it never does)."""

    default_code = "LimitReached"

    def __init__(self, message: str, *, code: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A backing service (the venue database, …) cannot answer now: retry later."""

    default_code = "Unavailable"


class TimedOut(DomainError):
    """A backing service took longer than its budget and the work was cancelled."""

    default_code = "Timeout"
