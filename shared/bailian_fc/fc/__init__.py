"""FC3 built-in runtime glue: HTTP-trigger events in, FC response dicts out, JSON errors throughout.

``apps`` and ``admin`` run on the built-in ``python3.10`` runtime (they need no streaming), so they get
FC's HTTP event instead of a socket. Build a :class:`Router`, wrap it with :func:`http_handler`, and
export the result as ``handler``; :func:`asgi_app` serves the same handler locally.
"""

from __future__ import annotations

import importlib
from typing import Any

# Names resolve lazily: the FC handlers import ``fc.http`` and ``fc.router`` only, and the
# ASGI bridge in ``fc.context`` (anyio, starlette types) stays off their cold start.
_HOME = {
    **dict.fromkeys(("Credentials", "FcContext", "FunctionMeta", "ServiceMeta", "asgi_app", "event_from_asgi",
                     "fake_context", "http_from_result"), "context"),
    **dict.fromkeys(("FcHandler", "HttpRequest", "Response", "api_error_for", "decode_event", "encode_response",
                     "error_response", "http_handler"), "http"),
    **dict.fromkeys(("Handler", "Route", "Router"), "router"),
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)


__all__ = [
    "Credentials",
    "FcContext",
    "FcHandler",
    "FunctionMeta",
    "Handler",
    "HttpRequest",
    "Response",
    "Route",
    "Router",
    "ServiceMeta",
    "api_error_for",
    "asgi_app",
    "decode_event",
    "encode_response",
    "error_response",
    "event_from_asgi",
    "fake_context",
    "http_from_result",
    "http_handler",
]
