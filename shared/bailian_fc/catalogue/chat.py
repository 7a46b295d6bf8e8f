"""Request bodies of the chat routes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..ids import is_id

# The only context keys that reach the model. Other keys are kept with the turn (the client's page
# state) but never sent: a client must not choose prompt variables such as ``site_id`` or ``role``.
PROMPT_CONTEXT_KEYS = ("page",)


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

    def prompt_params(self, site_id: str) -> dict[str, Any]:
        """The app's prompt variables (``biz_params.user_prompt_params``): the allow-listed page context
        plus the caller's site, which comes from the token and never from the body."""
        given = self.context.model_dump() if self.context is not None else {}
        params = {
            k: given[k] for k in PROMPT_CONTEXT_KEYS if isinstance(given.get(k), str) and given[k] != ""
        }
        return {**params, "site_id": site_id}
