"""The run-log index: what ``GET /admin/runlogs?status=…`` / ``?app=…`` walk instead of every record.

Next to each record (``runlogs/{date}/{hour}/{id}.json``) :func:`write_entries` creates one empty,
create-only key per filterable field, hour first so that retention sweeps it in time order::

    runlog-index/{date}/{hour}/status/{status}/{id}~{status}~{app}~{site}
    runlog-index/{date}/{hour}/app/{app}/{id}~{status}~{app}~{site}

A filtered query lists one of these prefixes per hour, so it reads only the keys (and then the
records) that match, whatever else was logged in that hour. The tail repeats the record's status,
app and site (percent-encoded), so the other filters (a site admin's site) are applied to the key
names before any record is read; the record read stays the authority.

Entries and their record are written together, in one round trip (:func:`record.write`): an
entry may briefly (a put in flight) or, after a failed record put or a kill, lastingly point at
nothing, and the query skips it; a record whose entries failed is the documented gap below.
Retention deletes index hours before record hours (:mod:`bailian_fc.scheduled.housekeeping`).

``runlog-index/since.json`` (create-only, by the first instance that indexes a record) holds the
``at`` of that record. Hours up to and including its hour were (partly) written before the index
existed: the query scans their raw buckets as before. Documented gap: a record written in a later
hour by an instance still running older code (a deploy in progress), or whose index put failed, is
missing from filtered queries (an unfiltered query still lists it).
"""

from __future__ import annotations

import functools
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote, unquote

from ..store import Store, StoreError

log = logging.getLogger("bailian_fc.runlog.index")

INDEX_PREFIX = "runlog-index/"
MARKER_KEY = f"{INDEX_PREFIX}since.json"
DIMENSIONS = ("status", "app")
EMPTY = "="  # a key segment for an empty value ("=" never appears in an encoded one)

# Stores this process has made sure carry the marker (one create-only put per store and process).
_marked: weakref.WeakSet[Store] = weakref.WeakSet()


def encode(value: str | None) -> str:
    return quote(value or "", safe="").replace("~", "%7E") or EMPTY


def decode(segment: str) -> str:
    return "" if segment == EMPTY else unquote(segment)


@dataclass(frozen=True)
class Entry:
    id: str
    status: str
    app: str
    site: str


def hour_prefix(hour: datetime) -> str:
    return f"{INDEX_PREFIX}{hour:%Y-%m-%d}/{hour:%H}/"


def prefix(hour: datetime, dimension: str, value: str) -> str:
    """Where one hour's entries for ``dimension`` = ``value`` are listed."""
    return f"{hour_prefix(hour)}{dimension}/{encode(value)}/"


def entry_keys(*, at: float, id: str, status: str, app: str, site: str) -> list[str]:
    hour = datetime.fromtimestamp(at, timezone.utc)
    tail = "~".join((id, encode(status), encode(app), encode(site)))
    values = {"status": status, "app": app}
    return [f"{prefix(hour, dim, values[dim])}{tail}" for dim in DIMENSIONS]


def parse(key: str) -> Entry | None:
    """The entry a listed key names, or None for anything else."""
    parts = key.rsplit("/", 1)[-1].split("~")
    if len(parts) != 4 or not parts[0]:
        return None
    return Entry(parts[0], *(decode(p) for p in parts[1:]))


def entry_writes(
    store: Store, *, at: float, id: str, status: str, app: str, site: str
) -> list[Callable[[], None]]:
    """The create-only puts that index one record (and, once per process, the marker); each
    never raises (a lost entry is the documented gap, never a failed request)."""
    calls = [
        _quietly(functools.partial(store.put_if_absent, key, b""), f"entry for {id}")
        for key in entry_keys(at=at, id=id, status=status, app=app, site=site)
    ]
    if store not in _marked:
        calls.append(_quietly(lambda: _mark(store, at), "marker"))
    return calls


def write_entries(store: Store, *, at: float, id: str, status: str, app: str, site: str) -> None:
    """Create a record's index entries (and, once per process, the marker) in one round trip."""
    store.gather(*entry_writes(store, at=at, id=id, status=status, app=app, site=site))


def _mark(store: Store, at: float) -> None:
    store.put_json_if_absent(MARKER_KEY, {"v": 1, "since": at})
    _marked.add(store)


def _quietly(call: Callable[[], object], what: str) -> Callable[[], None]:
    def run() -> None:
        try:
            call()
        except StoreError as exc:  # tried again with the next record (the marker) / a documented gap
            log.warning("run log index %s not written: %s", what, exc)

    return run


def indexed_since(store: Store) -> float | None:
    """The ``at`` of the first indexed record, or None when nothing was ever indexed."""
    try:
        raw = store.get_json(MARKER_KEY)
    except ValueError:
        return None
    since = raw.get("since") if isinstance(raw, dict) else None
    return float(since) if isinstance(since, (int, float)) and not isinstance(since, bool) else None
