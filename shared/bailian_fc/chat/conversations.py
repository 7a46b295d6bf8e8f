"""Conversations in object storage, safe without compare-and-swap.

Layout (``S`` = site, ``U`` = user, both URL-quoted)::

    chat/S/U/turns/<conversation_id>/<turn_id>.json      one record per turn, written create-only
    chat/S/U/meta/<conversation_id>.json                 title and timestamps, last writer wins
    chat/S/U/recent/<updated_ms>-<conversation_id>.json  a copy of meta, keyed by when it was written
    chat/S/U/tombstones/<conversation_id>/…              a claim that never expires: it was deleted

Turn ids are time-ordered, so key order is turn order and concurrent writers never
contend: each creates its own key. A turn is written twice: create-only as *pending* (the
question, before any upstream call) and once more, whole, when it ends (answered, failed or
interrupted); only the turn's owner ever writes that key again. A pending turn carries a lease
(``lease_expires_at``, longer than the chat function's timeout, after which FC has killed
whoever streamed it): once it has passed, readers present the turn as interrupted. Meta is a
derived summary and may be rewritten by any turn. The write order, and what a kill after each
write leaves behind, is in docs/conversations.md.

Reads ask the store for "the newest N records under a prefix" (:meth:`Store.newest`):
the last turns of a conversation are the last keys under ``turns/<id>/``, and a user's most
recently updated conversations are the last keys under ``recent/``. Tablestore answers
each with one backward range read; object stores list keys and read only the N chosen.
Each touch writes a new ``recent/`` entry and deletes the one it replaces; two turns of one
conversation finishing together can leave an extra entry, which a listing skips and removes.
A new conversation's pending turn, first index entry and meta are written together, in one
round trip, all marked ``provisional``: provisional meta is shown only once its pending turn
exists, and a provisional entry only once its meta is shown, so a kill in between leaves nothing
visible (the sweep removes it) or a conversation holding its question. Later, an entry is
replaced only after its successor exists, so visible meta always has an entry. A
conversation written before the index existed is found again from ``meta/`` when a listing runs
out of entries, and indexed then.

Deleting while a turn streams: DELETE creates the tombstone *before* it removes turns, index
and meta, and a turn checks for the tombstone *after* it wrote its record and meta, removing
what it wrote when it finds one. Whatever the interleaving, either DELETE's removal sees the
turn's writes or the turn sees the tombstone, so a finished turn never brings a deleted
conversation back; a listing skips tombstoned conversations (one listing of the user's
tombstones, which housekeeping keeps short), so a turn killed between its writes and its check
does not either. Opening a tombstoned conversation is a 404 (a DELETE may have crashed half-way;
repeating it finishes the removal), and re-indexing from ``meta/`` writes, then checks, the same way.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import quote

from ..ids import new_id
from ..store import Store, StoreError
from ..store.claims import Claims

# Longer than the chat function's timeout (600 s in s.yaml): past it, FC has killed the instance
# that streamed a pending turn, so nobody will ever finish it.
DEFAULT_TURN_LEASE = 660.0
TITLE_CHARS = 40  # a conversation's title: the start of its first question


def _seg(value: str) -> str:
    return quote(value, safe="")


def present_turn(record: dict[str, Any], now: float) -> dict[str, Any]:
    """A stored turn as readers see it: a pending turn whose owner is gone reads as interrupted."""
    if not record.get("pending"):
        return record
    lease = record.get("lease_expires_at")
    if isinstance(lease, (int, float)) and lease > now:
        return record  # still streaming somewhere
    return {**record, "pending": False, "interrupted": True, "finish_reason": "interrupted"}


class ConversationStore:
    def __init__(
        self,
        store: Store,
        clock: Callable[[], float] = time.time,
        *,
        turn_lease: float = DEFAULT_TURN_LEASE,
    ) -> None:
        self.store = store
        self.clock = clock
        self.turn_lease = turn_lease
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
        """The conversation's meta as readers see it: None when missing, deleted or never begun.

        Meta and tombstone are read together (one round trip).
        """
        meta, deleted = self.store.gather(
            lambda: self.store.get_json(self._meta_key(site_id, user, conversation_id)),
            lambda: self.is_deleted(site_id, user, conversation_id),
        )
        if deleted:
            return None
        return self.visible(site_id, user, conversation_id, meta)

    def visible(
        self, site_id: str, user: str, conversation_id: str, meta: Any, turn_keys: list[str] | None = None
    ) -> dict[str, Any] | None:
        """``meta`` unless it is a first turn's *provisional* meta whose pending turn never landed.

        A new conversation's pending turn, index entry and meta are written together (one round
        trip), so a kill can leave its meta alone; such meta is invisible (its id was never sent)
        and housekeeping removes it. ``turn_keys``: a listing that already answers the question.
        """
        if not isinstance(meta, dict):
            return None
        if not meta.get("provisional"):
            return meta
        first = f"{self._turns_prefix(site_id, user, conversation_id)}{meta.get('last_turn_id')}.json"
        landed = first in turn_keys if turn_keys is not None else self.store.get(first) is not None
        return {k: v for k, v in meta.items() if k != "provisional"} if landed else None

    def put_meta(self, site_id: str, user: str, conversation_id: str, meta: dict[str, Any]) -> None:
        self.store.put_json(self._meta_key(site_id, user, conversation_id), meta)

    def append_turn(self, site_id: str, user: str, conversation_id: str, turn: dict[str, Any]) -> str:
        """Write a turn record create-only under ``turn["turn_id"]`` (a fresh id if that one is taken)."""
        turn_id = turn.get("turn_id") or self.new_turn_id()
        prefix = self._turns_prefix(site_id, user, conversation_id)
        while not self.store.put_json_if_absent(f"{prefix}{turn_id}.json", {**turn, "turn_id": turn_id}):
            turn_id = self.new_turn_id()  # a 40-bit random collision in the same millisecond: just draw again
        return turn_id

    def begin_turn(
        self,
        site_id: str,
        user: str,
        conversation_id: str,
        turn: dict[str, Any],
        *,
        title: str | None,
        admit: Callable[[int], None] | None = None,
        day_start: float | None = None,
    ) -> tuple[str, dict[str, Any] | None]:
        """Make the question durable before any upstream call; returns (turn id, new meta or None).

        Existing conversation (``title`` None): the pending turn, create-only. New conversation:
        the pending turn, its provisional index entry and its provisional meta (create-only) in
        **one round trip**, together with the count of the user's conversations created since
        ``day_start``, which ``admit`` checks (raising undoes the three writes). The caller sends
        ``meta`` only after this returns. docs/conversations.md has what a kill leaves.
        """
        now = self.clock()
        pending = {**turn, "pending": True, "lease_expires_at": now + self.turn_lease}
        if title is None:
            return self.append_turn(site_id, user, conversation_id, pending), None
        turn_id = turn.get("turn_id") or self.new_turn_id()
        meta = self._meta(site_id, user, conversation_id, title, turn_id, created_at=now, updated_at=now)
        turn_key = f"{self._turns_prefix(site_id, user, conversation_id)}{turn_id}.json"
        entry = self._recent_key(site_id, user, conversation_id, now)
        meta_key = self._meta_key(site_id, user, conversation_id)
        created, made, _, made_meta = self.store.gather(
            lambda: [] if day_start is None else self.created_keys(site_id, user, day_start),
            lambda: self.store.put_json_if_absent(turn_key, {**pending, "turn_id": turn_id}),
            lambda: self.store.put_json(entry, {**meta, "provisional": True}),
            lambda: self.store.put_json_if_absent(meta_key, {**meta, "provisional": True}),
        )
        if not (made and made_meta):  # 40 random bits in the same millisecond: never in practice
            raise StoreError(f"conversation id {conversation_id} is taken")
        if admit is not None:
            try:
                admit(sum(1 for key in cast(list[str], created) if key != meta_key))
            except Exception:
                self._undo_begin(meta_key, entry, turn_key)
                raise
        return turn_id, meta

    def begin_next_turn(
        self, site_id: str, user: str, conversation_id: str, turn: dict[str, Any], *, cap: int
    ) -> tuple[str, dict[str, Any] | None, int]:
        """An existing conversation's pending turn, with its meta, tombstone and turn count read in
        the same round trip: (turn id, meta or None when missing or deleted, turns before it, up to
        ``cap``). The caller removes the turn (:meth:`undo_turn`) when it refuses it; a kill before
        that leaves an orphan (no meta: swept) or one pending turn past the cap (read as interrupted).
        """
        now = self.clock()
        turn_id = turn.get("turn_id") or self.new_turn_id()
        prefix = self._turns_prefix(site_id, user, conversation_id)
        pending = {**turn, "turn_id": turn_id, "pending": True, "lease_expires_at": now + self.turn_lease}
        raw, deleted, keys, made = self.store.gather(
            lambda: self.store.get_json(self._meta_key(site_id, user, conversation_id)),
            lambda: self.is_deleted(site_id, user, conversation_id),
            lambda: self.store.list(prefix, limit=cap + 1),
            lambda: self.store.put_json_if_absent(f"{prefix}{turn_id}.json", pending),
        )
        if not made:  # a 40-bit random collision in the same millisecond: draw again
            turn_id = self.append_turn(site_id, user, conversation_id, pending)
        others = [key for key in cast(list[str], keys) if key != f"{prefix}{turn_id}.json"]
        meta = None if deleted else self.visible(site_id, user, conversation_id, raw, turn_keys=others)
        return turn_id, meta, len(others[:cap])

    def undo_turn(self, site_id: str, user: str, conversation_id: str, turn_id: str) -> None:
        self.store.delete(f"{self._turns_prefix(site_id, user, conversation_id)}{turn_id}.json")

    def _undo_begin(self, meta_key: str, entry: str, turn_key: str) -> None:
        """Refused after writing: meta first (the rest is then invisible), then entry and turn."""
        self.store.delete(meta_key)
        self.store.gather(lambda: self.store.delete(entry), lambda: self.store.delete(turn_key))

    def finish_turn(
        self,
        site_id: str,
        user: str,
        conversation_id: str,
        record: dict[str, Any],
        *,
        title: str,
        created_at: float | None,
        previous: dict[str, Any] | None,
    ) -> bool:
        """The whole turn over its pending record, then index and meta; False when deleted meanwhile.

        A plain put is safe on the turn's key: only the turn that created it writes it again.
        """
        turn_id = record["turn_id"]
        key = f"{self._turns_prefix(site_id, user, conversation_id)}{turn_id}.json"
        now = self.clock()
        meta = self._meta(site_id, user, conversation_id, title, turn_id, created_at or now, now)
        fresh = self._recent_key(site_id, user, conversation_id, now)
        # One round trip: the entry the turn started from still indexes meta until the next one.
        self.store.gather(
            lambda: self.store.put_json(key, {**record, "pending": False}),
            lambda: self.store.put_json(fresh, meta),
            lambda: self.put_meta(site_id, user, conversation_id, meta),
        )
        old = self._previous_entry(site_id, user, conversation_id, previous)
        _, deleted = self.store.gather(  # then the replaced entry goes, and the tombstone is checked
            lambda: self._forget([old] if old and old != fresh else []),
            lambda: self.is_deleted(site_id, user, conversation_id),
        )
        if deleted:
            self._remove(site_id, user, conversation_id)
        return not deleted

    def _previous_entry(
        self, site_id: str, user: str, conversation_id: str, previous: dict[str, Any] | None
    ) -> str | None:
        if previous and isinstance(previous.get("updated_at"), (int, float)):
            return self._recent_key(site_id, user, conversation_id, previous["updated_at"])
        return None

    def turn_keys(self, site_id: str, user: str, conversation_id: str, limit: int | None = None) -> list[str]:
        return self.store.list(self._turns_prefix(site_id, user, conversation_id), limit=limit)

    def created_keys(self, site_id: str, user: str, since: float, *, limit: int | None = None) -> list[str]:
        """Meta keys of the user's conversations created at or after ``since`` (up to ``limit``).

        Conversation ids begin with their creation time in ms, so this is one listing of
        ``meta/`` keys from the first id ``since`` allows: at most ``limit`` keys, whatever the history.
        """
        prefix = f"{self._base(site_id, user)}/meta/"
        first = f"{prefix}c{max(0, int(since * 1000)):012x}"
        return self.store.list(prefix, start_after=first, limit=limit)

    def created_since(self, site_id: str, user: str, since: float, *, limit: int) -> int:
        return len(self.created_keys(site_id, user, since, limit=limit))

    def list_turns(
        self, site_id: str, user: str, conversation_id: str, last: int | None = None
    ) -> list[dict[str, Any]]:
        """The conversation's turns in order; only the ``last`` ones when given (one ordered read)."""
        wanted = sys.maxsize if last is None else last
        records = self.store.newest(self._turns_prefix(site_id, user, conversation_id), wanted)
        now = self.clock()
        return [present_turn(json.loads(raw), now) for _, raw in reversed(records)]

    def turns_page(
        self, site_id: str, user: str, conversation_id: str, *, before: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Up to ``limit`` turns older than turn id ``before``, newest first, and the next cursor.

        One ordered read of ``limit + 1`` records (the extra one only says whether more exist).
        """
        prefix = self._turns_prefix(site_id, user, conversation_id)
        records = self.store.newest(prefix, limit + 1, before=f"{prefix}{before}" if before else "")
        now = self.clock()
        turns = [present_turn(json.loads(raw), now) for _, raw in records[:limit]]
        more = len(records) > limit
        return turns, (turns[-1]["turn_id"] if more and turns else None)

    def get_turn(self, site_id: str, user: str, conversation_id: str, turn_id: str) -> dict[str, Any] | None:
        """One stored turn as written (None: absent or unreadable)."""
        try:
            turn = self.store.get_json(f"{self._turns_prefix(site_id, user, conversation_id)}{turn_id}.json")
        except ValueError:
            return None
        return turn if isinstance(turn, dict) else None

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
        deleted = self.deleted_ids(site_id, user)
        skipped: set[str] = set()
        before = ""
        while len(found) < limit:
            asked = limit - len(found)
            batch = self.store.newest(self._recent_prefix(site_id, user), asked, before=before)
            for key, raw in batch:
                meta = json.loads(raw)
                conv = meta.get("conversation_id") if isinstance(meta, dict) else None
                if not conv or conv in found:
                    stale.append(key)  # an older entry of a conversation already listed
                elif conv in deleted or conv in skipped:
                    continue  # a turn or DELETE killed before its clean-up: housekeeping finishes it
                elif meta.get("provisional"):
                    confirmed = self._confirm(site_id, user, key, meta)
                    if confirmed is None:
                        skipped.add(conv)
                    else:
                        found[conv] = confirmed
                else:
                    found[conv] = meta
            if len(batch) < asked:
                self._index_unlisted(site_id, user, found, deleted)
                break
            before = batch[-1][0]
        self._forget(stale)
        metas = sorted(
            found.values(), key=lambda m: (m.get("updated_at", 0), m.get("conversation_id", "")), reverse=True
        )
        return metas[:limit]

    def deleted_ids(self, site_id: str, user: str) -> set[str]:
        """Ids with a tombstone: one key listing (housekeeping removes tombstones nobody needs)."""
        prefix = f"{self._base(site_id, user)}/tombstones/"
        return {key[len(prefix) :].split("/", 1)[0] for key in self.store.list(prefix)}

    def _confirm(self, site_id: str, user: str, key: str, entry: dict[str, Any]) -> dict[str, Any] | None:
        """A new conversation's first index entry: listed once its meta exists (and then made plain)."""
        conv = entry["conversation_id"]
        meta = self.visible(site_id, user, conv, self.store.get_json(self._meta_key(site_id, user, conv)))
        if meta is None:
            return None  # not created yet, or its creator was killed before meta: housekeeping removes it
        plain = {k: v for k, v in entry.items() if k != "provisional"}
        try:
            self.store.put_json(key, plain)  # repair on read: the next listing needs no meta read
        except StoreError:
            pass
        return plain

    def _index_unlisted(
        self, site_id: str, user: str, found: dict[str, dict[str, Any]], deleted: set[str]
    ) -> None:
        """The index ran out: pick up conversations that have meta but no ``recent/`` entry."""
        meta_prefix = f"{self._base(site_id, user)}/meta/"
        for key in self.store.list(meta_prefix):
            conv = key[len(meta_prefix) :].removesuffix(".json")
            if conv in found:
                continue
            if conv in deleted:  # a DELETE killed before it removed meta: finish it
                self._remove(site_id, user, conv)
                continue
            meta = self.visible(site_id, user, conv, self.store.get_json(key))
            if meta is not None:
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
        """Re-index, then rewrite meta after a turn (last writer wins: a summary, turns are the truth).

        ``previous`` is the meta the turn started from: its ``recent/`` entry is replaced.
        """
        now = self.clock()
        meta = self._meta(site_id, user, conversation_id, title, last_turn_id, created_at or now, now)
        fresh = self._recent_key(site_id, user, conversation_id, now)
        self.store.put_json(fresh, meta)  # the entry first: meta is never without one
        self.put_meta(site_id, user, conversation_id, meta)
        old = self._previous_entry(site_id, user, conversation_id, previous)
        if old and old != fresh:
            self.store.delete(old)
        return meta

    @staticmethod
    def _meta(
        site_id: str,
        user: str,
        conversation_id: str,
        title: str,
        last_turn_id: str,
        created_at: float,
        updated_at: float,
    ) -> dict[str, Any]:
        return {
            "conversation_id": conversation_id,
            "site_id": site_id,
            "user": user,
            "title": title,
            "created_at": created_at,
            "updated_at": updated_at,
            "last_turn_id": last_turn_id,
        }
