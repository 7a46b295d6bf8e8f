"""When to reuse Bailian's cloud session and when to rebuild the context ourselves.

A Bailian session lives 1 hour and holds at most 50 turns. Each stored turn carries the
session it used, when that session started and its turn number in it; the next turn
reuses the session while it is younger than ``max_age`` and has fewer than ``max_turns``
turns, otherwise it sends ``messages`` rebuilt from the stored turns and starts afresh.
A safety margin (1/60 of the lifetime: one minute of the hour) keeps us off the
exact expiry edge, where a turn could start in a session that dies mid-answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SessionPlan:
    session_id: str | None  # reuse this cloud session, or None for a new one
    started_at: float  # when the session this turn belongs to started (provisional for new ones)
    turn_number: int  # this turn's number inside that session (1-based)
    rebuild: bool  # send messages rebuilt from stored turns


def plan_session(turns: list[dict[str, Any]], now: float, *, max_age: float, max_turns: int) -> SessionPlan:
    last = next((t for t in reversed(turns) if t.get("bailian_session_id")), None)
    if last is not None:
        age = now - float(last.get("session_started_at") or 0)
        number = int(last.get("session_turn") or max_turns)
        if age < max_age * (59 / 60) and number < max_turns:
            return SessionPlan(
                last["bailian_session_id"], float(last["session_started_at"]), number + 1, False
            )
    return SessionPlan(None, now, 1, rebuild=any(t.get("answer") for t in turns))


def rebuild_messages(turns: list[dict[str, Any]], message: str, history_turns: int) -> list[dict[str, str]]:
    """The last ``history_turns`` answered turns as user/assistant messages, then the new message."""
    answered = [t for t in turns if t.get("message") and t.get("answer")][-history_turns:]
    messages: list[dict[str, str]] = []
    for t in answered:
        messages.append({"role": "user", "content": t["message"]})
        messages.append({"role": "assistant", "content": t["answer"]})
    messages.append({"role": "user", "content": message})
    return messages
