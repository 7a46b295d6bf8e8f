"""Retention: the housekeeping job deletes what is past its period, keeps the rest, and spends at
most its budget per tick, continuing where it stopped (the dispatcher's resume point)."""

from __future__ import annotations

import itertools
import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bailian_fc.chat.conversations import ConversationStore
from bailian_fc.jobs.dispatcher import JobRun
from bailian_fc.jobs.store import JobStore, run_key, slot_stamp
from bailian_fc.retention import RetentionRule, id_time, ordered
from bailian_fc.scheduled.housekeeping import ROOMS, Housekeeping
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)


def an_id(prefix: str, at: datetime, n: int = 0) -> str:
    return f"{prefix}{int(at.timestamp() * 1000):012x}{n:010x}"


def fill(store: FileStore) -> dict[str, list[str]]:
    """Old and recent records of every kind; the keys that must go and those that must stay."""
    old, recent = NOW - timedelta(days=400), NOW - timedelta(days=2)
    JobStore(store, now=lambda: NOW).seed()
    gone, kept = [], []
    for when, bucket in ((old, gone), (recent, kept)):
        for n in range(3):
            bucket.append(f"runlogs/{when:%Y-%m-%d}/{when:%H}/{an_id('r', when, n)}.json")
            bucket.append(run_key("app2_prewarm", an_id("j", when, n)))
            if when == old:  # an older store's flat layout: all written before any day bucket
                bucket.append(f"jobs/runs/app2_prewarm/{an_id('j', when, n + 10)}.json")
            bucket.append(f"runtime/audit/{an_id('a', when, n)}.json")
        slot = slot_stamp(when)
        bucket += [
            f"jobs/claims/app2_prewarm/{slot}/00000000.json",
            f"jobs/claims/app2_prewarm/{slot}-manual.site-001/00000000.json",
            f"jobs/resume/app2_prewarm/{slot}.json",
            f"jobs/queue-claims/{an_id('q', when)}/00000000.json",
        ]
    gone.append(f"jobs/rate/app2_prewarm/{int(old.timestamp()):012d}-000.json")
    kept.append(f"jobs/rate/app2_prewarm/{int(NOW.timestamp()):012d}-000.json")
    kept.append(f"rollups/runlogs/hourly/{old:%Y-%m-%d}/{old:%H}.json")  # roll-ups are kept
    for key in gone + kept:
        store.put_json(key, {"k": key})
    return {"gone": gone, "kept": kept}


def run_until_done(keeper: Housekeeping, budget: int) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    resume: dict[str, Any] | None = None
    for part in range(200):
        saved: list[dict[str, Any]] = []
        run = JobRun(
            job="cache_housekeeping", slot=NOW, payload={"budget": budget}, deadline=time.monotonic() + 60,
            part=part, resume=resume, saver=saved.append,
        )  # fmt: skip
        parts.append(keeper(run))
        if parts[-1]["complete"]:
            return parts
        resume = saved[-1]
    raise AssertionError("housekeeping never finished")


def test_every_kind_is_deleted_after_its_period_in_bounded_resumable_ticks(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    keys = fill(store)
    stray = tmp_path / "runlogs" / ".tmp-killedwriter"
    stray.write_bytes(b"half")
    os.utime(stray, (NOW.timestamp() - 3 * 86400,) * 2)
    fresh_tmp = tmp_path / "runlogs" / ".tmp-writing-now"
    fresh_tmp.write_bytes(b"in flight")
    os.utime(fresh_tmp, (NOW.timestamp(),) * 2)
    keeper = Housekeeping(store, Settings(), wall=NOW.timestamp)
    parts = run_until_done(keeper, budget=7)
    assert len(parts) > 3  # the budget split the work over several ticks
    assert all(p["operations"] <= 7 + 1 for p in parts)  # the budget, plus the key in hand
    assert [k for k in keys["gone"] if store.get(k) is not None] == []
    assert [k for k in keys["kept"] if store.get(k) is None] == []
    assert not stray.exists() and fresh_tmp.exists()
    assert sum(p["deleted"] for p in parts) == len(keys["gone"]) + 1


def test_a_sweep_stops_at_the_first_record_inside_the_period(tmp_path: Path) -> None:
    """Keys are time-ordered: a year of recent records is not listed past the first one kept."""
    store = FileStore(tmp_path)
    JobStore(store, now=lambda: NOW).seed()
    for n in range(300):
        store.put_json(f"runtime/audit/{an_id('a', NOW - timedelta(hours=n))}.json", {})
    [part] = run_until_done(Housekeeping(store, Settings(), wall=NOW.timestamp), budget=10_000)
    assert part["deleted"] == 0 and part["operations"] < 50


def test_housekeeping_sweeps_conversations_with_the_chat_rooms_sweeper(tmp_path: Path) -> None:
    """A DELETE killed after its tombstone: the job finishes it and, past the turn lease, drops the tombstone."""
    store = FileStore(tmp_path)
    then = NOW.timestamp() - 3600  # an hour ago: past the 660 s default turn lease
    conversations = ConversationStore(store, clock=lambda: then)
    conv = conversations.new_conversation_id()
    turn_id, meta = conversations.begin_turn("site-001", "u-1", conv, {"message": "删掉"}, title="删掉")
    record = {"turn_id": turn_id, "message": "删掉", "answer": "好", "created_at": then, "finished_at": then}
    conversations.finish_turn("site-001", "u-1", conv, record, title="删掉", created_at=None, previous=meta)
    conversations.claims.claim(conversations._tombstone("site-001", "u-1", conv), data={"deleted_at": then})
    assert [k for k in store.list("chat/") if "/turns/" in k]  # killed before it removed anything
    parts = run_until_done(Housekeeping(store, Settings(), wall=NOW.timestamp), budget=1000)
    assert store.list("chat/") == [] and sum(p["deleted"] for p in parts) >= 3


def test_a_room_adds_its_own_rule_and_housekeeping_sweeps_it(tmp_path: Path) -> None:
    """Housekeeping knows no prefix: a new room's RETENTION list, added to ROOMS, is swept like the rest."""
    store = FileStore(tmp_path)
    old, recent = NOW - timedelta(days=3), NOW - timedelta(hours=1)
    for when in (old, recent):
        store.put_json(f"visits/{an_id('v', when)}.json", {})
    room = [RetentionRule("visits", "visits/", ordered(id_time), fixed_seconds=86400)]
    keeper = Housekeeping(store, Settings(), wall=NOW.timestamp, rooms=(*ROOMS, room))
    [part] = run_until_done(keeper, budget=1000)
    assert store.list("visits/") == [f"visits/{an_id('v', recent)}.json"]
    assert "visits" in part["cursor"]["finished"]
    [untouched] = run_until_done(Housekeeping(store, Settings(), wall=NOW.timestamp), budget=1000)
    assert "visits" not in untouched["cursor"]["finished"], "only declared rooms are swept"


@pytest.mark.parametrize("name", ["app2_prewarm", "runlog_rollup", "cache_housekeeping"])
def test_retention_is_on_in_the_seed(tmp_path: Path, name: str) -> None:
    jobs = JobStore(FileStore(tmp_path), now=lambda: NOW)
    jobs.seed()
    job = jobs.get(name)
    assert job is not None and job.enabled


def test_a_truncated_record_under_each_prefix_never_stops_housekeeping(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    keys = fill(store)
    prefixes: dict[str, str] = {}
    for key in keys["gone"] + keys["kept"]:
        prefixes.setdefault("/".join(key.split("/")[:2]), key)
    for key in prefixes.values():
        store.put(key, b'{"k": "trunc')  # half a record: an outside edit, another writer, a bug
    for budget in (7, 10_000):
        parts = run_until_done(Housekeeping(store, Settings(), wall=NOW.timestamp), budget=budget)
        assert parts[-1]["complete"]  # finished, every tick saved a resume point that moved on
        cursors = [p["cursor"].get("finished", []) for p in parts]
        assert all(len(a) <= len(b) for a, b in itertools.pairwise(cursors))
        named = {k for p in parts for k in p.get("skipped_keys", [])}
        assert named <= set(prefixes.values())  # most areas judge keys by name; those that read, name
        assert sum(p.get("skipped", 0) for p in parts) == len(named)
