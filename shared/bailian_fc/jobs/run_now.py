"""Admin "run now": start the prewarm function at once, the run-now queue as the fallback.

On FC the admin function invokes the prewarm function asynchronously through FC 3.0's
``InvokeFunction`` (:mod:`.fc_invoke`), signed with the admin function role's credentials; FC
answers 202 once the event is queued and the run starts within seconds. ``bailian-fc dev`` installs
an in-process starter instead. When neither can start it (no ``PREWARM_FUNCTION_NAME``, no role
credentials, FC refusing), the request goes to the queue the next timer tick drains, and the
answer says why.

Limits: one run per (job, site) at a time. Before starting, the admin *reserves* the claim
``jobs/active/{job}/…`` (:func:`bailian_fc.jobs.store.active_key`) with a new run id and hands its
token to the run, which adopts it and keeps it alive until it is recorded. While it is held,
a second request starts nothing and answers ``started: "running"`` with the running run's id
(202: the work the caller asked for is under way). Without ``force``, a request in a slot whose
manual run already happened answers ``started: "already_ran"`` (send ``force: true`` to repeat).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..ids import new_id
from ..store import Store
from ..store.claims import Claims
from .queue import queue_run
from .store import JobStore, active_key

log = logging.getLogger("bailian_fc.admin")

RunStarter = Callable[[dict[str, Any]], str]  # the manual event -> an invocation id; raises when it cannot
_local_starter: RunStarter | None = None
# How long a reservation holds before its run adopts it: an async start within seconds, or the
# queue drained by a tick within ~2 timer periods. A run that never starts frees it after this.
RESERVE_SECONDS = 660.0


def set_local_starter(starter: RunStarter | None) -> None:
    """``dev``: run the job in this process instead of calling FC."""
    global _local_starter
    _local_starter = starter


def start_on_fc(event: dict[str, Any]) -> str:
    """Invoke the prewarm function asynchronously; settings are read per call (STS credentials rotate)."""
    from .fc_invoke import Credentials, InvokeError, endpoint_from_env, invoke_async

    name, endpoint, credentials = (
        os.environ.get("PREWARM_FUNCTION_NAME"),
        endpoint_from_env(),
        Credentials.from_env(),
    )
    if not name:
        raise InvokeError("PREWARM_FUNCTION_NAME is not set")
    if endpoint is None or credentials is None:
        raise InvokeError(
            "no FC endpoint or role credentials (FC_ACCOUNT_ID, FC_REGION, ALIBABA_CLOUD_ACCESS_KEY_*)"
        )
    # The alias the timer serves (s.yaml vars.alias), so "run now" runs the released code, not LATEST.
    qualifier = os.environ.get("PREWARM_FUNCTION_QUALIFIER") or None
    return invoke_async(endpoint, name, json.dumps(event).encode(), credentials, qualifier=qualifier)


def start_run(
    store: Store, job: str, site_id: str | None, force: bool, by: str, now: datetime
) -> dict[str, Any]:
    """Start the run now, or queue it; the admin's answer either way."""
    answer: dict[str, Any] = {
        "job": job,
        "site_id": site_id,
        "force": force,
        "requested_by": by,
        "requested_at": now.isoformat(),
    }
    jobs = JobStore(store)
    claims = Claims(store)
    definition = jobs.get(job)
    runs_key = definition.runs_key if definition is not None else job  # runs are keyed by the job's id
    if not force and definition is not None:
        slot = definition.schedule().latest_slot(now)
        if slot is not None and jobs.claim_record(
            runs_key, slot, f"manual.{site_id}" if site_id else "manual"
        ):
            return {**answer, "started": "already_ran", "slot": slot.isoformat(),
                    "hint": "already run manually in this slot; send force: true to run it again"}  # fmt: skip
    run_id = new_id("j")
    base = active_key(runs_key, site_id)
    reservation = claims.claim(
        base, ttl=RESERVE_SECONDS, holder=by, data={"run_id": run_id, "requested_by": by}
    )
    if reservation is None:
        held = (claims.current(base) or {}).get("data") or {}
        return {**answer, "started": "running", "run_id": held.get("run_id"),
                "hint": "a run of this job for this site is in progress"}  # fmt: skip
    answer["run_id"] = run_id
    # ``by`` rides along so the run record names the admin who asked, not the invocation's request id.
    event: dict[str, Any] = {
        "job": job,
        "force": force,
        "by": by,
        **({"site_id": site_id} if site_id else {}),
        "run_id": run_id,
        "reservation": reservation.token,
    }
    starter = _local_starter or start_on_fc
    try:
        invocation = starter(event)
    except Exception as exc:  # whatever stops the direct start, the queue still takes the run
        log.warning("run now of %s could not start directly (%s); queued", job, exc)
        queue_id = queue_run(
            store,
            job,
            site_id,
            force,
            by,
            now=now,
            handover={"run_id": run_id, "reservation": reservation.token},
        )
        return {
            **answer,
            "started": "queued",
            "queue_id": queue_id,
            "queued_by": by,
            "queued_at": now.isoformat(),
            "reason": str(exc)[:300],
        }
    log.info("run now of %s started: %s", job, invocation)
    return {**answer, "started": "now", "invocation_id": invocation}
