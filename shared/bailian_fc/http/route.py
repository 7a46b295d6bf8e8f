"""One route type for every HTTP function: what it takes, who may call it, what it answers.

A :class:`Route` declares its method and path, the roles that may call it, its query and body
models, its reply model and its summary; the handler gets one :class:`Request` carrying the
validated ``query`` and ``body``, the path parameters, the principal and the request id, and
returns a :class:`~bailian_fc.http.fc_event.Response` or a JSON-able body (a 200). The FC event
adapter (:mod:`.router`) and the ASGI adapter (:mod:`.asgi`) dispatch the same routes through
:func:`prepare`, so authentication, query parsing, body validation and the 400 they answer are
one code path; the OpenAPI documents (:mod:`.openapi`) are rendered from the same routes.

Validation is strict (no string→number, bool→number or number→date-time coercion): a body is
validated as JSON in pydantic's strict mode, and a query string by one rule (:func:`parse_query`).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import re
import types
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from ..auth import ROLES, Authenticator, Principal, require_role
from ..errors import UnsupportedMediaType
from .errors import bad_request, from_validation_error, parse_json_body

Q = TypeVar("Q")
B = TypeVar("B")
M = TypeVar("M", bound=BaseModel)

ANY_ROLE: tuple[str, ...] = ROLES  # any valid token
ADMIN: tuple[str, ...] = ("admin",)
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_INT = re.compile(r"-?[0-9]{1,20}")  # ASCII digits only: "²" is a digit to str.isdigit()
_NUMBER = re.compile(r"-?[0-9]{1,20}(\.[0-9]{1,20})?")
_BOOL = {"true": True, "false": False, "1": True, "0": False}  # what forms and links send


class UndocumentedRoute(ValueError):
    """A client route without a summary or a reply: document it where it is declared."""


@dataclass(frozen=True)
class Reply:
    """A route's success answer for the documents: its status, its model (None: no body)."""

    model: type[BaseModel] | None
    description: str = "OK"
    status: int = 200
    media_type: str = "application/json"
    # A schema the model cannot say (an SSE stream's events), built only when a document is asked for.
    schema: Callable[[], dict[str, Any]] | None = None


@dataclass(frozen=True)
class EventStream:
    """A handler's server-sent events answer (the ASGI adapter only): ``producer(emit)`` writes
    the frames (:class:`~bailian_fc.http.sse.EventStreamResponse`), pings while it is idle."""

    producer: Callable[[Any], Awaitable[None]]
    ping_interval: float = 15.0
    ping: Any = None  # the idle frame (an http.sse.Frame); None: the transport's default comment


@dataclass
class Request(Generic[Q, B]):
    """What every handler gets: the validated ``query`` and ``body`` models (None when the route
    declares none), the raw request beside them, the path parameters and the caller."""

    method: str
    path: str
    query: Q
    body: B
    path_params: dict[str, str]
    principal: Principal | None
    request_id: str
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-cased names
    raw_query: Mapping[str, str] = field(default_factory=dict)
    raw_body: bytes = b""
    context: Any = None  # the FC context (credentials, function meta); None under ASGI

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        """The raw body as JSON (for a route whose body model depends on a path parameter)."""
        return parse_json_body(self.raw_body)

    @property
    def caller(self) -> Principal:
        """The principal of a route that needs a token (never None there)."""
        assert self.principal is not None, "a public route has no caller"
        return self.principal


# ``handler(request) -> Response | body``; a table declares its wiring class's methods,
# ``handler(function, request)``, and :meth:`Route.bound` gives them their function.
Handler = Callable[..., Any]


@dataclass(frozen=True)
class Route:
    """One HTTP route. ``roles`` None: no token needed (the documents, FC hooks, static files).

    ``documented=False`` marks what is not the client API (FC's runtime hooks, the console's
    files); every other route must have a summary and a reply, or it refuses to build.
    ``variants`` documents one route as several operations (``POST /apps/{key}``: one per app).
    """

    method: str
    path: str
    handler: Handler
    summary: str = ""
    reply: Reply | None = None
    roles: tuple[str, ...] | None = ANY_ROLE
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    body_optional: bool = False  # an empty body validates as {}
    json_only: bool = False  # 415 unless the body says Content-Type: application/json
    description: str = ""
    path_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # JSON Schemas
    errors: tuple[int, ...] = ()  # documented beyond the ones every route may answer
    operation_id: str | None = None
    tag: str | None = None
    documented: bool = True
    variants: Callable[[], Sequence[Route]] | None = None
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", self.method.upper())
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}")
        object.__setattr__(self, "regex", compile_pattern(self.path))
        if self.documented and (not self.summary.strip() or self.reply is None):
            raise UndocumentedRoute(f"{self.method} {self.path} needs a summary and a reply")

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.handler)

    def bound(self, owner: Any) -> Route:
        """This route with its handler bound to ``owner`` (a function's wiring): ``handler(request)``."""
        return dataclasses.replace(self, handler=functools.partial(self.handler, owner))


def bind(table: Iterable[Route], owner: Any) -> list[Route]:
    return [route.bound(owner) for route in table]


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


# -- validation: one rule for queries, strict JSON for bodies, one 400 -------------------------


def parse_query(model: type[M], query: Mapping[str, str]) -> M:
    """``query`` (every value a string) as ``model``, by one rule: an empty value is not given;
    a field declared as an integer, a number or a boolean takes ASCII digits, a decimal or
    ``true``/``false`` (or ``1``/``0``); anything else (text, a date-time, an enum) is the string itself. Then
    strict validation, so nothing else is coerced."""
    data: dict[str, Any] = {}
    for name, value in query.items():
        if value.strip() == "":
            continue
        data[name] = _query_value(_kinds(model, name), value)
    try:
        return model.model_validate_json(json.dumps(data), strict=True)
    except ValidationError as exc:
        raise from_validation_error(exc, "query") from None


def _kinds(model: type[BaseModel], name: str) -> set[type]:
    """The scalar types a query field accepts (``int | None`` → {int}); by alias or by name."""
    info = next(
        (f for key, f in model.model_fields.items() if name in (key, f.alias)),
        None,
    )
    if info is None:
        return set()
    found: set[type] = set()
    stack = [info.annotation]
    while stack:
        tp = stack.pop()
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            stack.append(typing.get_args(tp)[0])
        elif origin in (typing.Union, types.UnionType):
            stack.extend(typing.get_args(tp))
        elif isinstance(tp, type):
            found.add(tp)
    return found


def _query_value(kinds: set[type], value: str) -> Any:
    if bool in kinds:
        return _BOOL.get(value, value)  # anything else stays a string, which strict bool refuses
    if int in kinds and _INT.fullmatch(value):
        return int(value)
    if float in kinds and _NUMBER.fullmatch(value):
        return float(value)
    return value


def parse_body(route: Route, raw: bytes, content_type: str | None) -> Any:
    """The body as ``route.body`` (None when the route has no body model)."""
    if route.json_only:
        media = (content_type or "").split(";", 1)[0].strip().lower()
        if media != "application/json":
            raise UnsupportedMediaType("send the body as Content-Type: application/json")
    if route.body is None:
        return None
    if route.body_optional and not raw.strip():
        raw = b"{}"
    data = parse_json_body(raw)  # the bounded parser first: depth, number lengths, NaN
    if not isinstance(data, dict):
        raise bad_request("the request body must be a JSON object")
    try:
        return route.body.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise from_validation_error(exc, "body") from None


def prepare(
    route: Route,
    auth: Authenticator | None,
    *,
    method: str,
    path: str,
    path_params: dict[str, str],
    headers: Mapping[str, str],
    query: Mapping[str, str],
    body: bytes,
    request_id: str,
    context: Any = None,
) -> Request[Any, Any]:
    """The handler's request: the caller checked first, then the query, then the body."""
    principal = None
    if route.roles is not None:
        if auth is None:
            raise ValueError(f"{route.method} {route.path} needs a token but the router has no authenticator")
        principal = auth.authenticate(headers.get("authorization"))
        require_role(principal, *route.roles)
    return Request(
        method=method,
        path=path,
        query=None if route.query is None else parse_query(route.query, query),
        body=parse_body(route, body, headers.get("content-type")),
        path_params=path_params,
        principal=principal,
        request_id=request_id,
        headers=headers,
        raw_query=query,
        raw_body=body,
        context=context,
    )
