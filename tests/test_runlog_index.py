"""The run-log index: ``GET /admin/runlogs?status=…`` / ``?app=…`` answer exactly what a brute-force
filter would, read only what matches (counted, not timed), and retention never leaves an index entry
behind its record."""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bailian_fc.jobs.dispatcher import JobRun
from bailian_fc.runlog import index
from bailian_fc.runlog import record as runlog
from bailian_fc.runlog.query import RunlogQuery, list_runlogs
from bailian_fc.scheduled.housekeeping import Housekeeping
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore, Store

UTC = timezone.utc
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
APPS = ("app2_finance", "app3_clue_detail", "app6_note_analysis")
SITES = ("site-001", "site-002", "s.3")
STATUSES = ("ok", "error", "rejected")


class CountingStore(Store):
    """Counts the reads (gets and list pages) a request makes; writes go straight through."""

    def __init__(self, inner: Store) -> None:
        self.inner, self.gets, self.lists = inner, 0, 0

    def get(self, key: str) -> bytes | None:
        self.gets += 1
        return self.inner.get(key)

    def put(self, key: str, data: bytes) -> None:
        self.inner.put(key, data)

    def put_if_absent(self, key: str, data: bytes) -> bool:
        return self.inner.put_if_absent(key, data)

    def list_page(self, prefix: str, start_after: str = "", limit: int = 1000) -> list[str]:
        self.lists += 1
        return self.inner.list_page(prefix, start_after, limit)

    def delete(self, key: str) -> None:
        self.inner.delete(key)


def rec(n: int, at: float, app: str, site: str, status: str) -> runlog.RunRecord:
    return runlog.RunRecord(
        app=app, site_id=site, user="u", request_id=f"q{n}", cache="miss", status=status,
        at=at, id=f"r{int(at * 1000):012x}{n:010x}",
    )  # fmt: skip


def page_all(store: Store, **query: Any) -> list[str]:
    ids, cursor = [], None
    for _ in range(1000):
        body = list_runlogs(store, RunlogQuery.model_validate({**query, "cursor": cursor}), NOW)
        ids += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("paging never ended")


row = st.tuples(
    st.floats(min_value=0, max_value=30 * 3600 - 1),  # seconds after the start of the data
    st.sampled_from(APPS),
    st.sampled_from(SITES),
    st.sampled_from(STATUSES),
    st.booleans(),  # the record itself is gone (its put failed, or it was deleted): entries stay
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(  # an older record in the marker's own hour: scanned, not looked up in the index
    old=[(600.0, APPS[0], SITES[0], "error", False)],
    new=[],
    split_hours=1,
    app=None,
    status="error",
    site=None,
    limit=3,
    span_hours=40,
)
@given(
    old=st.lists(row.filter(lambda r: r[0] > 0), max_size=25),
    new=st.lists(row, max_size=40),
    split_hours=st.integers(min_value=0, max_value=12),
    app=st.none() | st.sampled_from(APPS),
    status=st.none() | st.sampled_from(STATUSES),
    site=st.none() | st.sampled_from(SITES),
    limit=st.integers(min_value=1, max_value=7),
    span_hours=st.sampled_from([None, 6, 40]),
)
def test_filtered_pages_equal_a_brute_force_filter(
    old: list[Any], new: list[Any], split_hours: int, app: str | None, status: str | None,
    site: str | None, limit: int, span_hours: int | None,
) -> None:  # fmt: skip
    """Records from before the index (raw puts, up to the marker's hour) and after it, some of them
    gone, on the file store: every filter pages to exactly the brute-force answer, newest first."""
    start = (NOW - timedelta(hours=32, minutes=-30)).timestamp()  # mid-hour: old and new records share one
    split = start + split_hours * 3600
    with tempfile.TemporaryDirectory() as tmp:
        store = FileStore(tmp)
        kept = []
        before = [rec(n, split - t / 10, *rest[:3]) for n, (t, *rest) in enumerate(old)]  # up to 3 h before
        for record, gone in zip(before, [r[4] for r in old], strict=True):
            if not gone:
                store.put_json(runlog.record_key(record), asdict(record))
                kept.append(record)
        opening = rec(999, split, APPS[0], SITES[0], "error")  # the first indexed record: the marker
        runlog.write(store, opening)
        kept.append(opening)
        after = [rec(1000 + n, split + t, *rest[:3]) for n, (t, *rest) in enumerate(new)]
        for i in range(len(after)):
            runlog.write(store, after[i])
            if new[i][4]:
                store.delete(runlog.record_key(after[i]))
            else:
                kept.append(after[i])
        query: dict[str, Any] = {"app": app, "status": status, "site": site, "limit": limit}
        lo, hi = NOW - timedelta(hours=24), NOW
        if span_hours is not None:
            lo, hi = NOW - timedelta(hours=span_hours), NOW
            query.update({"from": lo.isoformat(), "to": hi.isoformat()})
        expected = [
            r.id
            for r in sorted(kept, key=runlog.record_key, reverse=True)
            if lo.timestamp() <= r.at <= hi.timestamp()
            and app in (None, r.app)
            and status in (None, r.status)
            and site in (None, r.site_id)
        ]
        assert page_all(store, **query) == expected


def fill(store: Store, unrelated: int) -> None:
    """12 matching records (app3 errors at site-001) and ``unrelated`` others in the same hours:
    other apps, ok records, and errors at another site."""
    runlog.write(store, rec(99, (NOW - timedelta(days=3)).timestamp(), APPS[0], SITES[0], "ok"))  # marker
    base = (NOW - timedelta(hours=3)).timestamp()
    for n in range(12):
        runlog.write(store, rec(n, base + n * 600, "app3_clue_detail", "site-001", "error"))
    for n in range(unrelated):
        app, site, status = [
            ("app2_finance", "site-001", "ok"),
            ("app6_note_analysis", "site-001", "error"),
            ("app3_clue_detail", "site-002", "error"),
            ("app3_clue_detail", "site-001", "ok"),
        ][n % 4]
        runlog.write(store, rec(100 + n, base + 1 + n * 7200 / max(unrelated, 1), app, site, status))


QUERIES = [
    {"status": "error", "site": "site-001", "app": "app3_clue_detail"},  # a site admin's
    {"app": "app3_clue_detail", "status": "error", "site": "site-001", "limit": 5},
    {"status": "rejected"},  # nothing matches: the marker is the only get
    {"app": "app7_customer_insight"},
]


def test_reads_of_a_filtered_page_do_not_grow_with_unrelated_records(tmp_path):
    """The same filtered pages over a store with no unrelated records and one with 800: the same
    number of gets and list pages (a site admin's status filter included)."""
    counts = []
    for unrelated in (0, 800):
        store = CountingStore(FileStore(tmp_path / str(unrelated)))
        fill(store, unrelated)
        figures = []
        for query in QUERIES:
            store.gets = store.lists = 0
            body = list_runlogs(store, RunlogQuery.model_validate(query), NOW)
            figures.append((len(body["items"]), body["scanned"], store.gets, store.lists))
        counts.append(figures)
    assert counts[0] == counts[1]
    # Reads are what matched (plus the marker); list pages one per hour of the default 24 h (25 hours touched).
    items, scanned, gets, lists = counts[1][0]
    assert (items, scanned, gets, lists) == (12, 12, 13, 25)
    # An app filter with status=ok walks the app index; other apps cost nothing there either.
    store.gets = 0
    body = list_runlogs(store, RunlogQuery(app="app3_clue_detail", status="ok", limit=200), NOW)
    assert store.gets == 1 + len(body["items"]) == 1 + 200


def test_a_missing_record_is_skipped(tmp_path):
    store = FileStore(tmp_path)
    records = [
        rec(n, (NOW - timedelta(minutes=10 + n)).timestamp(), APPS[0], SITES[0], "error") for n in range(3)
    ]
    for record in records:
        runlog.write(store, record)
    store.delete(runlog.record_key(records[1]))
    assert page_all(store, status="error") == [records[0].id, records[2].id]


def test_retention_deletes_index_entries_first_and_never_leaves_one_behind(tmp_path):
    """Old records and their entries go, recent ones stay; at every tick of a small budget, each
    remaining entry still has its record."""
    store = FileStore(tmp_path)
    old, recent = NOW - timedelta(days=100), NOW - timedelta(days=2)
    for n in range(30):
        when = old if n % 2 else recent
        runlog.write(store, rec(n, (when + timedelta(minutes=n)).timestamp(), APPS[n % 3], SITES[0], "error"))
    keeper = Housekeeping(store, Settings(retention_run_log_days=90), wall=lambda: NOW.timestamp())
    resume: dict[str, Any] | None = None
    for part in range(500):
        saved: list[dict[str, Any]] = []
        run = JobRun(
            job="cache_housekeeping", slot=NOW, payload={"budget": 4}, deadline=time.monotonic() + 60,
            part=part, resume=resume, saver=saved.append,
        )  # fmt: skip
        result = keeper(run)
        for key in store.list(index.INDEX_PREFIX):
            entry = index.parse(key)
            if entry is not None:
                hour = datetime.strptime(key[len(index.INDEX_PREFIX) :][:13], "%Y-%m-%d/%H").replace(
                    tzinfo=UTC
                )
                assert store.get(f"runlogs/{hour:%Y-%m-%d}/{hour:%H}/{entry.id}.json") is not None, key
        if result["complete"]:
            break
        resume = saved[-1]
    else:
        raise AssertionError("housekeeping never finished")
    entries = [k for k in store.list(index.INDEX_PREFIX) if index.parse(k)]
    assert len(entries) == 2 * 15 and all(f"{recent:%Y-%m-%d}" in k for k in entries)
    assert len(store.list("runlogs/")) == 15
    assert page_all(store, status="error", **{"from": (NOW - timedelta(days=3)).isoformat()}) != []


def test_index_values_are_encoded_in_key_segments():
    keys = index.entry_keys(at=NOW.timestamp(), id="r1", status="ok", app="a/b~c", site="")
    assert all(index.parse(k) == index.Entry("r1", "ok", "a/b~c", "") for k in keys)
    assert keys[1].split("/")[-2] == "a%2Fb%7Ec"
