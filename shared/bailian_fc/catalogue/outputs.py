"""Output parts several apps share, and the base every output model derives from.

Output models are the contracts the miniprogram and admin web render; each app's lives in its
module (``catalogue/apps/``) and ``export-types`` publishes them. Field names follow the
catalogue's contract (docs/contracts.md, docs/apps.md).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Output(BaseModel):
    # Models add keys over time; ignoring extras keeps a harmless extra field from
    # failing a whole reply, while required fields and types are still enforced.
    model_config = ConfigDict(extra="ignore", defer_build=True)


class Clue(Output):
    category: str = Field(min_length=1)
    content: str = Field(min_length=1)
    confidence: float = Field(ge=0, le=1)
