"""The chat routes' query models and what they answer, as models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

PAGE = Field(default=20, ge=1, le=100, description="items per page")


class ConversationListQuery(BaseModel):
    before: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{12}-c[0-9a-f]{22}$", description="next_before of the previous page"
    )
    limit: int = PAGE


class ConversationPageQuery(BaseModel):
    before: str | None = Field(
        default=None, pattern=r"^t[0-9a-f]{22}$", description="next_before of the previous page"
    )
    limit: int = PAGE


class ConversationSummary(BaseModel):
    conversation_id: str
    title: str
    created_at: float
    updated_at: float


SKIPPED = Field(default=0, description="records of this page that were unreadable and left out (logged)")


class ConversationList(BaseModel):
    conversations: list[ConversationSummary]
    next_before: str | None = Field(
        default=None, description="pass as before for the next (older) page; null: no more"
    )
    skipped: int = SKIPPED


class ConversationPage(ConversationSummary):
    """One conversation with a page of its turns, newest first."""

    turns: list[dict[str, Any]]
    next_before: str | None = Field(description="pass as before for the next (older) page; null: no more")
    skipped: int = SKIPPED
