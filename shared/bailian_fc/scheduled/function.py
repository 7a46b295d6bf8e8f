"""The prewarm function: FC's ``@every 5m`` timer tick dispatches due jobs; ``s invoke`` runs one now.

Events:
* timer tick ``{"triggerTime", "triggerName", "payload": "<json string>"}`` → every due job;
* manual ``{"job": "app2_prewarm", "site_id"?: "...", "force"?: true}`` → that job at once.

Each tick first drains the admin's "run now" queue (``jobs/queue/``): a queued run is
claimed (bailian_fc.store.claims), run as a manual run, then removed, so two ticks never run it twice;
a tick that crashed mid-run leaves a claim that expires after the function timeout. The drain
shares the invocation's deadline and uses at most ``DRAIN_SHARE`` of it: what it cannot start
stays queued for the next tick, and the scheduled jobs keep the rest of the time.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from .. import logs
from ..apps.service import AppsService
from ..clock import SandboxClock
from ..jobs.dispatcher import Dispatcher, JobRun
from ..jobs.queue import claim_entry, finish_entry, list_queue
from ..jobs.rate import SharedRate
from ..jobs.seed import default_jobs
from ..jobs.store import JobStore
from ..settings import Settings, get_settings
from ..store import Store, open_store
from .alerts import Alerts
from .app2 import App2Prewarm
from .housekeeping import Housekeeping

log = logging.getLogger("bailian_fc.scheduled")

TIMEOUT_MARGIN_SECONDS = 30.0
DRAIN_SHARE = 0.5  # of the invocation's deadline: queued run-nows never starve the scheduled jobs


@dataclass
class ScheduledFunction:
    """The prewarm function's wiring: settings, store, job store and the apps service it warms."""

    settings: Settings
    store: Store
    jobs: JobStore
    service: AppsService

    @classmethod
    def build(cls, settings: Settings | None = None, store: Store | None = None) -> ScheduledFunction:
        settings = settings or get_settings()
        store = store or open_store(settings.store_url)
        clock = SandboxClock.from_settings(store, settings)
        return cls(settings, store, JobStore(store), AppsService(settings, store, clock))

    def handlers(self) -> dict[str, Any]:
        return {
            "app2_prewarm": App2Prewarm(
                self.service,
                self.service.venue,
                concurrency=self.settings.prewarm_concurrency,
                qps=self.settings.prewarm_qps,
                # one budget per job across timer, manual and run-now runs on every instance
                limiter=SharedRate(self.store, "app2_prewarm", self.settings.prewarm_qps),
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
            claim_ttl_seconds=self.settings.job_claim_ttl_seconds,
        )

    def handle(self, event: Any, context: Any) -> dict[str, Any]:
        dispatcher = self.dispatcher(context)
        queued = self.drain_queue(dispatcher) if not _is_manual(event) else []
        result = dispatcher.handle(event)
        if queued:
            result["queued"] = queued
        # After the jobs: what went wrong is sent to the group robot (never on a request's path).
        result["alerts"] = Alerts(self.settings, self.store, self.jobs).tick()
        return result

    def drain_queue(self, dispatcher: Dispatcher) -> list[dict[str, Any]]:
        """Run queued run-nows within ``DRAIN_SHARE`` of the deadline; the rest wait for the next tick."""
        results: list[dict[str, Any]] = []
        stop_at = dispatcher.monotonic() + dispatcher.deadline_seconds * DRAIN_SHARE
        for entry in list_queue(self.store):
            if dispatcher.monotonic() >= stop_at:
                results.append({"kind": "queue", "status": "deferred", "left": "queued for the next tick"})
                break
            taken = claim_entry(
                self.store, entry["id"], dispatcher.instance_id, dispatcher.timeout.total_seconds()
            )
            if taken is None:
                continue  # another tick has it (or had it and is done)
            claim, record = taken
            manual = {
                k: record[k]
                for k in ("job", "site_id", "force", "run_id", "reservation")
                if record.get(k) is not None
            }
            manual["by"] = str(record.get("queued_by") or "")  # the run's "by": the admin who queued it
            try:
                results.append(dispatcher.run_manual(manual, within=stop_at))
            finally:
                finish_entry(self.store, claim, entry["id"])
        return results

    # -- small jobs ----------------------------------------------------------------------------

    def housekeeping(self, run: JobRun) -> dict[str, Any]:
        """Retention over every record kind, bounded per tick (see scheduled/housekeeping.py)."""
        return Housekeeping(self.store, self.settings)(run)

    def rollup(self, run: JobRun) -> dict[str, Any]:
        import time
        from datetime import datetime, timezone

        from ..clock import BusinessCalendar
        from ..runlog.daily import daily_pending  # the admin side owns the rollup format
        from ..runlog.dashboard import DEFAULT_LOOKBACK, rollup_pending

        budget = max(run.remaining() - TIMEOUT_MARGIN_SECONDS, 1.0)
        deadline, now = time.monotonic() + budget, datetime.now(timezone.utc)
        summary = rollup_pending(self.store, now, budget_seconds=budget)
        # Then fold each business day that closed into its daily roll-up (30-day dashboards read those).
        calendar = BusinessCalendar.from_settings(self.settings)
        summary.update(
            daily_pending(self.store, calendar, now, since=now - DEFAULT_LOOKBACK, deadline=deadline)
        )
        return summary


def _is_manual(event: Any) -> bool:
    try:
        data = json.loads(event) if isinstance(event, bytes | str) else event
    except ValueError:
        return False
    return isinstance(data, dict) and "job" in data


_function: ScheduledFunction | None = None


def configure(function: ScheduledFunction | None) -> None:
    global _function
    _function = function


def _ensure() -> ScheduledFunction:
    if _function is None:
        configure(ScheduledFunction.build())
    assert _function is not None
    return _function


def initialize(context: Any) -> None:
    """FC initializer: build the wiring and seed the default jobs (create-only: edits survive)."""
    logs.install()
    function = _ensure()
    settings = function.settings
    created = function.jobs.seed(default_jobs(settings.business_tz, settings.business_day_start))
    if created:
        log.info("jobs seeded", extra={"fields": {"event": "jobs.seeded", "jobs": created}})


def handler(event: Any, context: Any) -> dict[str, Any]:
    logs.install()
    with logs.bound(logs.pick_request_id(getattr(context, "request_id", None))):
        function = _ensure()
        if not function.jobs.list():
            initialize(context)  # e.g. `bailian-fc invoke` without the initializer, or a wiped store
        return function.handle(event, context)
