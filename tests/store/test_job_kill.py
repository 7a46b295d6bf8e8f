"""Job runs killed after every write (the K-th write is the process's last act), then the next tick.

On the file store and the OSS and Tablestore test servers: a child process runs one job through
the real dispatcher over a store that ``os._exit``-s after its K-th write, for every K the run
makes. Afterwards, with the clock past the claim's ttl (an injected clock: nothing sleeps):

* no run record stays ``running``: the killed run reads ``abandoned`` (or its final status);
* the next tick finishes the slot instead of answering ``skipped_claimed`` with nothing done;
* it resumes from the resume point: no item is done twice except the one in flight at the kill;
* a killed run-now leaves a record, and the (job, site) is free again once its claim lapses.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

import kill_rig
import pytest
from conftest import store_url
from kill_rig import CLAIM_TTL, ITEMS, JOB, KILLED, KillAfter

from bailian_fc.jobs import JobStore
from bailian_fc.store import FileStore, Store, open_store

SLOT = datetime(2024, 4, 30, 23, 30, tzinfo=timezone.utc)
KILLED_AT = SLOT + timedelta(minutes=1)
AFTER = KILLED_AT + timedelta(seconds=CLAIM_TTL + 1)  # the heartbeat stopped; the claim lapsed
RIG = str(Path(kill_rig.__file__))


@pytest.fixture(params=["file", "oss", "ots"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], tuple[Store, str]]]:
    """A factory of fresh, empty stores of one kind (one per K), with the URL the child opens."""
    n = iter(range(1000))
    opened: list[Store] = []

    def make() -> tuple[Store, str]:
        i = next(n)
        if request.param == "file":
            url = f"file://{tmp_path / f'store-{i}'}"
        elif request.param == "oss":
            server = request.getfixturevalue("oss_server")
            bucket = f"kill-{uuid.uuid4().hex[:12]}"
            server.create_bucket(bucket)
            url = store_url("oss", bucket, "kill", endpoint=server.endpoint)
        else:
            from bailian_fc.store.ots import OtsStore, create_table

            server = request.getfixturevalue("ots_server")
            table = f"kill_{uuid.uuid4().hex[:12]}"
            root = open_store(f"ots://{server.instance}/{table}?" + urlencode({"endpoint": server.endpoint}))
            assert isinstance(root, OtsStore)
            create_table(root)
            root.close()
            url = f"ots://{server.instance}/{table}/kill?" + urlencode({"endpoint": server.endpoint})
        opened.append(open_store(url))
        return opened[-1], url

    yield make
    for store in opened:
        store.close()


def writes_of_a_whole_run(mode: str) -> int:
    counting = KillAfter(_scratch_store(), 0)
    if mode not in ("seed", "create"):  # those start from an empty store, as a first cold start does
        kill_rig.seed(counting.inner, KILLED_AT)
    kill_rig.run(counting, KILLED_AT, mode)
    return counting.writes


def _scratch_store() -> Store:
    import tempfile

    return FileStore(tempfile.mkdtemp(prefix="kill-count-"))


def kill_at(url: str, k: int, mode: str) -> None:
    proc = subprocess.run(
        [sys.executable, RIG, url, str(k), KILLED_AT.isoformat(), mode],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == KILLED, proc.stderr[-2000:]


def test_a_timer_run_killed_after_any_write_is_resumed_by_the_next_tick(
    fresh: Callable[[], tuple[Store, str]],
) -> None:
    total = writes_of_a_whole_run("tick")
    assert total >= ITEMS * 2 + 5  # the claim, the records, the work, the checkpoints, the settle
    for k in range(1, total + 1):
        store, url = fresh()
        kill_rig.seed(store, KILLED_AT)
        kill_at(url, k, "tick")
        jobs = JobStore(store, now=lambda: AFTER)
        assert all(r.status != "running" for r in jobs.runs(JOB)), k
        result = kill_rig.dispatcher(store, AFTER, "successor").tick({"triggerTime": AFTER.isoformat()})
        [outcome] = result["results"]
        state = jobs.resume_state(JOB, SLOT)
        assert state is not None and state.done, (k, outcome)  # the slot is finished now
        statuses = Counter(r.status for r in jobs.runs(JOB))
        assert statuses["ok"] == 1 and set(statuses) <= {"ok", "abandoned"}, (k, statuses)
        assert jobs.last_run(JOB) is not None and jobs.last_run(JOB).status == "ok"  # type: ignore[union-attr]
        done = Counter(key.split("/")[1] for key in store.list("work/"))
        assert set(done) == {str(i) for i in range(ITEMS)}, (k, done)
        assert sum(done.values()) <= ITEMS + 1, (k, done)  # only the item in flight is done again
        # and a later tick has nothing left to do
        later = AFTER + timedelta(minutes=5)
        again = kill_rig.dispatcher(store, later, "later").tick({"triggerTime": later.isoformat()})
        assert again["results"][0]["status"] in ("skipped_claimed", "not_due"), k


def test_a_killed_run_now_leaves_a_record_and_frees_its_site(fresh: Callable[[], tuple[Store, str]]) -> None:
    total = writes_of_a_whole_run("manual")
    for k in range(1, total + 1):
        store, url = fresh()
        kill_rig.seed(store, KILLED_AT)
        kill_at(url, k, "manual")
        jobs = JobStore(store, now=lambda: KILLED_AT)
        records = jobs.runs(JOB)
        wrote_record = any(key.startswith(f"jobs/runs/{JOB}/") for key in store.list("jobs/runs/"))
        assert len(records) == (1 if wrote_record else 0), k
        late = JobStore(store, now=lambda: AFTER)
        assert all(r.status in ("abandoned", "ok") for r in late.runs(JOB)), k
        # the same (job, site) can run again (forced: the slot's manual claim may have been settled)
        d = kill_rig.dispatcher(store, AFTER, "successor")
        [again] = d.run_manual({"job": JOB, "site_id": "site-001", "force": True})["results"]
        assert again["status"] == "ran", (k, again)


def test_seeding_killed_after_any_write_ends_seeded_once_on_the_next_cold_start(
    fresh: Callable[[], tuple[Store, str]],
) -> None:
    total = writes_of_a_whole_run("seed")
    assert total == len(kill_rig.SEEDED) + 1  # each default create-only, then the marker
    for k in range(1, total + 1):
        store, url = fresh()
        kill_at(url, k, "seed")
        jobs = JobStore(store, now=lambda: AFTER)
        survivors = {j.name for j in jobs.list()}
        assert survivors <= set(kill_rig.SEEDED)
        jobs.seed(
            [{"name": n, "cron": kill_rig.CRON, "tz": "UTC"} for n in kill_rig.SEEDED]
        )  # next cold start
        assert sorted(j.name for j in jobs.list()) == sorted(kill_rig.SEEDED), k
        assert store.get("jobs/seeded.json") is not None
        jobs.delete("seed_a")
        assert jobs.seed([{"name": n, "cron": kill_rig.CRON, "tz": "UTC"} for n in kill_rig.SEEDED]) == []
        assert jobs.get("seed_a") is None  # and from then on, deleted stays deleted


def test_a_job_create_killed_after_any_write_is_either_made_or_not_and_a_retry_settles_it(
    fresh: Callable[[], tuple[Store, str]],
) -> None:
    total = writes_of_a_whole_run("create")
    assert total >= 1
    for k in range(1, total + 1):
        store, url = fresh()
        kill_at(url, k, "create")
        jobs = JobStore(store, now=lambda: AFTER)
        before = jobs.get(kill_rig.CREATED)
        won, job = kill_rig.define(store, AFTER, "create")  # the admin retries
        assert job is not None and job.name == kill_rig.CREATED and job.id.startswith("b")
        if before is None:
            assert won, k
        else:
            assert not won and job.id == before.id, k  # the retry is a 409 naming the first create's id
