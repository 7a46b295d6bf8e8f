"""Conversation housekeeping: finish what a killed turn or DELETE left, and apply retention.

:func:`sweep_conversations` walks the keys under ``chat/`` in byte order, a bounded number per
call, and returns a cursor to resume from (None once the walk is complete; start again from
None on the next cycle). Per user, key order is ``meta/ < recent/ < tombstones/ < turns/``.
What it does (docs/conversations.md has the crash states these come from):

* ``meta/<c>``       no ``recent/`` entry: one is written (then the tombstone checked, as a
                     listing's repair does); with a retention period, a conversation not updated
                     for that long is deleted like a DELETE would (tombstone, then removal).
* ``recent/…-<c>``   an entry whose meta is gone, older than the turn lease (its creator was
                     killed before meta), or of a tombstoned conversation: removed.
* ``tombstones/<c>`` whatever is left of the conversation is removed; once the tombstone is older
                     than the turn lease no turn can still write, nothing can read the
                     conversation, and the tombstone itself is removed.
* ``meta/<c>`` provisional, its pending turn missing, older than the lease: removed (a kill
                     inside the first round trip; its id was never sent).
* ``turns/<c>/…``    turns without meta (orphans), once their lease passed: adopted (meta and an
                     index entry written) when one of them finished, removed when all are only
                     pending questions (no upstream call was made for them: meta comes first).

Every step is idempotent, so a sweep killed anywhere is simply run again.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from ..retention import RetentionRule, Sweep
from ..settings import Settings
from ..store import Store
from .conversations import DEFAULT_TURN_LEASE, TITLE_CHARS, ConversationStore

ROOT = "chat/"
PAGE = 100


def sweep_conversations(
    store: Store,
    *,
    now: float,
    budget: int = 500,
    cursor: str | None = None,
    turn_lease: float = DEFAULT_TURN_LEASE,
    retention_seconds: float | None = None,
) -> tuple[dict[str, int], str | None]:
    """Examine at most ``budget`` keys after ``cursor``; (what was done, where to resume or None)."""
    sweep = _Sweep(store, now, turn_lease, retention_seconds)
    position = cursor or ""
    examined = 0
    while examined < budget:
        wanted = min(PAGE, budget - examined)
        page = store.list_page(ROOT, start_after=position, limit=wanted)
        for key in page:
            examined += 1
            position = key
            jump = sweep.visit(key)
            if jump:
                position = jump
                break
        else:
            if len(page) < wanted:
                return sweep.counts, None
    return sweep.counts, position


def sweep_with_settings(
    store: Store, settings: Settings, *, now: float, budget: int = 500, cursor: str | None = None
) -> tuple[dict[str, int], str | None]:
    """:func:`sweep_conversations` with the lease and retention period the operator configured."""
    days = settings.chat_turn_retention_days
    return sweep_conversations(
        store,
        now=now,
        budget=budget,
        cursor=cursor,
        turn_lease=settings.chat_turn_lease_seconds,
        retention_seconds=days * 86_400 if days > 0 else None,
    )


# What the sweeper counts that deleted something (it also adopts and re-indexes).
DELETIONS = ("orphans_removed", "tombstones_removed", "expired", "deleted_rest", "index_removed")


def _sweep_in_housekeeping(sweep: Sweep, cursor: dict[str, Any], rule: RetentionRule) -> bool:
    """Conversations within housekeeping's budget: orphans, lost index entries, tombstones, retention.
    The walk's own cursor is kept under the rule's name."""
    counts, chat_cursor = sweep_with_settings(
        sweep.store,
        sweep.settings,
        now=sweep.now,
        budget=max(sweep.budget - sweep.ops, 0),
        cursor=cursor.get(rule.name),
    )
    sweep.deleted += sum(counts.get(what, 0) for what in DELETIONS)
    if chat_cursor is None:
        cursor.pop(rule.name, None)
        return True
    cursor[rule.name] = chat_cursor
    return False


RETENTION = [RetentionRule("chat", "chat/", _sweep_in_housekeeping)]


class _Sweep:
    def __init__(self, store: Store, now: float, lease: float, retention: float | None) -> None:
        self.store = store
        self.now = now
        self.lease = lease
        self.retention = retention or None
        self.conversations = ConversationStore(store, clock=lambda: now, turn_lease=lease)
        self.counts: dict[str, int] = {}
        self._recent: dict[tuple[str, str], set[str]] = {}
        self._deleted: dict[tuple[str, str], set[str]] = {}
        self._removed: set[tuple[str, str, str]] = set()  # whole conversations removed by this call

    def count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def visit(self, key: str) -> str | None:
        """Handle one key; a key to continue after instead (to skip the rest of a conversation)."""
        parts = key.split("/")
        if len(parts) < 5:
            return None
        _, s, u, kind, rest = parts[0], parts[1], parts[2], parts[3], parts[4]
        site, user = unquote(s), unquote(u)
        conv = (
            rest.removesuffix(".json").split("-", 1)[-1] if kind == "recent" else rest.removesuffix(".json")
        )
        if (site, user, conv) in self._removed:
            return None  # listed before this call removed it
        if kind == "meta":
            self._meta(site, user, rest.removesuffix(".json"))
        elif kind == "recent":
            self._index_entry(site, user, key, rest)
        elif kind == "tombstones":
            self._tombstone(site, user, rest, key)
        elif kind == "turns":
            self._turns(site, user, rest)
            return f"{'/'.join(parts[:5])}/~"  # past every turn id: one visit per conversation
        return None

    def _deleted_ids(self, site: str, user: str) -> set[str]:
        if (site, user) not in self._deleted:
            self._deleted[(site, user)] = self.conversations.deleted_ids(site, user)
        return self._deleted[(site, user)]

    def _recent_ids(self, site: str, user: str) -> set[str]:
        if (site, user) not in self._recent:
            prefix = self.conversations._recent_prefix(site, user)
            ids = {k[len(prefix) :].split("-", 1)[-1].removesuffix(".json") for k in self.store.list(prefix)}
            self._recent[(site, user)] = ids
        return self._recent[(site, user)]

    def _meta(self, site: str, user: str, conv: str) -> None:
        if conv in self._deleted_ids(site, user):
            return  # its tombstone's visit removes it
        meta: dict[str, Any] | None = None
        if self.retention is not None:
            meta = self.conversations.store.get_json(self.conversations._meta_key(site, user, conv))
            updated = (meta or {}).get("updated_at")
            if isinstance(updated, (int, float)) and updated < self.now - self.retention:
                self.conversations.delete(site, user, conv)
                self._removed.add((site, user, conv))
                self.count("expired")
                return
        if conv in self._recent_ids(site, user):
            return  # an entry's visit checks meta (below)
        meta = meta or self.conversations.store.get_json(self.conversations._meta_key(site, user, conv))
        if not isinstance(meta, dict) or self._cut_short(site, user, conv, meta):
            return
        self._index(site, user, conv, meta)
        self.count("reindexed")

    def _index(self, site: str, user: str, conv: str, meta: dict[str, Any]) -> None:
        entry = self.conversations._recent_key(site, user, conv, float(meta.get("updated_at") or 0))
        self.store.put_json(entry, meta)
        self._recent_ids(site, user).add(conv)
        self.conversations.discard_if_deleted(site, user, conv)  # written, then checked

    def _index_entry(self, site: str, user: str, key: str, name: str) -> None:
        stamp, _, rest = name.partition("-")
        conv = rest.removesuffix(".json")
        if conv in self._deleted_ids(site, user):
            self.store.delete(key)
            self.count("index_removed")
            return
        try:
            written = int(stamp, 16) / 1000
        except ValueError:
            written = 0.0
        if written > self.now - self.lease:
            return  # its conversation may still be being created
        raw = self.store.get(self.conversations._meta_key(site, user, conv))
        meta = _json_or_none(raw)
        if raw is None or (isinstance(meta, dict) and self._cut_short(site, user, conv, meta)):
            self.store.delete(key)
            self.count("index_removed")

    def _cut_short(self, site: str, user: str, conv: str, meta: dict[str, Any]) -> bool:
        """Provisional meta whose pending turn never landed (a kill inside the first round trip),
        older than the lease: removed (its id was never sent). True when meta is not to be indexed."""
        if self.conversations.visible(site, user, conv, meta) is not None:
            return False
        created = meta.get("created_at")
        if isinstance(created, (int, float)) and created < self.now - self.lease:
            self.store.delete(self.conversations._meta_key(site, user, conv))
            self.count("orphans_removed")
        return True

    def _tombstone(self, site: str, user: str, conv: str, key: str) -> None:
        left = (
            self.store.get(self.conversations._meta_key(site, user, conv)) is not None
            or bool(self.conversations.turn_keys(site, user, conv))
            or any(
                k.endswith(f"-{conv}.json")
                for k in self.store.list(self.conversations._recent_prefix(site, user))
            )
        )
        if left:
            self.conversations._remove(site, user, conv)
            self.count("deleted_rest")
        self._removed.add((site, user, conv))
        record = self.store.get_json(key) if key.endswith(".json") else None
        data = record.get("data") if isinstance(record, dict) else None
        when = (data or {}).get("deleted_at") or (record or {}).get("taken_at") or 0
        if isinstance(when, (int, float)) and when < self.now - self.lease:
            self.store.delete(key)
            self.count("tombstones_removed")

    def _turns(self, site: str, user: str, conv: str) -> None:
        if conv in self._deleted_ids(site, user):
            return
        if self.store.get(self.conversations._meta_key(site, user, conv)) is not None:
            return
        keys = self.conversations.turn_keys(site, user, conv)
        turns = [t for t in (self.store.get(k) for k in keys) if t is not None]
        records = [json.loads(raw) for raw in turns]
        if not records:
            return
        newest = max(float(r.get("lease_expires_at") or r.get("created_at") or 0) for r in records)
        if newest + (0 if records[-1].get("lease_expires_at") else self.lease) > self.now:
            return  # young: a turn may still be writing its conversation's meta
        if all(r.get("pending") for r in records):
            for k in keys:
                self.store.delete(k)
            self.count("orphans_removed")
            return
        first, last = records[0], records[-1]
        meta = ConversationStore._meta(
            site,
            user,
            conv,
            str(first.get("message") or "").strip()[:TITLE_CHARS],
            str(last.get("turn_id") or ""),
            float(first.get("created_at") or self.now),
            float(last.get("finished_at") or last.get("created_at") or self.now),
        )
        self._index(site, user, conv, meta)  # the entry first, as a turn writes it
        self.store.put_json_if_absent(self.conversations._meta_key(site, user, conv), meta)
        self.conversations.discard_if_deleted(site, user, conv)
        self.count("adopted")


def _json_or_none(raw: bytes | None) -> Any:
    try:
        return None if raw is None else json.loads(raw)
    except ValueError:
        return None  # unreadable meta is left alone, as before
