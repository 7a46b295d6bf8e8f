"""Turning a single-turn app's reply text into its output model."""

from __future__ import annotations

import re
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .. import jsonsafe

T = TypeVar("T", bound=BaseModel)

# A fenced block anywhere in the reply: ```json\n...\n``` or ```\n...\n```.
_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n?(.*?)\n?\s*```", re.DOTALL)


class ReplyInvalid(ValueError):
    """The reply is not JSON, or not the app's output model."""

    def __init__(self, message: str, raw_text: str) -> None:
        super().__init__(message)
        self.raw_text = raw_text


def strip_fence(text: str) -> str:
    """The JSON inside a Markdown code fence, or the text itself when there is none."""
    match = _FENCE.search(text)
    return match.group(1).strip() if match else text.strip()


def parse_reply(text: str, model: type[T], bare_list_field: str | None = None) -> T:
    """Strip a fence, wrap a bare list when the app says so, validate with ``model``."""
    body = strip_fence(text)
    try:
        data = jsonsafe.loads(body)  # a NaN or a 5,000-digit number would be cached, then unanswerable
    except jsonsafe.JsonRejected as exc:
        raise ReplyInvalid(f"the reply {exc}", text) from None
    if isinstance(data, list) and bare_list_field:
        data = {bare_list_field: data}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise ReplyInvalid(f"reply does not match {model.__name__}: {errors}", text) from None
