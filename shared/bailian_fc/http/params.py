"""Query-string parsing for the admin routes: pydantic models, answered as 400 with field details.

The FC event gives every query value as a string; an empty value (``?app=``) means "not given",
which is how admin web forms send untouched fields.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..clock import bounded_utc
from .errors import ApiError, from_validation_error

M = TypeVar("M", bound=BaseModel)

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
MAX_EPOCH = 253370764799  # 9999-01-01T00:00:00Z, the end of clock.bounded_utc's range


def parse_query(model: type[M], query: Mapping[str, str]) -> M:
    """``query`` validated as ``model``; 400 ValidationError with one detail per bad field."""
    given = {name: value for name, value in query.items() if value.strip() != ""}
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        err = from_validation_error(exc)
        raise ApiError(400, "ValidationError", "the query is invalid", err.details) from None


def parse_instant(value: Any) -> datetime:
    """An aware UTC datetime from ISO-8601 (``Z``/offset; naive = UTC) or epoch seconds.

    Epoch values are always seconds: guessing milliseconds from the magnitude (as some parsers do)
    would silently move a typo'd query by a factor of 1000.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        parsed = _from_epoch(float(value))
    elif isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        parsed = _from_epoch(float(value))
    elif isinstance(value, str):
        text = value.strip()
        if text[-1:] in ("Z", "z"):
            text = text[:-1] + "+00:00"  # Python 3.10's fromisoformat does not take "Z"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("expected ISO-8601 (2026-03-01T08:00:00+08:00) or epoch seconds") from None
    else:
        raise ValueError("expected ISO-8601 or epoch seconds")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return bounded_utc(parsed)


def _from_epoch(seconds: float) -> datetime:
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_EPOCH:
        raise ValueError("epoch seconds out of range")
    return datetime.fromtimestamp(seconds, timezone.utc)
