"""What an app is: one :class:`AppSpec`, declared in its own module under ``catalogue/apps/``.

A spec carries everything the rest of the package derives from the app: its input and output
models, its prompt and prompt version, who may call it, how long its answer stays fresh, and what
it reads server-side — a ``context`` loader (venue data through :class:`Sources`) or the app it
``derives_from`` (the parent's answer for the same input). ``meta`` says, from that context, what
the answer was computed from; it is returned with the answer and kept with the cache entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel

from .prompts import Prompt

if TYPE_CHECKING:
    from datetime import date

    from ..clock import Reading
    from ..settings import Settings
    from ..venue.port import VenueData

STAFF_UP = ("staff", "manager", "admin", "service")
MANAGERS = ("manager", "admin", "service")


class Sources(Protocol):
    """What a context loader may read: the venue data port, the settings and a memoised range read.

    The apps room implements it (``apps/context.py``); a loader never picks its own site or day: it
    is given the caller's site and the one clock reading of the request.
    """

    venue: VenueData
    settings: Settings

    def read(self, site_id: str, start: date, end: date, reading: Reading) -> list[Any]: ...


ContextLoader = Callable[[Sources, Any, str, "Reading"], Any]
"""(sources, validated input, site, reading) → the prompt's server-side data; raise NotFound /
InvalidInput for an id or area the site lacks (a 4xx before any upstream call)."""


@dataclass(frozen=True)
class AppSpec:
    key: str
    title: str
    mode: Literal["stream", "single"]
    input_model: type[BaseModel]
    output_model: type[BaseModel] | None
    prompt: Callable[[Any, Any], Prompt] | None
    prompt_version: str
    roles: tuple[str, ...] = STAFF_UP
    bare_list_field: str | None = None
    fresh_seconds: int = 3600  # served from cache without asking Bailian
    stale_seconds: int = 24 * 3600  # served only when Bailian fails
    context: ContextLoader | None = None  # what the prompt reads server-side (None: the input only)
    meta: Callable[[Any], dict[str, Any] | None] | None = None  # context → what the answer is from
    derives_from: str | None = None  # the app whose answer (same input, day, clock) is the context
    # Nothing to say (no_data(context) is true; a derived app: its parent had none): answered at once
    # with ``empty`` as the result (None: null) and ``no_data: true``, without asking the model.
    no_data: Callable[[Any], bool] | None = None
    empty: dict[str, Any] | None = None

    @property
    def app_id_setting(self) -> str:
        return f"BAILIAN_APP_ID_{self.key.upper()}"

    def describe(self, configured: bool) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "mode": self.mode,
            "prompt_version": self.prompt_version,
            "roles": list(self.roles),
            "app_id_setting": self.app_id_setting,
            "configured": configured,
        }

    def answer_meta(self, context: Any) -> dict[str, Any] | None:
        return self.meta(context) if self.meta is not None else None

    def has_no_data(self, context: Any) -> bool:
        return self.no_data is not None and self.no_data(context)
