"""The FC event adapter's router: :class:`~.route.Route` tables matched by method and path.

The built-in runtime gives no framework, and the few routes of ``apps`` and ``admin`` do not justify
one: patterns are literal segments and ``{name}`` segments; misses answer the same 404/405 JSON as the
Starlette chat function. Every route goes through :func:`.route.prepare`, as under ASGI.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..auth import Authenticator
from .errors import ApiError
from .fc_event import HttpRequest, Response
from .route import Handler, Route, prepare


class Router:
    """Routes in registration order; the first whose pattern and method match handles the request."""

    def __init__(self, routes: Iterable[Route] = (), auth: Authenticator | None = None) -> None:
        self.auth = auth
        self._routes: list[Route] = []
        for route in routes:
            self.add(route)

    @property
    def routes(self) -> list[Route]:
        return list(self._routes)

    def add(self, route: Route) -> Route:
        if route.is_async:
            raise ValueError(f"{route.method} {route.path}: an FC event function's handlers are sync")
        if any(r.method == route.method and r.path == route.path for r in self._routes):
            raise ValueError(f"route {route.method} {route.path} is already registered")
        self._routes.append(route)
        return route

    def _plain(self, method: str, pattern: str, fn: Handler) -> Route:
        """An undocumented, public route (tests, static files): the same Request, no models."""
        return self.add(Route(method, pattern, fn, roles=None, documented=False))

    def get(self, pattern: str, fn: Handler) -> Route:
        return self._plain("GET", pattern, fn)

    def post(self, pattern: str, fn: Handler) -> Route:
        return self._plain("POST", pattern, fn)

    def put(self, pattern: str, fn: Handler) -> Route:
        return self._plain("PUT", pattern, fn)

    def delete(self, pattern: str, fn: Handler) -> Route:
        return self._plain("DELETE", pattern, fn)

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
        req = prepare(
            route,
            self.auth,
            method=request.method,
            path=request.path,
            path_params=params,
            headers=request.headers,
            query=request.query,
            body=request.body,
            request_id=request.request_id,
            context=request.context,
        )
        result: Any = route.handler(req)
        return result if isinstance(result, Response) else Response(200, result)
