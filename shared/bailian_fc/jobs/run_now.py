"""Admin "run now": start the prewarm function at once, the run-now queue as the fallback.

On FC the admin function invokes the prewarm function asynchronously through FC 3.0's
``InvokeFunction`` (``fc/openapi.py``), signed with the admin function role's credentials; FC
answers 202 once the event is queued and the run starts within seconds. ``bailian-fc dev`` installs
an in-process starter instead. When neither can start it (no ``PREWARM_FUNCTION_NAME``, no role
credentials, FC refusing), the request goes to the queue the next timer tick drains, and the
answer says why.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..store import Store
from .queue import queue_run

log = logging.getLogger("bailian_fc.admin")

RunStarter = Callable[[dict[str, Any]], str]  # the manual event -> an invocation id; raises when it cannot
_local_starter: RunStarter | None = None


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
    return invoke_async(endpoint, name, json.dumps(event).encode(), credentials)


def start_run(
    store: Store, job: str, site_id: str | None, force: bool, by: str, now: datetime
) -> dict[str, Any]:
    """Start the run now, or queue it; the admin's answer either way."""
    # ``by`` rides along so the run record names the admin who asked, not the invocation's request id.
    event: dict[str, Any] = {
        "job": job,
        "force": force,
        "by": by,
        **({"site_id": site_id} if site_id else {}),
    }
    answer: dict[str, Any] = {
        "job": job,
        "site_id": site_id,
        "force": force,
        "requested_by": by,
        "requested_at": now.isoformat(),
    }
    starter = _local_starter or start_on_fc
    try:
        invocation = starter(event)
    except Exception as exc:  # whatever stops the direct start, the queue still takes the run
        log.warning("run now of %s could not start directly (%s); queued", job, exc)
        queue_id = queue_run(store, job, site_id, force, by, now=now)
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
