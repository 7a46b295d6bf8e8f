"""The entry points of an FC HTTP function built on this package: handler, initializer, configure.

Everything a function needs (settings, store, clock, its routes) is built once per instance,
in FC's initializer or on the first request, and reused while the instance is warm;
``configure`` swaps it for tests and ``bailian-fc dev``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from .. import logs
from .fc_event import http_handler
from .router import Router


class HttpFunction(Protocol):
    """A function's wiring: its settings and the router of its route table."""

    settings: Any

    def router(self) -> Router: ...


class HttpEntry:
    def __init__(self, build: Callable[[], HttpFunction]) -> None:
        self._build = build
        self.function: HttpFunction | None = None
        self._handler: Callable[..., dict[str, Any]] | None = None

    def configure(self, function: HttpFunction | None) -> None:
        """Install a function's wiring; None forgets it so the next call rebuilds from the environment."""
        self.function = function
        self._handler = (
            None
            if function is None
            else http_handler(function.router(), max_body_bytes=function.settings.max_body_bytes)
        )

    def _ensure(self) -> Callable[..., dict[str, Any]]:
        if self._handler is None:
            logs.install()
            self.configure(self._build())
        assert self._handler is not None
        return self._handler

    def initialize(self, context: Any) -> None:
        """FC initializer: everything is built before the first request."""
        self._ensure()

    def handler(self, event: Any, context: Any) -> dict[str, Any]:
        return self._ensure()(event, context)
