"""A store that kills its process after the K-th write, and a job run to kill with it.

Run as a script (``python kill_rig.py URL K NOW MODE``) it opens the store at URL, wraps it in
:class:`KillAfter` and runs one job through the real dispatcher: a timer tick (``tick``) or an
admin-style run-now (``manual``). At the K-th write (put, create-only put or delete) the write
lands, then the process ends with ``os._exit`` (no finally blocks, no atexit: as SIGKILL would).
The parent then checks what the next tick makes of what was left.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from typing import Any

from bailian_fc.jobs import Dispatcher, Job, JobRun, JobStore
from bailian_fc.store import Store, open_store
from bailian_fc.store.base import LIST_PAGE

ITEMS = 4
JOB = "kill_job"
CRON = "0 30 23 * * *"  # a slot at 23:30:00Z every day
CLAIM_TTL = 30.0
KILLED = 137


class KillAfter(Store):
    """Delegates to ``inner``; the ``k``-th write is the process's last act (k=0: never)."""

    def __init__(self, inner: Store, k: int) -> None:
        self.inner = inner
        self.k = k
        self.writes = 0
        self.url = inner.url
        self.max_value_bytes = inner.max_value_bytes
        self.local_reads = inner.local_reads

    def _wrote(self) -> None:
        self.writes += 1
        if self.k and self.writes >= self.k:
            os._exit(KILLED)

    def get(self, key: str) -> bytes | None:
        return self.inner.get(key)

    def put(self, key: str, data: bytes) -> None:
        self.inner.put(key, data)
        self._wrote()

    def put_if_absent(self, key: str, data: bytes) -> bool:
        created = self.inner.put_if_absent(key, data)
        self._wrote()
        return created

    def list_page(self, prefix: str, start_after: str = "", limit: int = LIST_PAGE) -> list[str]:
        return self.inner.list_page(prefix, start_after, limit)

    def delete(self, key: str) -> None:
        self.inner.delete(key)
        self._wrote()


def work(store: Store) -> Any:
    """Four items, a write each, a resume point after each: like the App2 prewarm, in small."""

    def handler(run: JobRun) -> dict[str, Any]:
        start = int((run.resume or {}).get("next", 0))
        for i in range(start, ITEMS):
            store.put(f"work/{i}/{run.part}-{run.trigger}", b"done")
            run.save_resume({"next": i + 1})
        return {"items": ITEMS - start}

    return handler


def dispatcher(store: Store, now: datetime, instance: str) -> Dispatcher:
    jobs = JobStore(store, now=lambda: now)
    return Dispatcher(
        jobs, {JOB: work(store)}, now=lambda: now, instance_id=instance, claim_ttl_seconds=CLAIM_TTL
    )


def seed(store: Store, now: datetime) -> None:
    JobStore(store, now=lambda: now - timedelta(days=1)).seed([{"name": JOB, "cron": CRON, "tz": "UTC"}])


SEEDED = ("seed_a", "seed_b", "seed_c")
CREATED = "created_job"


def define(store: Store, now: datetime, mode: str) -> Any:
    """A cold start's seeding (``seed``) or an admin's job create (``create``), as the functions do them."""
    jobs = JobStore(store, now=lambda: now)
    if mode == "seed":
        return jobs.seed([{"name": name, "cron": CRON, "tz": "UTC"} for name in SEEDED])
    return jobs.create(Job(name=CREATED, kind="", cron=CRON, tz="UTC"), by="admin-1")


def run(store: Store, now: datetime, mode: str) -> Any:
    if mode in ("seed", "create"):
        return define(store, now, mode)
    d = dispatcher(store, now, f"victim-{mode}")
    if mode == "tick":
        return d.tick({"triggerTime": now.isoformat()})
    return d.run_manual({"job": JOB, "site_id": "site-001"})


if __name__ == "__main__":
    url, k, now_text, mode = sys.argv[1:5]
    inner = open_store(url)
    run(KillAfter(inner, int(k)), datetime.fromisoformat(now_text), mode)
    sys.exit(0)
