"""The apps function: ``GET /apps``, ``POST /apps/{key}``, ``GET /clock`` and the pickers' lists
(``GET /apps/areas``, ``/apps/clues``, ``/apps/customers``) on FC's python3.10 runtime.

Everything is built once per instance (in ``initialize`` or on the first request) and
reused while the instance is warm. Nothing on the cache-hit path imports ``dashscope``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..auth import Authenticator
from ..clock import SandboxClock
from ..http.fc_entry import HttpEntry
from ..http.fc_event import Response
from ..http.replies import OpenApiDocument
from ..http.route import Reply, Request, Route, bind
from ..http.router import Router
from ..runlog import feedback
from ..settings import Settings, get_settings
from ..store import Store, open_store
from . import lists as picker
from .lists import Lists
from .replies import AppsClock, Catalogue, RefreshQuery, app_answer
from .service import AppsService

TITLE = "bailian-fc apps"


@dataclass
class AppsFunction:
    """The apps function's wiring: settings, store, sandbox clock, authenticator and service."""

    settings: Settings
    store: Store
    clock: SandboxClock
    auth: Authenticator
    service: AppsService

    @classmethod
    def build(cls, settings: Settings | None = None, store: Store | None = None) -> AppsFunction:
        settings = settings or get_settings()
        store = store or open_store(settings.store_url)
        clock = SandboxClock.from_settings(store, settings)
        auth = Authenticator.from_settings(settings)
        return cls(settings, store, clock, auth, AppsService(settings, store, clock))

    def routes(self) -> list[Route]:
        return bind(ROUTES, self)

    def router(self) -> Router:
        return Router(self.routes(), self.auth)

    def openapi(self, request: Request[None, None]) -> dict[str, Any]:
        return document()

    def list_apps(self, request: Request[None, None]) -> dict[str, Any]:
        return {"apps": self.service.catalogue()}

    def run_app(self, request: Request[RefreshQuery, None]) -> Response:
        # The body's model is the app's own (a path parameter picks it): the service validates it.
        result = self.service.run(
            request.caller,
            request.path_params["key"],
            request.json(),
            refresh=request.query.refresh,
            request_id=request.request_id,
        )
        return Response(200, result)

    def rate_answer(self, request: Request[None, feedback.AppRating]) -> dict[str, Any]:
        """👍/👎 on an answer of the caller's site, named by its ``request_id`` (one per user)."""
        caller, body = request.caller, request.body
        ref, trace = feedback.find_answer(
            self.store,
            body.request_id,
            caller.site_id,
            now=self.clock.wall_now(),
            days=self.settings.runlog_payload_retention_days,
        )
        rating = feedback.Rating(rating=body.rating, comment=body.comment)
        at = self.clock.wall_now().timestamp()
        return feedback.rate(self.store, ref, trace, caller.sub, rating, at).model_dump(mode="json")

    def lists(self) -> Lists:
        return Lists(self.service.venue, self.clock)

    def list_areas(self, request: Request[None, None]) -> dict[str, Any]:
        return self.lists().areas(request.caller.site_id).model_dump(mode="json")

    def list_clues(self, request: Request[picker.ClueQuery, None]) -> dict[str, Any]:
        return self.lists().clues(request.caller.site_id, request.query).model_dump(mode="json")

    def list_customers(self, request: Request[picker.CustomerQuery, None]) -> dict[str, Any]:
        return self.lists().customers(request.caller.site_id, request.query).model_dump(mode="json")

    def get_clock(self, request: Request[None, None]) -> dict[str, Any]:
        body: dict[str, Any] = self.service.clock.describe(request.caller.site_id)
        # The venue login verdict (PostgreSQL: connects and checks the login if no read has yet).
        body["data_login"] = self.service.venue.login_verdict()
        return body


def app_variants() -> Sequence[Route]:
    """``POST /apps/{key}`` as one documented route per single-turn app, with its own models."""
    from ..catalogue.registry import CATALOGUE

    def undocumented(request: Request[Any, Any]) -> None:
        raise AssertionError("a variant only documents its route")

    return [
        Route(
            "POST",
            f"/apps/{spec.key}",
            undocumented,
            f"{spec.title} ({spec.key}); cached per site and prompt version",
            Reply(app_answer(spec.key, spec.output_model), "the answer"),
            roles=spec.roles,
            body=spec.input_model,
            query=RefreshQuery,
            errors=(422, 502),
            operation_id=f"post_{spec.key}",
        )
        for spec in CATALOGUE.values()
        if spec.mode == "single" and spec.output_model is not None
    ]


# The apps function's route table; its OpenAPI document is rendered from it.
ROUTES: list[Route] = [
    Route("GET", "/apps", AppsFunction.list_apps, "the app catalogue", Reply(Catalogue, "catalogue")),
    Route(
        "GET",
        "/apps/openapi.json",
        AppsFunction.openapi,
        "this function's OpenAPI 3.1 document",
        Reply(OpenApiDocument, "the document"),
        roles=None,  # public: the contract is no secret
        operation_id="apps_openapi",
        tag="openapi",
    ),
    Route(
        "GET",
        "/apps/areas",
        AppsFunction.list_areas,
        "areas of the caller's site (its latest day with data by the clock's business date)",
        Reply(picker.AreaList, "the areas"),
    ),
    Route(
        "GET",
        "/apps/clues",
        AppsFunction.list_clues,
        "the caller's site's clues by the business date, in id order, one page at a time",
        Reply(picker.CluePage, "one page of clues"),
        query=picker.ClueQuery,
    ),
    Route(
        "GET",
        "/apps/customers",
        AppsFunction.list_customers,
        "the caller's site's customers by the business date, in id order, one page at a time",
        Reply(picker.CustomerPage, "one page of customers"),
        query=picker.CustomerQuery,
    ),
    Route(
        "POST",
        "/apps/feedback",
        AppsFunction.rate_answer,
        "rate an answer of the caller's site 👍/👎 (body names its request_id); a second rating by"
        " the same user replaces the first; another site's answer is a 404",
        Reply(feedback.FeedbackReply, "the rating as stored"),
        body=feedback.AppRating,
        errors=(404,),
    ),
    Route(
        "POST",
        "/apps/{key}",
        AppsFunction.run_app,
        "run one single-turn app; cached per site and prompt version",
        Reply(None, "the answer"),
        query=RefreshQuery,
        variants=app_variants,
    ),
    Route(
        "GET",
        "/clock",
        AppsFunction.get_clock,
        "effective now, business date and sandbox state for the caller's site, and whether the"
        " venue data login is subject to row-level security (`data_login`)",
        Reply(AppsClock, "the clock"),
    ),
]


def document() -> dict[str, Any]:
    """This function's OpenAPI document, rendered from :data:`ROUTES`."""
    from ..http.openapi import function_document  # only when asked: never on an app call

    return function_document(TITLE, ROUTES, tag="apps")


_entry = HttpEntry(AppsFunction.build)
configure = _entry.configure
initialize = _entry.initialize
handler = _entry.handler
