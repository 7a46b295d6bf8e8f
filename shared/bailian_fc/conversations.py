"""Conversations in object storage, safe without compare-and-swap.

Layout (``S`` = site, ``U`` = user, both URL-quoted)::

    chat/S/U/turns/<conversation_id>/<turn_id>.json   one record per turn, written create-only
    chat/S/U/meta/<conversation_id>.json              title and timestamps, last writer wins

Turn ids are time-ordered, so key order is turn order and concurrent writers never
contend: each creates its own key. A turn record is written once, whole, when the
turn ends (answered, failed or interrupted); meta is a derived summary and may be
rewritten by any turn.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from .ids import new_id
from .store import Store


def _seg(value: str) -> str:
    return quote(value, safe="")


class ConversationStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _base(self, site_id: str, user: str) -> str:
        return f"chat/{_seg(site_id)}/{_seg(user)}"

    def _turns_prefix(self, site_id: str, user: str, conversation_id: str) -> str:
        return f"{self._base(site_id, user)}/turns/{conversation_id}/"

    def _meta_key(self, site_id: str, user: str, conversation_id: str) -> str:
        return f"{self._base(site_id, user)}/meta/{conversation_id}.json"

    @staticmethod
    def new_conversation_id() -> str:
        return new_id("c")

    @staticmethod
    def new_turn_id() -> str:
        return new_id("t")

    def get_meta(self, site_id: str, user: str, conversation_id: str) -> dict[str, Any] | None:
        return self.store.get_json(self._meta_key(site_id, user, conversation_id))

    def put_meta(self, site_id: str, user: str, conversation_id: str, meta: dict[str, Any]) -> None:
        self.store.put_json(self._meta_key(site_id, user, conversation_id), meta)

    def append_turn(self, site_id: str, user: str, conversation_id: str, turn: dict[str, Any]) -> str:
        """Write a turn record create-only under ``turn["turn_id"]`` (a fresh id if that one is taken)."""
        turn_id = turn.get("turn_id") or self.new_turn_id()
        prefix = self._turns_prefix(site_id, user, conversation_id)
        while not self.store.put_json_if_absent(f"{prefix}{turn_id}.json", {**turn, "turn_id": turn_id}):
            turn_id = self.new_turn_id()  # a 40-bit random collision in the same millisecond: just draw again
        return turn_id

    def turn_keys(self, site_id: str, user: str, conversation_id: str) -> list[str]:
        return self.store.list(self._turns_prefix(site_id, user, conversation_id))

    def list_turns(self, site_id: str, user: str, conversation_id: str, last: int | None = None) -> list[dict[str, Any]]:
        keys = self.turn_keys(site_id, user, conversation_id)
        if last is not None:
            keys = keys[-last:] if last > 0 else []
        turns = (self.store.get_json(k) for k in keys)
        return [t for t in turns if t is not None]

    def last_turn(self, site_id: str, user: str, conversation_id: str) -> dict[str, Any] | None:
        turns = self.list_turns(site_id, user, conversation_id, last=1)
        return turns[0] if turns else None

    def list_conversations(self, site_id: str, user: str, limit: int = 20) -> list[dict[str, Any]]:
        """A user's conversations, most recently updated first."""
        found = (self.store.get_json(k) for k in self.store.list(f"{self._base(site_id, user)}/meta/"))
        metas: list[dict[str, Any]] = [m for m in found if isinstance(m, dict)]
        metas.sort(key=lambda m: (m.get("updated_at", 0), m.get("conversation_id", "")), reverse=True)
        return metas[:limit]

    def delete(self, site_id: str, user: str, conversation_id: str) -> bool:
        """Remove a conversation; False when it did not exist. Meta goes last so a crash leaves it listed."""
        keys = self.turn_keys(site_id, user, conversation_id)
        existed = self.get_meta(site_id, user, conversation_id) is not None or bool(keys)
        for key in keys:
            self.store.delete(key)
        self.store.delete(self._meta_key(site_id, user, conversation_id))
        return existed

    def touch(self, site_id: str, user: str, conversation_id: str, *, title: str, last_turn_id: str,
              created_at: float | None = None) -> dict[str, Any]:
        """Rewrite meta after a turn (last writer wins: it is a summary, turns are the truth)."""
        now = time.time()
        meta = {"conversation_id": conversation_id, "site_id": site_id, "user": user, "title": title,
                "created_at": created_at or now, "updated_at": now, "last_turn_id": last_turn_id}
        self.put_meta(site_id, user, conversation_id, meta)
        return meta
