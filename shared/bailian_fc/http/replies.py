"""Reply models more than one function answers with: the clock and the OpenAPI document itself.

Reply models document and type what a route returns; they allow more properties than they name
(a reply may grow a field without breaking a client), and every field they name is always there.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Clock(BaseModel):
    """Effective now and business date of one site (``GET /clock``, the admin's runtime context)."""

    now: str
    business_date: str
    tz: str
    day_start: str
    sandbox: bool
    scope: str | None
    expires_at: str | None
    mode: str | None


class OpenApiDocument(BaseModel):
    """A function's OpenAPI 3.1 document (rendered from its routes)."""

    model_config = ConfigDict(extra="allow")

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
