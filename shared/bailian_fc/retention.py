"""Retention rules: each room declares what it writes and when it goes; housekeeping runs them.

A room lists its areas as ``RETENTION = [RetentionRule(name, prefix, sweep, setting), …]`` next to the code
that writes them, and ``scheduled``/``prewarm`` housekeeping collects those lists (one line per
room). A rule's ``sweep`` is one of three shapes:

* :func:`ordered` — keys list in time order: delete from the oldest, stop at the first key inside
  the period (nothing kept is ever listed);
* :func:`each` — every key judged on its own (cache entries, each against its own app's windows);
* a room's own function (the chat room's conversation sweeper, the file store's temp files).

Every sweep spends from one :class:`Sweep` allowance and returns False when it ran out; the cursor
it was given says where to continue on the next tick.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .ids import ID_RE

if TYPE_CHECKING:
    from .settings import Settings
    from .store import Store

log = logging.getLogger(__name__)

DAY = 86400.0


@dataclass
class Sweep:
    """One tick's allowance: ``budget`` store operations, then stop and save the cursor."""

    store: Store
    now: float
    budget: int
    settings: Settings
    deleted: int = 0
    ops: int = 0
    # Keys whose record could not be read: passed, never fatal; the run's summary names them.
    skipped: list[str] = field(default_factory=list)

    @property
    def spent(self) -> bool:
        return self.ops >= self.budget

    def keys(self, prefix: str, after: str) -> Iterator[str]:
        for key in self.store.iter_keys(prefix, start_after=after):
            self.ops += 1
            yield key

    def skip(self, key: str) -> None:
        log.warning("housekeeping skipped unreadable record %s", key)
        self.skipped.append(key)

    def delete(self, key: str) -> None:
        self.store.delete(key)
        self.ops += 1
        self.deleted += 1


Sweeper = Callable[[Sweep, dict[str, Any], "RetentionRule"], bool]
"""(allowance, cursor, rule) → True when the rule's area is done, False when the budget ran out."""


@dataclass(frozen=True)
class RetentionRule:
    name: str  # the area's name in the sweep's cursor
    prefix: str  # the keys it owns ("" for a sweeper that finds its own)
    sweep: Sweeper
    # The setting its period comes from, by name (``retention_*_days``, or ``*_hours``): housekeeping
    # reads it, and a test checks that the function running housekeeping is passed it.
    setting: str | None = None
    fixed_seconds: float = 0.0  # the period when no setting names it
    # For keys kept per job: the rule repeats for each name ``per(store)`` gives, ``{name}`` in its
    # name and prefix filled in (consecutive rules with the same ``per`` go name by name).
    per: Callable[[Store], list[str]] | None = None

    def kept_seconds(self, settings: Settings) -> float:
        if self.setting is None:
            return self.fixed_seconds
        unit = 3600.0 if self.setting.endswith("_hours") else DAY
        return float(getattr(settings, self.setting)) * unit

    def expanded(self, name: str) -> RetentionRule:
        return replace(self, name=self.name.format(name=name), prefix=self.prefix.format(name=name), per=None)


def id_time(name: str) -> float | None:
    """Epoch seconds of a time-ordered id (``j0190…``, after any bucket folders), or None."""
    stem = name.rsplit("/", 1)[-1].removesuffix(".json")
    return int(stem[1:13], 16) / 1000 if ID_RE.match(stem) else None


def ordered(when: Callable[[str], float | None]) -> Sweeper:
    """Keys in time order, kept for the rule's period (``when`` reads a key's time after the prefix;
    None: not ours, kept)."""

    def sweep(allowance: Sweep, cursor: dict[str, Any], rule: RetentionRule) -> bool:
        cutoff = allowance.now - rule.kept_seconds(allowance.settings)
        for key in allowance.keys(rule.prefix, _resume(cursor, rule)):
            at = when(key[len(rule.prefix) :])
            if at is not None and at >= cutoff:
                return True  # everything after this key is newer: kept, and never listed
            if at is not None:
                allowance.delete(key)
            cursor["after"] = key
            if allowance.spent:
                return False
        return True

    return sweep


def each(gone: Callable[[Store, str, float], bool]) -> Sweeper:
    """Keys judged one by one: ``gone(store, key, now)``."""

    def sweep(allowance: Sweep, cursor: dict[str, Any], rule: RetentionRule) -> bool:
        for key in allowance.keys(rule.prefix, _resume(cursor, rule)):
            try:
                expired = gone(allowance.store, key, allowance.now)
            except ValueError:  # an unreadable record (JsonRejected): counted, named, moved past
                allowance.skip(key)
                expired = False
            if expired:
                allowance.delete(key)
            cursor["after"] = key
            if allowance.spent:
                return False
        return True

    return sweep


def _resume(cursor: dict[str, Any], rule: RetentionRule) -> str:
    """Where this area stopped last tick (nothing when the cursor is another area's)."""
    after = cursor.get("after", "") if cursor.get("area") == rule.name else ""
    cursor["area"] = rule.name
    return str(after)
