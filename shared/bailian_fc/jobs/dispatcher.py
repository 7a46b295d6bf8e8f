"""The prewarm function's job dispatcher: every due job runs at most once per cron slot.

FC has one timer on the function (``@every 5m``), not one per job, so admins can add, disable
and reschedule jobs in the store without a redeploy. Each tick, for each enabled job, the
latest cron slot at or before the tick time is *due* when it is no older than the lookback
window (the tick period plus a grace for late or retried events, measured from the real now)
and not before the job's ``enabled_at``. A create-only claim record decides who runs it.
FC retries async timer invocations: duplicated and late events are normal; the claim, not the
event, makes a run happen once.

Timeline: job ``0 30 7 * * *`` Asia/Shanghai (slot 23:30:00Z), period 5 min, grace 5 min::

    23:27:10Z  tick A          latest slot is yesterday's 23:30Z, outside the window  -> not_due
    23:32:10Z  tick B, inst 1  slot 23:30Z due; creates jobs/claims/app2_prewarm/
                               20240430T233000Z.json and runs the job                 -> ran
    23:32:11Z  tick B again,   same slot; the claim exists (create-only lost)         -> skipped_claimed
               inst 2 (FC duplicate / retry), nothing runs twice
    23:37:10Z  tick C          slot still in the window, claimed                      -> skipped_claimed
    23:38:00Z  tick B retried  triggerTime still 23:32:10Z, slot within now - 10 min,
               late            claim exists                                           -> skipped_claimed
    23:42:10Z  tick D          slot older than now - 10 min                           -> not_due

Had ticks B and C both been lost, tick D would not run the slot: a slot nobody saw within its
window is skipped, never replayed hours later (the next day's slot runs as usual). A job that
fires more often than the tick period is coalesced to the latest slot of each tick.

Resuming: a handler that nears its deadline calls ``run.save_resume(state)`` and returns
``{"complete": False, ...}``. The resume record names the next part; a later tick claims
``{slot}-r{part}`` (create-only again) and runs the handler with ``run.resume`` set. A
checkpoint written mid-run carries ``not_before`` = the invocation's FC timeout, so if the
instance is killed, a continuation starts only once the old owner is certainly gone.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

from ..clock import SITE_ID_PATTERN
from ..ids import new_id
from .store import NAME_PATTERN, Job, JobStore, ResumeState, utc_now

log = logging.getLogger("bailian_fc.jobs")

_ERROR_CHARS = 500
_LEVELS = {"not_due": logging.DEBUG, "disabled": logging.DEBUG, "failed": logging.WARNING}


class EventError(ValueError):
    """An event the dispatcher cannot read (not a JSON object, bad triggerTime, bad manual fields)."""


@dataclass
class JobRun:
    """What a handler gets: which job and slot, the merged payload, its time budget, resume state."""

    job: str
    slot: datetime
    payload: dict[str, Any]
    deadline: float  # a ``monotonic`` instant: finish (or save_resume and return) before it
    trigger: str = "timer"  # "timer" | "manual"
    part: int = 0  # 0 for the first run of a slot, n for its n-th continuation
    resume: dict[str, Any] | None = None  # the state the previous part saved, if any
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    saver: Callable[[dict[str, Any]], None] | None = field(default=None, repr=False)
    last_state: dict[str, Any] | None = field(default=None, init=False)

    def remaining(self) -> float:
        """Seconds left before the deadline (negative once past it)."""
        return self.deadline - self.clock()

    def expired(self, margin: float = 0.0) -> bool:
        return self.remaining() <= margin

    @property
    def resumable(self) -> bool:
        """Timer runs can be continued by a later tick; manual runs cannot."""
        return self.saver is not None

    def save_resume(self, state: Mapping[str, Any]) -> bool:
        """Checkpoint: where a continuation should start. False (nothing saved) for manual runs."""
        if self.saver is None:
            return False
        self.last_state = dict(state)
        self.saver(self.last_state)
        return True


Handler = Callable[[JobRun], "Mapping[str, Any] | None"]


@dataclass(frozen=True)
class _Budget:
    """One invocation's clocks: the real now, the handlers' deadline, when FC would kill us."""

    now: datetime
    deadline: float
    kill_at: datetime


class Dispatcher:
    """Runs due jobs from timer ticks and manual events; see the module docstring."""

    def __init__(
        self,
        job_store: JobStore,
        handlers: Mapping[str, Handler],
        *,
        now: Callable[[], datetime] = utc_now,
        instance_id: str | None = None,
        period_seconds: float = 300.0,
        grace_seconds: float = 300.0,
        deadline_seconds: float = 540.0,
        timeout_seconds: float | None = None,
        max_parts: int = 12,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.jobs = job_store
        self.handlers = dict(handlers)
        self.now = now
        self.instance_id = instance_id or new_id("d")
        self.window = timedelta(seconds=period_seconds + grace_seconds)
        self.deadline_seconds = deadline_seconds
        # FC's function timeout; a checkpoint's owner is certainly dead after it.
        self.timeout = timedelta(
            seconds=timeout_seconds if timeout_seconds is not None else deadline_seconds + 60
        )
        self.max_parts = max_parts
        self.monotonic = monotonic

    # -- entry points -------------------------------------------------------------------------

    def handle(self, event: Any) -> dict[str, Any]:
        """Manual events have a top-level ``job``; anything else is a timer tick."""
        data = decode_event(event)
        return self.run_manual(data) if "job" in data else self.tick(data)

    def tick(self, event: Any = None) -> dict[str, Any]:
        """Run every due job once; per-job results, one failure never stops the others."""
        data = decode_event(event)
        budget = self._budget()
        # triggerTime places the event; it is never later than the real now (no early slots).
        tick = min(trigger_time(data) or budget.now, budget.now)
        results = [
            self._guarded(job.name, partial(self._tick_job, job, tick, budget)) for job in self.jobs.list()
        ]
        return {
            "kind": "tick",
            "tick": tick.isoformat(),
            "trigger": data.get("triggerName"),
            "instance": self.instance_id,
            "results": results,
        }

    def run_manual(self, event: Any) -> dict[str, Any]:
        """Run one job now (``s invoke``, admin API), whether or not it is enabled or due.

        Without ``force`` the run claims ``{slot}-manual[.{site_id}]`` for the job's latest cron
        slot, so a duplicated manual event in the same slot is skipped; ``force`` skips the claim
        (the run is still recorded).
        """
        data = decode_event(event)
        name, overrides, force = manual_fields(data)
        result = self._guarded(name, lambda: self._manual_job(name, overrides, force))
        return {"kind": "manual", "instance": self.instance_id, "results": [result]}

    # -- one job ------------------------------------------------------------------------------

    def _tick_job(self, job: Job, tick: datetime, budget: _Budget) -> dict[str, Any]:
        if not job.enabled:
            return self._result(job.name, None, "disabled")
        slot = job.schedule().latest_slot(tick)
        if slot is None or (job.enabled_at is not None and slot < job.enabled_at):
            return self._result(job.name, None, "not_due")
        due = slot >= budget.now - self.window
        if due:
            started = self._start(job, slot, budget, tag="", part=0, resume=None)
            if started is not None:
                return started
        pending = self._pending_resume(job.name, slot, budget.now)
        if pending is not None:
            started = self._start(
                job, slot, budget, tag=f"r{pending.part}", part=pending.part, resume=pending.state
            )
            if started is not None:
                return started
        return self._result(job.name, slot if due else None, "skipped_claimed" if due else "not_due")

    def _start(
        self, job: Job, slot: datetime, budget: _Budget, *, tag: str, part: int, resume: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """Claim and run; None when another claimant owns it."""
        handler = self.handlers.get(job.name)
        if handler is None:
            return self._result(job.name, slot, "failed", error="no handler registered for this job")
        if self.monotonic() >= budget.deadline:
            # Earlier jobs used this invocation's time; unclaimed, so the next tick takes it.
            return self._result(job.name, slot, "deferred")
        if not self.jobs.claim(job.name, slot, self.instance_id, tag=tag):
            return None
        return self._execute(job, slot, handler, budget, trigger="timer", part=part, resume=resume)

    def _manual_job(self, name: str, overrides: dict[str, Any], force: bool) -> dict[str, Any]:
        job = self.jobs.get(name)
        if job is None:
            return self._result(name, None, "failed", error=f"unknown job {name!r}")
        handler = self.handlers.get(name)
        if handler is None:
            return self._result(name, None, "failed", error="no handler registered for this job")
        budget = self._budget()
        slot = job.schedule().latest_slot(budget.now) or budget.now.replace(microsecond=0)
        site = overrides.get("site_id")
        tag = f"manual.{site}" if site else "manual"
        if not force and not self.jobs.claim(name, slot, self.instance_id, tag=tag):
            return self._result(
                name, slot, "skipped_claimed", hint="already run manually in this slot; send force: true"
            )
        return self._execute(job, slot, handler, budget, trigger="manual", overrides=overrides, force=force)

    def _execute(
        self,
        job: Job,
        slot: datetime,
        handler: Handler,
        budget: _Budget,
        *,
        trigger: str,
        part: int = 0,
        resume: dict[str, Any] | None = None,
        overrides: Mapping[str, Any] | None = None,
        force: bool = False,
    ) -> dict[str, Any]:
        """Run the handler we own; catch its failure, record the run, keep the resume point honest."""
        run = JobRun(
            job=job.name,
            slot=slot,
            payload={**job.payload, **(overrides or {})},
            deadline=budget.deadline,
            trigger=trigger,
            part=part,
            resume=resume,
            clock=self.monotonic,
        )
        if trigger == "timer":  # manual runs are not continued by ticks
            run.saver = partial(self._checkpoint, run, budget.kill_at)
        started, t0 = self.now(), self.monotonic()
        self._log("job.start", job=job.name, slot=slot, trigger=trigger, part=part, force=force)
        summary, error = self._call(handler, run)
        status = run_status(summary, error)
        if status == "failed" and error is None:  # the handler returned, saying nothing succeeded
            error = str(summary.get("error") or "the job reported that it failed")[:_ERROR_CHARS]
        if run.resumable and (status == "incomplete" or run.last_state is not None or part > 0):
            self._close_resume(run, done=status != "incomplete")
        duration_ms = int((self.monotonic() - t0) * 1000)
        record = self.jobs.record_run(
            job.name, slot, summary, status=status, trigger=trigger, part=part, force=force,
            by=self.instance_id, started_at=started, finished_at=self.now(), duration_ms=duration_ms, error=error,
        )  # fmt: skip
        self._log(
            "job.finish", level=logging.WARNING if error else logging.INFO,
            job=job.name, slot=slot, status=status, part=part, duration_ms=duration_ms, error=error,
        )  # fmt: skip
        result = self._result(
            job.name, slot, "failed" if error else "ran", quiet=True, run_id=record.id, outcome=status
        )
        result.update(
            {"error": error, **({"summary": summary} if summary else {})} if error else {"summary": summary}
        )
        if part:
            result["part"] = part
        if status == "incomplete":
            result["incomplete"] = True
        return result

    def _call(self, handler: Handler, run: JobRun) -> tuple[dict[str, Any], str | None]:
        try:
            value = handler(run)
        except Exception as exc:
            log.exception("job %s failed", run.job)
            return {}, f"{type(exc).__name__}: {exc}"[:_ERROR_CHARS]
        if value is None or isinstance(value, Mapping):
            return dict(value or {}), None
        return {"result": str(value)}, None

    # -- resume points ------------------------------------------------------------------------

    def _checkpoint(
        self, run: JobRun, not_before: datetime, state: dict[str, Any], *, done: bool = False
    ) -> None:
        """Write where part ``run.part + 1`` starts; only the owner of ``run.part`` ever writes it."""
        record = ResumeState(
            part=run.part + 1, state=state, done=done, not_before=not_before, by=self.instance_id
        )
        self.jobs.save_resume(run.job, run.slot, record)

    def _close_resume(self, run: JobRun, *, done: bool) -> None:
        """After the handler returned: continuable at once, or finished (success or failure)."""
        self._checkpoint(run, self.now(), run.last_state or {}, done=done)
        if not done and run.part + 1 >= self.max_parts:
            self._log("job.resume_exhausted", level=logging.WARNING, job=run.job, slot=run.slot)

    def _pending_resume(self, name: str, slot: datetime, now: datetime) -> ResumeState | None:
        """The next part of ``slot`` when one is owed and its previous owner is certainly done."""
        state = self.jobs.resume_state(name, slot)
        if state is None or state.done or state.part >= self.max_parts:
            return None
        return state if state.not_before is None or now >= state.not_before else None

    # -- helpers ------------------------------------------------------------------------------

    def _budget(self) -> _Budget:
        now = self.now()
        return _Budget(now=now, deadline=self.monotonic() + self.deadline_seconds, kill_at=now + self.timeout)

    def _guarded(self, name: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """A store failure for one job is that job's failure, not the tick's."""
        try:
            return fn()
        except Exception as exc:
            log.exception("job %s failed outside its handler", name)
            return self._result(name, None, "failed", error=f"{type(exc).__name__}: {exc}"[:_ERROR_CHARS])

    def _result(
        self, name: str, slot: datetime | None, status: str, *, quiet: bool = False, **extra: Any
    ) -> dict[str, Any]:
        """A per-job result, logged unless ``quiet`` (runs are logged by ``_execute``)."""
        result: dict[str, Any] = {"job": name, "slot": slot.isoformat() if slot else None, "status": status}
        result.update(extra)
        if not quiet:
            self._log(f"job.{status}", level=_LEVELS.get(status, logging.INFO), job=name, slot=slot, **extra)
        return result

    def _log(self, event: str, *, level: int = logging.INFO, **fields: Any) -> None:
        if log.isEnabledFor(level):
            line = {"event": event, "instance": self.instance_id, **fields}
            # fields, not a JSON string inside "message": the JSON handler lifts them to top-level keys
            plain = json.loads(json.dumps(line, default=_json_default))
            log.log(level, "%s %s", event, fields.get("job", ""), extra={"fields": plain})


def run_status(summary: Mapping[str, Any], error: str | None) -> str:
    """``ok``, ``partial``, ``failed`` or ``incomplete`` (stopped at the deadline, a later tick resumes).

    A handler that returns still says how it went: ``summary["outcome"]`` of ``partial`` (some items
    failed) or ``failed`` (none succeeded, or a configuration error stopped it) is the run's status.
    """
    if error is not None or summary.get("outcome") == "failed":
        return "failed"
    if summary.get("complete", True) is False:
        return "incomplete"
    return "partial" if summary.get("outcome") == "partial" else "ok"


def decode_event(event: Any) -> dict[str, Any]:
    """The event as a dict: bytes/str are JSON-decoded, a JSON-string ``payload`` is decoded again."""
    if event is None:
        return {}
    if isinstance(event, (bytes, bytearray, memoryview, str)):
        raw = event if isinstance(event, str) else bytes(event)
        try:
            event = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise EventError(f"event is not a JSON document: {exc}") from exc
    if not isinstance(event, Mapping):
        raise EventError("event must be a JSON object")
    data = dict(event)
    payload = data.get("payload")
    if isinstance(payload, str) and payload.strip():
        try:
            data["payload"] = json.loads(payload)
        except json.JSONDecodeError:
            pass  # FC passes the configured string as is; a plain word is a valid payload
    return data


def trigger_time(data: Mapping[str, Any]) -> datetime | None:
    """``triggerTime`` as an aware datetime (FC sends ``2023-12-26T07:49:00Z``; naive = UTC)."""
    raw = data.get("triggerTime")
    if raw in (None, ""):
        return None
    if not isinstance(raw, str):
        raise EventError("triggerTime must be an ISO-8601 string")
    text = raw.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise EventError(f"triggerTime {raw!r} is not ISO-8601") from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def manual_fields(data: Mapping[str, Any]) -> tuple[str, dict[str, Any], bool]:
    """``(job, overrides, force)`` from a manual event; EventError for a malformed one."""
    name = data.get("job")
    if not isinstance(name, str) or not re.match(NAME_PATTERN, name):
        raise EventError(f"manual event needs a job name matching {NAME_PATTERN}")
    site = data.get("site_id")
    if site is not None and (not isinstance(site, str) or not re.match(SITE_ID_PATTERN, site)):
        raise EventError("site_id must match " + SITE_ID_PATTERN)
    force = data.get("force", False)
    if not isinstance(force, bool):
        raise EventError("force must be true or false")
    overrides = {key: value for key, value in data.items() if key != "job" and value is not None}
    return name, overrides, force


def _json_default(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else str(value)
