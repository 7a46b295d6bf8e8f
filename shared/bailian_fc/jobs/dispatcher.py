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

Surviving the instance: a run takes its slot claim with a short ttl (``claim_ttl_seconds``) and
renews it (a heartbeat) while the handler works; once the run is recorded the claim is settled
(never expires), so finished slots stay finished. Before the handler starts, a ``running`` run
record and a resume point (``part + 1``, starting from this part's own state) are written. If the
instance dies (kill -9, FC timeout, OOM), the heartbeat stops and the claim lapses: the running
record then reads ``abandoned``, and the next tick sees an unfinished resume point whose owner is
gone and claims ``{slot}-r{part}`` (create-only again), marks the dead run ``abandoned`` and
continues from the saved state, inside or outside the slot's window, at most ``max_parts`` times.

Resuming at the deadline: a handler that nears its deadline calls ``run.save_resume(state)`` and
returns ``{"complete": False, ...}``; the resume point is then continuable at once. A checkpoint
written mid-run carries ``not_before`` = the invocation's FC timeout: its continuation starts
when the owner's claim has lapsed or, at the latest, once the owner is certainly gone.

Manual runs (admin run-now, ``s invoke``): one per (job, site) at a time, through the claim
``jobs/active/{job}/…`` (the admin reserves it and hands its token over in the event); a second
request gets the running run's id. They are recorded like timer runs but never continued.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from ..clock import utc_now
from ..ids import new_id
from ..jsonsafe import loads as json_loads
from ..store.claims import Claim
from .events import decode_event, manual_fields, run_status, trigger_time
from .store import Job, JobStore, ResumeState, active_key, claim_key

log = logging.getLogger("bailian_fc.jobs")

_ERROR_CHARS = 500
_LEVELS = {"not_due": logging.DEBUG, "disabled": logging.DEBUG, "failed": logging.WARNING}


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
    job_key: str = ""  # where the job's records live (Job.runs_key); "" means ``job``
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
        claim_ttl_seconds: float = 120.0,
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
        # A running claim lapses this long after its holder's last heartbeat (ttl/3 apart).
        self.claim_ttl = claim_ttl_seconds

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

    def run_manual(self, event: Any, *, within: float | None = None) -> dict[str, Any]:
        """Run one job now (``s invoke``, admin API), whether or not it is enabled or due.

        Without ``force`` the run claims ``{slot}-manual[.{site_id}]`` for the job's latest cron
        slot, so a duplicated manual event in the same slot is skipped; ``force`` skips the claim
        (the run is still recorded).
        """
        data = decode_event(event)
        name, overrides, force = manual_fields(data)
        budget = None if within is None else self._budget(deadline=within)
        # Who asked (the admin's ``sub`` from run-now or the queue): the run's "by", not our request id.
        by = overrides.pop("by", "")
        by = by[:64] if isinstance(by, str) else ""
        result = self._guarded(name, lambda: self._manual_job(name, overrides, force, budget, by))
        return {"kind": "manual", "instance": self.instance_id, "results": [result]}

    # -- one job ------------------------------------------------------------------------------

    def _tick_job(self, job: Job, tick: datetime, budget: _Budget) -> dict[str, Any]:
        if not job.enabled:
            return self._result(job.name, None, "disabled")
        slot = job.schedule().latest_slot(tick)
        if slot is None or (job.enabled_at is not None and slot < job.enabled_at):
            return self._result(job.name, None, "not_due")
        due = slot >= budget.now - self.window
        pending = self.jobs.resume_state(job, slot)
        if pending is not None and not pending.done and self._finished_before(job.runs_key, slot, pending):
            pass  # its run was recorded but killed before closing the resume point: closed now
        elif pending is not None and not pending.done:
            # The slot was started: continue it from its resume point once its owner is gone.
            if pending.part < self.max_parts and self._owner_gone(job.runs_key, slot, pending, budget.now):
                started = self._start(
                    job, slot, budget, tag=f"r{pending.part}", part=pending.part,
                    resume=pending.state, previous=pending.run_id,
                )  # fmt: skip
                if started is not None:
                    return started
        elif pending is None and due:
            started = self._start(job, slot, budget, tag="", part=0, resume=None)
            if started is not None:
                return started
        return self._result(job.name, slot if due else None, "skipped_claimed" if due else "not_due")

    def _finished_before(self, key: str, slot: datetime, pending: ResumeState) -> bool:
        """Whether the run that wrote ``pending`` has a final record: then the slot is done; close it.

        The run record is written before the resume point is closed, so a kill between the two
        leaves a final record and an open resume point; the record is the truth.
        """
        if not pending.run_id:
            return False
        record = self.jobs.stored_run(key, pending.run_id)
        if record is None or record.status in ("running", "abandoned", "incomplete"):
            return False
        self.jobs.save_resume(key, slot, pending.model_copy(update={"done": True, "not_before": self.now()}))
        return True

    def _owner_gone(self, key: str, slot: datetime, pending: ResumeState, now: datetime) -> bool:
        """The part before ``pending.part`` no longer works on the slot: its claim lapsed or FC killed it."""
        if pending.not_before is None or now >= pending.not_before:
            return True
        previous = "" if pending.part == 1 else f"r{pending.part - 1}"
        return not self.jobs.claims.held(claim_key(key, slot, previous))

    def _start(
        self,
        job: Job,
        slot: datetime,
        budget: _Budget,
        *,
        tag: str,
        part: int,
        resume: dict[str, Any] | None,
        previous: str | None = None,
    ) -> dict[str, Any] | None:
        """Claim and run; None when another claimant owns it."""
        handler = self.handlers.get(job.handler_kind)
        if handler is None:
            return self._result(job.name, slot, "failed", error="no handler registered for this job")
        if self.monotonic() >= budget.deadline:
            # Earlier jobs used this invocation's time; unclaimed, so the next tick takes it.
            return self._result(job.name, slot, "deferred")
        claim = self.jobs.take(job.runs_key, slot, self.instance_id, tag=tag, ttl=self.claim_ttl)
        if claim is None:
            return None
        if previous:
            self.jobs.abandon_run(job, previous)
        return self._execute(
            job, slot, handler, budget, claim=claim, trigger="timer", part=part, resume=resume
        )

    def _manual_job(
        self, name: str, overrides: dict[str, Any], force: bool, budget: _Budget | None, by: str = ""
    ) -> dict[str, Any]:
        job = self.jobs.get(name)
        if job is None:
            return self._result(name, None, "failed", error=f"unknown job {name!r}")
        handler = self.handlers.get(job.handler_kind)
        if handler is None:
            return self._result(name, None, "failed", error="no handler registered for this job")
        budget = budget or self._budget()
        slot = job.schedule().latest_slot(budget.now) or budget.now.replace(microsecond=0)
        site = overrides.get("site_id")
        run_id = overrides.pop("run_id", None)
        reservation = overrides.pop("reservation", None)
        # One run per (job, site) at a time: the admin reserved it (we adopt), or we take it here.
        active_base = active_key(job, site)
        active = self.jobs.claims.adopt(active_base, reservation) if reservation else None
        if active is None:
            active = self.jobs.claims.claim(
                active_base,
                ttl=self.claim_ttl,
                holder=self.instance_id,
                data={"run_id": run_id or new_id("j")},
            )
        if active is None:
            held = self.jobs.claims.current(active_base) or {}
            return self._result(
                name, slot, "running", run_id=(held.get("data") or {}).get("run_id"),
                hint="a run of this job for this site is in progress",
            )  # fmt: skip
        run_id = str(active.data.get("run_id") or run_id or new_id("j"))
        tag = f"manual.{site}" if site else "manual"
        claim = None
        if not force:
            claim = self.jobs.take(job.runs_key, slot, self.instance_id, tag=tag, ttl=self.claim_ttl)
            if claim is None:
                self.jobs.claims.release(active)
                return self._result(
                    name, slot, "skipped_claimed", hint="already run manually in this slot; send force: true"
                )
        return self._execute(
            job, slot, handler, budget, claim=claim, hold=(active,), run_id=run_id,
            trigger="manual", overrides=overrides, force=force, by=by,
        )  # fmt: skip

    def _execute(
        self,
        job: Job,
        slot: datetime,
        handler: Handler,
        budget: _Budget,
        *,
        claim: Claim | None,
        trigger: str,
        part: int = 0,
        resume: dict[str, Any] | None = None,
        overrides: Mapping[str, Any] | None = None,
        force: bool = False,
        hold: tuple[Claim, ...] = (),
        run_id: str | None = None,
        by: str = "",
    ) -> dict[str, Any]:
        """Run the handler we own; the run is recorded before it starts, so a kill leaves a record.

        Order: run record ``running`` → resume point (timer runs: where a successor would start)
        → handler, with a heartbeat on our claims → run record final → resume point closed →
        slot claim settled. A kill at any step leaves a running record whose claim lapses (read
        as ``abandoned``) and, once the resume point exists, a continuation owed to the next tick.
        """
        run = JobRun(
            job=job.name,
            job_key=job.runs_key,
            slot=slot,
            payload={**job.payload, **(overrides or {})},
            deadline=budget.deadline,
            trigger=trigger,
            part=part,
            resume=resume,
            clock=self.monotonic,
        )
        started, t0 = self.now(), self.monotonic()
        site = run.payload.get("site_id")  # the one site a manual run acts on, for the admin's scope
        record = self.jobs.record_run(
            job, slot, {}, id=run_id, status="running", trigger=trigger, part=part, force=force,
            by=by or self.instance_id, started_at=started, site_id=site if isinstance(site, str) else None,
            claim=claim.base if claim else (hold[0].base if hold else None),
            claim_token=claim.token if claim else (hold[0].token if hold else None),
        )  # fmt: skip
        if trigger == "timer":  # manual runs are not continued by ticks
            run.saver = partial(self._checkpoint, run, budget.kill_at, record.id)
            self._checkpoint(run, budget.kill_at, record.id, dict(resume or {}))
        self._log(
            "job.start", job=job.name, slot=slot, trigger=trigger, part=part, force=force, run_id=record.id
        )
        with contextlib.ExitStack() as beating:
            for held in (claim, *hold):
                if held is not None:
                    beating.enter_context(self.jobs.claims.keep_alive(held, self.claim_ttl))
            summary, error = self._call(handler, run)
        status = run_status(summary, error)
        if status == "failed" and error is None:  # the handler returned, saying nothing succeeded
            error = str(summary.get("error") or "the job reported that it failed")[:_ERROR_CHARS]
        duration_ms = int((self.monotonic() - t0) * 1000)
        record = self.jobs.finish_run(
            record.model_copy(
                update={"summary": summary, "status": status, "finished_at": self.now(),
                        "duration_ms": duration_ms, "error": error}
            )
        )  # fmt: skip
        if run.resumable:
            self._close_resume(run, record.id, done=status != "incomplete")
        if claim is not None:
            self.jobs.claims.settle(claim)
        for held in hold:
            self.jobs.claims.release(held)
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
        self, run: JobRun, not_before: datetime, run_id: str, state: dict[str, Any], *, done: bool = False
    ) -> None:
        """Write where part ``run.part + 1`` starts; only the owner of ``run.part`` ever writes it."""
        record = ResumeState(
            part=run.part + 1,
            state=state,
            done=done,
            not_before=not_before,
            by=self.instance_id,
            run_id=run_id,
        )
        self.jobs.save_resume(run.job_key or run.job, run.slot, record)

    def _close_resume(self, run: JobRun, run_id: str, *, done: bool) -> None:
        """After the handler returned: continuable at once, or finished (success or failure)."""
        self._checkpoint(run, self.now(), run_id, run.last_state or dict(run.resume or {}), done=done)
        if not done and run.part + 1 >= self.max_parts:
            self._log("job.resume_exhausted", level=logging.WARNING, job=run.job, slot=run.slot)

    # -- helpers ------------------------------------------------------------------------------

    def _budget(self, deadline: float | None = None) -> _Budget:
        """This invocation's clocks; ``deadline`` (a monotonic instant) when a caller already spent some."""
        now = self.now()
        own = self.monotonic() + self.deadline_seconds
        return _Budget(
            now=now, deadline=own if deadline is None else min(own, deadline), kill_at=now + self.timeout
        )

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
            plain = json_loads(json.dumps(line, default=_json_default))
            log.log(level, "%s %s", event, fields.get("job", ""), extra={"fields": plain})


def _json_default(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else str(value)
