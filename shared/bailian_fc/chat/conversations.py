"""Conversations in object storage, safe without compare-and-swap.

Layout (``S`` = site, ``U`` = user, both URL-quoted)::

    chat/S/U/turns/<conversation_id>/<turn_id>.json      one record per turn, written create-only
    chat/S/U/meta/<conversation_id>.json                 title and timestamps, last writer wins
    chat/S/U/recent/<updated_ms>-<conversation_id>.json  a copy of meta, keyed by when it was written
    chat/S/U/tombstones/<conversation_id>/…              a claim that never expires: it was deleted

Turn ids are time-ordered, so key order is turn order and concurrent writers never
contend: each creates its own key. A turn record is written once, whole, when the
turn ends (answered, failed or interrupted); meta is a derived summary and may be
rewritten by any turn.

Reads ask the store for "the newest N records under a prefix" (:meth:`Store.newest`):
the last turns of a conversation are the last keys under ``turns/<id>/``, and a user's most
recently updated conversations are the last keys under ``recent/``. Tablestore answers
each with one backward range read; object stores list keys and read only the N chosen.
Each touch writes a new ``recent/`` entry and deletes the one it replaces; two turns of one
conversation finishing together can leave an extra entry, which a listing skips and removes.
A conversation whose ``recent/`` entry is missing (written before the index existed, or lost
to a crash between meta and index) is found again from ``meta/`` when a listing runs out of
entries, and indexed then.

Deleting while a turn streams: DELETE creates the tombstone *before* it removes turns, index
and meta, and a turn checks for the tombstone *after* it wrote its record and meta, removing
what it wrote when it finds one. Whatever the interleaving, either DELETE's removal sees the
turn's writes or the turn sees the tombstone, so a finished turn never brings a deleted
conversation back. Opening a tombstoned conversation is a 404 (a DELETE may have crashed half-way;
repeating it finishes the removal), and re-indexing from ``meta/`` writes, then checks, the same way.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from ..ids import new_id
from ..store import Store, StoreError
from ..store.claims import Claims


def _seg(value: str) -> str:
    return quote(value, safe="")


class ConversationStore:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        self.claims = Claims(store)

    def _base(self, site_id: str, user: str) -> str:
        return f"chat/{_seg(site_id)}/{_seg(user)}"

    def _turns_prefix(self, site_id: str, user: str, conversation_id: str) -> str:
        return f"{self._base(site_id, user)}/turns/{conversation_id}/"

    def _meta_key(self, site_id: str, user: str, conversation_id: str) -> str:
        return f"{self._base(site_id, user)}/meta/{conversation_id}.json"

    def _recent_prefix(self, site_id: str, user: str) -> str:
        return f"{self._base(site_id, user)}/recent/"

    def _recent_key(self, site_id: str, user: str, conversation_id: str, updated_at: float) -> str:
        return f"{self._recent_prefix(site_id, user)}{int(updated_at * 1000):012x}-{conversation_id}.json"

    def _tombstone(self, site_id: str, user: str, conversation_id: str) -> str:
        return f"{self._base(site_id, user)}/tombstones/{conversation_id}"

    def is_deleted(self, site_id: str, user: str, conversation_id: str) -> bool:
        return self.claims.held(self._tombstone(site_id, user, conversation_id))

    @staticmethod
    def new_conversation_id() -> str:
        return new_id("c")

    @staticmethod
    def new_turn_id() -> str:
        return new_id("t")

    def get_meta(self, site_id: str, user: str, conversation_id: str) -> dict[str, Any] | None:
        meta = self.store.get_json(self._meta_key(site_id, user, conversation_id))
        if meta is None or self.is_deleted(site_id, user, conversation_id):
            return None
        return meta

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

    def list_turns(
        self, site_id: str, user: str, conversation_id: str, last: int | None = None
    ) -> list[dict[str, Any]]:
        """The conversation's turns in order; only the ``last`` ones when given (one ordered read)."""
        wanted = sys.maxsize if last is None else last
        records = self.store.newest(self._turns_prefix(site_id, user, conversation_id), wanted)
        return [json.loads(raw) for _, raw in reversed(records)]

    def last_turn(self, site_id: str, user: str, conversation_id: str) -> dict[str, Any] | None:
        turns = self.list_turns(site_id, user, conversation_id, last=1)
        return turns[0] if turns else None

    def list_conversations(self, site_id: str, user: str, limit: int = 20) -> list[dict[str, Any]]:
        """A user's ``limit`` most recently updated conversations, newest first.

        Reads the newest ``recent/`` entries only: one range read on Tablestore, a key listing
        plus ``limit`` reads on object stores; never every conversation's meta.
        """
        if limit <= 0:
            return []
        found: dict[str, dict[str, Any]] = {}
        stale: list[str] = []
        before = ""
        while len(found) < limit:
            asked = limit - len(found)
            batch = self.store.newest(self._recent_prefix(site_id, user), asked, before=before)
            for key, raw in batch:
                meta = json.loads(raw)
                conv = meta.get("conversation_id") if isinstance(meta, dict) else None
                if not conv or conv in found:
                    stale.append(key)  # an older entry of a conversation already listed
                else:
                    found[conv] = meta
            if len(batch) < asked:
                self._index_unlisted(site_id, user, found)
                break
            before = batch[-1][0]
        self._forget(stale)
        metas = sorted(
            found.values(), key=lambda m: (m.get("updated_at", 0), m.get("conversation_id", "")), reverse=True
        )
        return metas[:limit]

    def _index_unlisted(self, site_id: str, user: str, found: dict[str, dict[str, Any]]) -> None:
        """The index ran out: pick up conversations that have meta but no ``recent/`` entry."""
        meta_prefix = f"{self._base(site_id, user)}/meta/"
        for key in self.store.list(meta_prefix):
            conv = key[len(meta_prefix) :].removesuffix(".json")
            if conv in found:
                continue
            meta = self.store.get_json(key)
            if isinstance(meta, dict):
                entry = self._recent_key(site_id, user, conv, meta.get("updated_at", 0))
                self.store.put_json(entry, meta)
                if self.is_deleted(
                    site_id, user, conv
                ):  # written, then checked: never re-index a deleted one
                    self._remove(site_id, user, conv)
                    continue
                found[conv] = meta

    def _forget(self, keys: list[str]) -> None:
        for key in keys:
            try:
                self.store.delete(key)
            except StoreError:
                return  # tidying only: the next listing skips them again

    def delete(self, site_id: str, user: str, conversation_id: str) -> bool:
        """Tombstone, then remove a conversation; False when it did not exist."""
        meta_key = self._meta_key(site_id, user, conversation_id)
        existed = self.store.get(meta_key) is not None or bool(self.turn_keys(site_id, user, conversation_id))
        if not existed:
            return False
        self.claims.claim(self._tombstone(site_id, user, conversation_id), data={"deleted_at": self.clock()})
        self._remove(site_id, user, conversation_id)
        return True

    def _remove(self, site_id: str, user: str, conversation_id: str) -> None:
        """Index entries, turns, then meta (a crash part-way leaves a tombstoned rest that readers skip)."""
        suffix = f"-{conversation_id}.json"
        index = [k for k in self.store.list(self._recent_prefix(site_id, user)) if k.endswith(suffix)]
        for key in [*index, *self.turn_keys(site_id, user, conversation_id)]:
            self.store.delete(key)
        self.store.delete(self._meta_key(site_id, user, conversation_id))

    def discard_if_deleted(self, site_id: str, user: str, conversation_id: str) -> bool:
        """After a turn was stored: if the conversation was deleted meanwhile, remove what it wrote."""
        if not self.is_deleted(site_id, user, conversation_id):
            return False
        self._remove(site_id, user, conversation_id)
        return True

    def touch(
        self,
        site_id: str,
        user: str,
        conversation_id: str,
        *,
        title: str,
        last_turn_id: str,
        created_at: float | None = None,
        previous: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Rewrite meta after a turn (last writer wins: it is a summary, turns are the truth).

        ``previous`` is the meta the turn started from: its ``recent/`` entry is replaced.
        """
        now = self.clock()
        meta = {
            "conversation_id": conversation_id,
            "site_id": site_id,
            "user": user,
            "title": title,
            "created_at": created_at or now,
            "updated_at": now,
            "last_turn_id": last_turn_id,
        }
        self.put_meta(site_id, user, conversation_id, meta)
        fresh = self._recent_key(site_id, user, conversation_id, now)
        self.store.put_json(fresh, meta)
        if previous and isinstance(previous.get("updated_at"), (int, float)):
            old = self._recent_key(site_id, user, conversation_id, previous["updated_at"])
            if old != fresh:
                self.store.delete(old)
        return meta
