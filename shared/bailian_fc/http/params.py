"""Query-string parsing for the admin routes: pydantic models, answered as 400 with field details.

The FC event gives every query value as a string; an empty value (``?app=``) means "not given",
which is how admin web forms send untouched fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .errors import ApiError, from_validation_error

M = TypeVar("M", bound=BaseModel)


def parse_query(model: type[M], query: Mapping[str, str]) -> M:
    """``query`` validated as ``model``; 400 ValidationError with one detail per bad field."""
    given = {name: value for name, value in query.items() if value.strip() != ""}
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        err = from_validation_error(exc)
        raise ApiError(400, "ValidationError", "the query is invalid", err.details) from None
