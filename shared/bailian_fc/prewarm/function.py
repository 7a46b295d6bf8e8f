"""The prewarm function: FC's ``@every 5m`` timer tick dispatches due jobs; ``s invoke`` runs one now.

Events:
* timer tick ``{"triggerTime", "triggerName", "payload": "<json string>"}`` → every due job;
* manual ``{"job": "app2_prewarm", "site_id"?: "...", "force"?: true}`` → that job at once.

Each tick first drains the admin's "run now" queue (``jobs/queue/``): a queued run is
claimed (bailian_fc.store.claims), run as a manual run, then removed, so two ticks never run it twice;
a tick that crashed mid-run leaves a claim that expires after the function timeout.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from .. import logs
from ..apps.service import AppsService
from ..cache import ResultCache
from ..catalogue.registry import CATALOGUE
from ..clock import RuntimeClock
from ..jobs.dispatcher import Dispatcher, JobRun
from ..jobs.queue import claim_entry, finish_entry, list_queue
from ..jobs.seed import DEFAULT_JOBS
from ..jobs.store import JobStore
from ..settings import Settings, get_settings
from ..store import Store, open_store
from .app2 import App2Prewarm

log = logging.getLogger("bailian_fc.prewarm")

TIMEOUT_MARGIN_SECONDS = 30.0


@dataclass
class PrewarmRuntime:
    settings: Settings
    store: Store
    jobs: JobStore
    service: AppsService

    @classmethod
    def build(cls, settings: Settings | None = None, store: Store | None = None) -> PrewarmRuntime:
        settings = settings or get_settings()
        store = store or open_store(settings.store_url)
        clock = RuntimeClock.from_settings(store, settings)
        return cls(settings, store, JobStore(store), AppsService(settings, store, clock))

    def handlers(self) -> dict[str, Any]:
        return {
            "app2_prewarm": App2Prewarm(
                self.service,
                self.service.venue,
                concurrency=self.settings.prewarm_concurrency,
                qps=self.settings.prewarm_qps,
            ),
            "cache_housekeeping": self.housekeeping,
            "runlog_rollup": self.rollup,
        }

    def dispatcher(self, context: Any) -> Dispatcher:
        timeout = float(getattr(getattr(context, "function", None), "timeout", 0) or 900)
        return Dispatcher(
            self.jobs,
            self.handlers(),
            instance_id=getattr(context, "request_id", None),
            deadline_seconds=max(timeout - TIMEOUT_MARGIN_SECONDS, timeout / 2),
            timeout_seconds=timeout,
        )

    def handle(self, event: Any, context: Any) -> dict[str, Any]:
        dispatcher = self.dispatcher(context)
        queued = self.drain_queue(dispatcher) if not _is_manual(event) else []
        result = dispatcher.handle(event)
        if queued:
            result["queued"] = queued
        return result

    def drain_queue(self, dispatcher: Dispatcher) -> list[dict[str, Any]]:
        results = []
        for entry in list_queue(self.store):
            taken = claim_entry(
                self.store, entry["id"], dispatcher.instance_id, dispatcher.timeout.total_seconds()
            )
            if taken is None:
                continue  # another tick has it (or had it and is done)
            claim, record = taken
            manual = {k: record[k] for k in ("job", "site_id", "force") if record.get(k) is not None}
            try:
                results.append(dispatcher.run_manual(manual))
            finally:
                finish_entry(self.store, claim, entry["id"])
        return results

    # -- small jobs ----------------------------------------------------------------------------

    def housekeeping(self, run: JobRun) -> dict[str, Any]:
        """Delete cache entries past their stale window and leases long expired."""
        cache = ResultCache(self.store)
        now = cache.wall()
        deleted = 0
        for key in self.store.list("cache/"):
            spec = CATALOGUE.get(key.split("/")[1])
            entry = cache.get(key)
            if spec is None or entry is None or entry.age(now) > spec.fresh_seconds + spec.stale_seconds:
                self.store.delete(key)
                deleted += 1
        for key in self.store.list("leases/"):
            lease = self.store.get_json(key)
            if not isinstance(lease, dict) or float(lease.get("expires_at") or 0) < now - 3600:
                self.store.delete(key)
                deleted += 1
        return {"deleted": deleted}

    def rollup(self, run: JobRun) -> dict[str, Any]:
        from ..runlog.dashboard import rollup_pending  # the admin side owns the rollup format

        return rollup_pending(self.store, budget_seconds=max(run.remaining() - TIMEOUT_MARGIN_SECONDS, 1.0))


def _is_manual(event: Any) -> bool:
    try:
        data = json.loads(event) if isinstance(event, bytes | str) else event
    except ValueError:
        return False
    return isinstance(data, dict) and "job" in data


_runtime: PrewarmRuntime | None = None


def configure(runtime: PrewarmRuntime | None) -> None:
    global _runtime
    _runtime = runtime


def _ensure() -> PrewarmRuntime:
    if _runtime is None:
        configure(PrewarmRuntime.build())
    assert _runtime is not None
    return _runtime


def initialize(context: Any) -> None:
    """FC initializer: build the runtime and seed the default jobs (create-only: edits survive)."""
    logs.install()
    created = _ensure().jobs.seed(DEFAULT_JOBS)
    if created:
        log.info("jobs seeded", extra={"fields": {"event": "jobs.seeded", "jobs": created}})


def handler(event: Any, context: Any) -> dict[str, Any]:
    logs.install()
    with logs.bound(logs.pick_request_id(getattr(context, "request_id", None))):
        runtime = _ensure()
        if not runtime.jobs.list():
            initialize(context)  # e.g. `bailian-fc invoke` without the initializer, or a wiped store
        return runtime.handle(event, context)
