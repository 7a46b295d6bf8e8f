"""The apps function: ``GET /apps``, ``POST /apps/{key}``, ``GET /clock`` and the pickers' lists
(``GET /apps/areas``, ``/apps/clues``, ``/apps/customers``) on FC's python3.10 runtime.

Everything is built once per instance (in ``initialize`` or on the first request) and
reused while the instance is warm. Nothing on the cache-hit path imports ``dashscope``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..auth import Authenticator, Principal
from ..clock import SandboxClock
from ..http.fc_entry import HttpEntry
from ..http.fc_event import HttpRequest, Response
from ..http.router import Router
from ..settings import Settings, get_settings
from ..store import Store, open_store
from .lists import Lists
from .service import AppsService

TRUE = ("1", "true", "yes")

# The route table: (method, path, AppsRuntime method). Its OpenAPI operations are in openapi.py.
ROUTES = (
    ("GET", "/apps", "list_apps"),
    ("GET", "/apps/openapi.json", "openapi"),
    ("GET", "/apps/areas", "list_areas"),
    ("GET", "/apps/clues", "list_clues"),
    ("GET", "/apps/customers", "list_customers"),
    ("POST", "/apps/{key}", "run_app"),
    ("GET", "/clock", "get_clock"),
)


def route_table() -> list[tuple[str, str]]:
    return [(method, path) for method, path, _ in ROUTES]


@dataclass
class AppsRuntime:
    settings: Settings
    store: Store
    clock: SandboxClock
    auth: Authenticator
    service: AppsService

    @classmethod
    def build(cls, settings: Settings | None = None, store: Store | None = None) -> AppsRuntime:
        settings = settings or get_settings()
        store = store or open_store(settings.store_url)
        clock = SandboxClock.from_settings(store, settings)
        auth = Authenticator.from_settings(settings)
        return cls(settings, store, clock, auth, AppsService(settings, store, clock))

    def principal(self, request: HttpRequest) -> Principal:
        return self.auth.authenticate(request.header("authorization"))

    def router(self) -> Router:
        router = Router()
        for method, path, handler in ROUTES:
            router.add(method, path, getattr(self, handler))
        return router

    def openapi(self, request: HttpRequest) -> Response:
        from .openapi import document  # only when asked: never on an app call

        return Response(200, document(route_table()))

    def list_apps(self, request: HttpRequest) -> Response:
        self.principal(request)
        return Response(200, {"apps": self.service.catalogue()})

    def run_app(self, request: HttpRequest) -> Response:
        principal = self.principal(request)
        refresh = request.query.get("refresh", "").lower() in TRUE
        result = self.service.run(
            principal,
            request.path_params["key"],
            request.json(),
            refresh=refresh,
            request_id=request.request_id,
        )
        return Response(200, result)

    def lists(self) -> Lists:
        return Lists(self.service.venue, self.clock)

    def list_areas(self, request: HttpRequest) -> Response:
        principal = self.principal(request)
        return Response(200, self.lists().areas(principal.site_id).model_dump(mode="json"))

    def list_clues(self, request: HttpRequest) -> Response:
        principal = self.principal(request)
        return Response(200, self.lists().clues(principal.site_id, request.query).model_dump(mode="json"))

    def list_customers(self, request: HttpRequest) -> Response:
        principal = self.principal(request)
        return Response(200, self.lists().customers(principal.site_id, request.query).model_dump(mode="json"))

    def get_clock(self, request: HttpRequest) -> Response:
        principal = self.principal(request)
        body = self.service.clock.describe(principal.site_id)
        # The venue login verdict (PostgreSQL: connects and checks the login if no read has yet).
        body["data_login"] = self.service.venue.login_verdict()
        return Response(200, body)


_entry = HttpEntry(AppsRuntime.build)
configure = _entry.configure
initialize = _entry.initialize
handler = _entry.handler
