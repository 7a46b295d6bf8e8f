"""Per-user bounds on what a chat turn may store, checked before anything is written.

Each is a setting (``.env.example``, passed through ``s.yaml``); the error codes are part of the
API (docs/contracts.md, "Chat limits"):

* ``ContextTooLarge`` (413): the request's ``context``, as stored (compact JSON), is above
  ``CHAT_MAX_CONTEXT_BYTES``. It is stored with every turn, so it is bounded on its own, well
  under the request body limit.
* ``TooManyTurns`` (429): the conversation already holds ``CHAT_MAX_TURNS_PER_CONVERSATION``
  turns; start a new conversation. Counted with one key listing of at most that many keys.
* ``TooManyConversations`` (429, ``Retry-After``: the next business day): the user already has
  ``CHAT_MAX_CONVERSATIONS_PER_DAY`` conversations created this business day (``BUSINESS_TZ``,
  ``BUSINESS_DAY_START``, live clock). Conversation ids start with their creation time, so this is
  one key listing from the day's first possible id, at most that many keys, made in the same round
  trip as the conversation's first writes (which are undone when it refuses). Concurrent creations
  can each pass the check, so the bound can be exceeded by the number of turns started at the
  same moment; a deleted conversation frees its slot.

The stored length of a model reply (``CHAT_MAX_STORED_ANSWER_CHARS``) is applied when the turn
is saved, not here: the live stream is never cut, only the stored copy is, and marked
``answer_truncated: true`` with the full length in ``answer_chars`` (service.py).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..clock import BusinessCalendar
from ..errors import LimitReached, TooLarge
from ..settings import Settings
from ..store import dump_json


def check_context(context: dict[str, Any] | None, settings: Settings) -> None:
    if context is None:
        return
    size = len(dump_json(context))
    if size > settings.chat_max_context_bytes:
        raise TooLarge(
            f"context is {size} bytes as stored; the limit is {settings.chat_max_context_bytes}",
            code="ContextTooLarge",
        )


def check_turns(count: int, settings: Settings) -> None:
    """``count``: the conversation's turns before this one, listed up to the cap."""
    cap = settings.chat_max_turns_per_conversation
    if count >= cap:
        raise LimitReached(
            f"this conversation has reached {cap} turns: start a new conversation", code="TooManyTurns"
        )


def business_day(now: float, settings: Settings) -> tuple[float, float]:
    """(start, end) of the business day ``now`` falls in, as epoch seconds."""
    calendar = BusinessCalendar.from_settings(settings)
    start, end = calendar.day_bounds(calendar.business_date(datetime.fromtimestamp(now, timezone.utc)))
    return start.timestamp(), end.timestamp()


def check_new_conversation(created_today: int, now: float, settings: Settings) -> None:
    """``created_today``: the user's other conversations created since the business day started."""
    cap = settings.chat_max_conversations_per_day
    if created_today >= cap:
        raise LimitReached(
            f"{cap} conversations a day: continue one of today's, or try again tomorrow",
            code="TooManyConversations",
            retry_after=max(1.0, business_day(now, settings)[1] - now),
        )
