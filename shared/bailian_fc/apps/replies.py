"""What the apps function's routes answer, as models: the catalogue, the clock and each app's answer."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from ..http.replies import Clock


class Usage(BaseModel):
    input_tokens: int
    output_tokens: int


class AppEntry(BaseModel):
    key: str
    title: str
    mode: str
    prompt_version: str
    roles: list[str]
    configured: bool


class Catalogue(BaseModel):
    apps: list[AppEntry]


class AppsClock(Clock):
    # The apps function owns the venue data connection, so its clock also says whether the DATA_URL
    # login is subject to RLS: `verify` reads it (embedded: no database; refused: 503 DataLoginUnsafe).
    data_login: Literal["embedded", "ok", "refused", "unreachable"]


class RefreshQuery(BaseModel):
    refresh: bool = Field(default=False, description="bypass the cache (manager and admin only)")


def app_answer(key: str, output: type[BaseModel]) -> type[BaseModel]:
    """The answer model of one app: its own output model as ``result``."""
    from typing import Optional

    fields: dict[str, Any] = {
        "app": (Literal[key], ...),
        "request_id": (str, Field(description="this answer's handle: rate it with POST /apps/feedback")),
        "result": (output, ...),
        "cached": (bool, ...),
        "stale": (bool, ...),
        "generated_at": (str, ...),
        "prompt_version": (str, ...),
        "usage": (Usage, ...),
        "meta": (Optional[dict[str, Any]], None),  # noqa: UP045 - create_model wants a runtime type
    }
    if key == "app2_finance":
        from ..venue.figures import FinanceFigures

        fields["figures"] = (FinanceFigures, ...)  # computed from the data, never by the model
    name = "".join(part.capitalize() for part in key.split("_")) + "Answer"
    model: type[BaseModel] = create_model(name, **fields)
    return model
