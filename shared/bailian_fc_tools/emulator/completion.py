"""The completion endpoint, ``POST /api/v1/apps/{app_id}/completion``: reads the request,
picks its behaviour, logs a :class:`RequestRecord` and plays the behaviour back."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import TYPE_CHECKING, Any

from bailian_fc_tools.emulator.behaviours import Behaviour
from bailian_fc_tools.emulator.connection import Connection, Request
from bailian_fc_tools.emulator.playback import play
from bailian_fc_tools.emulator.records import RequestRecord

if TYPE_CHECKING:
    from bailian_fc_tools.emulator.server import Emulator

COMPLETION_RE = re.compile(r"^/api/v1/apps/([^/]+)/completion/?$")


async def serve_completion(emu: Emulator, conn: Connection, req: Request, app_id: str) -> bool:
    """Answer one completion request; True when the connection may serve another request."""
    headers = req.headers
    stream = (
        "enable" in headers.get("x-dashscope-sse", "").lower()
        or "text/event-stream" in headers.get("accept", "").lower()
    )
    body: Any
    try:
        body = json.loads(req.body) if req.body else {}
    except ValueError:
        body = None
    auth = headers.get("authorization", "")
    if not auth.startswith("Bearer ") or not auth[7:].strip():
        behaviour = Behaviour(kind="http_error", status=401, code="InvalidApiKey")
    elif not isinstance(body, dict):
        behaviour = Behaviour(
            kind="http_error",
            status=400,
            code="InvalidParameter",
            message="The request body is not valid JSON.",
        )
    else:
        behaviour = emu._next_behaviour(app_id)
    body = body if isinstance(body, dict) else {}
    inp = body.get("input") if isinstance(body.get("input"), dict) else {}
    params = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
    session_id = inp.get("session_id") or uuid.uuid4().hex
    record = RequestRecord(
        app_id=app_id,
        body=body,
        headers=dict(headers),
        stream=stream,
        behaviour=behaviour,
        started_at=time.monotonic(),
        request_id=str(uuid.uuid4()),
        session_id=str(session_id),
        method=req.method,
        path=req.path,
    )
    emu._log(record)
    conn.start_watch()
    keep = False
    try:
        keep = await play(conn, record, behaviour, inp, params)
    finally:
        await conn.stop_watch()
        record.ended_at = time.monotonic()
        if conn.gone and not record.finished:
            record.client_closed = True
    return keep and req.keep_alive and not conn.gone and not conn.aborted
