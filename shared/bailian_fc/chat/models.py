"""Request bodies of the chat routes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..ids import is_id


class ChatContext(BaseModel):
    model_config = ConfigDict(extra="allow")

    page: str | None = Field(default=None, max_length=200)


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    conversation_id: str | None = None
    message: str = Field(min_length=1, max_length=4000)
    context: ChatContext | None = None

    @field_validator("conversation_id")
    @classmethod
    def _known_shape(cls, value: str | None) -> str | None:
        if value is not None and not is_id(value, "c"):
            raise ValueError("conversation_id is not a conversation id")
        return value

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("message is blank")
        return value

    def prompt_params(self) -> dict[str, Any] | None:
        """Page context for the app's prompt variables (``biz_params.user_prompt_params``)."""
        if self.context is None:
            return None
        params = {k: v for k, v in self.context.model_dump().items() if isinstance(v, str | int | float) and v != ""}
        return params or None
