"""The apps' cache entries: each kept while its own app's fresh + stale window lasts (the registry's
``fresh_seconds``/``stale_seconds``, read at sweep time, so a new app's entries are judged by its own
spec); an entry of an app no longer in the catalogue goes."""

from __future__ import annotations

from ..cache import ResultCache
from ..catalogue.registry import CATALOGUE
from ..retention import RetentionRule, each
from ..store import Store


def cache_entry_gone(store: Store, key: str, now: float) -> bool:
    spec = CATALOGUE.get(key.split("/")[1])
    entry = ResultCache(store).get(key)
    return spec is None or entry is None or entry.age(now) > spec.fresh_seconds + spec.stale_seconds


RETENTION = [RetentionRule("cache", "cache/", each(cache_entry_gone))]
