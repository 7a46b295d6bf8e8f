"""Request bodies of the chat routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..ids import is_id
from .inputs import ID_PATTERN, RangeName

if TYPE_CHECKING:
    from ..clock import Reading

# The page context that reaches the model: which page the question is asked from and what it shows.
# Other keys are kept with the turn (the client's page state) but never sent: a client must not
# choose prompt variables such as ``site_id``, ``role`` or the business date.
PAGE_KEYS = {  # page -> the keys that page may (must, when listed first) name
    "chat": (),
    "finance": ("range", "area"),
    "clue": ("clue_id", "customer_id"),  # the clue, and the customer it belongs to (optional)
    "customer": ("customer_id",),
}
PROMPT_CONTEXT_KEYS = ("page", "range", "area", "clue_id", "customer_id")
PageName = Literal["chat", "finance", "clue", "customer"]


class ChatContext(BaseModel):
    """The page a question is asked from, validated strictly (no coercion); the ids are checked
    against the caller's site before any upstream call (``chat/page.py``: another site's is a 404)."""

    model_config = ConfigDict(extra="allow", strict=True)

    page: PageName | None = None
    range: RangeName | None = None
    area: str | None = Field(default=None, min_length=1, max_length=40)
    clue_id: str | None = Field(default=None, pattern=ID_PATTERN)
    customer_id: str | None = Field(default=None, pattern=ID_PATTERN)

    @model_validator(mode="after")
    def _fits_the_page(self) -> ChatContext:
        named = {k for k in PROMPT_CONTEXT_KEYS[1:] if getattr(self, k) is not None}
        allowed = set(PAGE_KEYS[self.page]) if self.page is not None else set()
        if named - allowed:
            raise ValueError(f"{sorted(named - allowed)} do not belong to page {self.page!r}")
        required = PAGE_KEYS[self.page][0] if self.page in ("clue", "customer") else None
        if required is not None and required not in named:
            raise ValueError(f"page {self.page!r} names the {required} it shows")
        return self


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

    def prompt_params(self, site_id: str, reading: Reading | None = None) -> dict[str, Any]:
        """The app's prompt variables (``biz_params.user_prompt_params``): the page context, the
        caller's site (from the token, never the body) and the business date and effective now of
        the site's clock reading (a sandbox's, under a sandbox), all strings."""
        given = self.context.model_dump() if self.context is not None else {}
        params = {
            k: given[k] for k in PROMPT_CONTEXT_KEYS if isinstance(given.get(k), str) and given[k] != ""
        }
        if reading is not None:
            params["business_date"] = reading.business_date.isoformat()
            params["now"] = reading.now.isoformat()
        return {**params, "site_id": site_id}
