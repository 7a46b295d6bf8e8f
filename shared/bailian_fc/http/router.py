"""A tiny method + path router for the FC event functions.

The built-in runtime gives no framework, and the few routes of ``apps`` and ``admin`` do not justify
one: patterns are literal segments and ``{name}`` segments; misses answer the same 404/405 JSON as the
Starlette chat function.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import ApiError
from .fc_event import HttpRequest, Response

Handler = Callable[[HttpRequest], Any]

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    regex: re.Pattern[str]
    handler: Handler


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """``/apps/{key}`` → a regex where each ``{name}`` is one non-empty segment (never containing '/')."""
    if not pattern.startswith("/"):
        raise ValueError(f"route pattern must start with '/': {pattern!r}")
    names: list[str] = []
    parts = []
    for segment in pattern[1:].split("/"):
        param = _PARAM.fullmatch(segment)
        if param:
            if param.group(1) in names:
                raise ValueError(f"duplicate parameter {param.group(1)!r} in {pattern!r}")
            names.append(param.group(1))
            parts.append(f"(?P<{param.group(1)}>[^/]+)")
        elif "{" in segment or "}" in segment:
            raise ValueError(f"a parameter must be a whole segment: {pattern!r}")
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts))


class Router:
    """Routes in registration order; the first whose pattern and method match handles the request."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    @property
    def routes(self) -> list[Route]:
        return list(self._routes)

    def add(self, method: str, pattern: str, fn: Handler) -> Handler:
        method = method.upper()
        if any(r.method == method and r.pattern == pattern for r in self._routes):
            raise ValueError(f"route {method} {pattern} is already registered")
        self._routes.append(Route(method, pattern, compile_pattern(pattern), fn))
        return fn

    def get(self, pattern: str, fn: Handler) -> Handler:
        return self.add("GET", pattern, fn)

    def post(self, pattern: str, fn: Handler) -> Handler:
        return self.add("POST", pattern, fn)

    def put(self, pattern: str, fn: Handler) -> Handler:
        return self.add("PUT", pattern, fn)

    def patch(self, pattern: str, fn: Handler) -> Handler:
        return self.add("PATCH", pattern, fn)

    def delete(self, pattern: str, fn: Handler) -> Handler:
        return self.add("DELETE", pattern, fn)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route for ``method path``; ApiError 404 when no pattern matches, 405 (+ Allow) otherwise.

        HEAD falls back to the GET route (http_handler then drops the body).
        """
        allowed: dict[str, tuple[Route, dict[str, str]]] = {}
        for route in self._routes:
            found = route.regex.fullmatch(path)
            if found and route.method not in allowed:
                allowed[route.method] = (route, found.groupdict())
        if not allowed:
            raise ApiError(404, "NotFound", f"no route for {path}")
        if method in allowed:
            return allowed[method]
        if method == "HEAD" and "GET" in allowed:
            return allowed["GET"]
        methods = sorted(set(allowed) | ({"HEAD"} if "GET" in allowed else set()))
        raise ApiError(
            405, "MethodNotAllowed", f"{method} is not allowed here", headers={"Allow": ", ".join(methods)}
        )

    def dispatch(self, request: HttpRequest) -> Response:
        """Run the matching handler; a plain return value (dict, list, …) becomes a 200 response."""
        route, params = self.match(request.method, request.path)
        request.path_params = params
        result = route.handler(request)
        return result if isinstance(result, Response) else Response(200, result)
