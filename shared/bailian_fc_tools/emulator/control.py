"""The control endpoints under ``/_emulator/``: script, change the default, reset, inspect.

::

    POST /_emulator/script    {"app_id": "...", "behaviours": [{...}, ...]}  (or "behaviour": {...})
    POST /_emulator/default   {"behaviour": {...}}
    POST /_emulator/reset
    GET  /_emulator/requests  summaries of the request log (bodies only when small)
    GET  /_emulator/health
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bailian_fc_tools.emulator.behaviours import Behaviour
from bailian_fc_tools.emulator.connection import Request
from bailian_fc_tools.emulator.framing import error_body

if TYPE_CHECKING:
    from bailian_fc_tools.emulator.server import Emulator

CONTROL_PREFIX = "/_emulator/"


def control(emu: Emulator, req: Request) -> tuple[int, Any]:
    """Run one control request; ``(status, JSON payload)`` of the answer."""
    name = req.path[len(CONTROL_PREFIX) :].strip("/")
    try:
        payload = json.loads(req.body) if req.body.strip() else {}
    except ValueError:
        return 400, error_body("InvalidParameter", "control body is not JSON")
    try:
        if name == "script" and req.method == "POST":
            app_id = payload.get("app_id")
            if not isinstance(app_id, str) or not app_id:
                raise ValueError("app_id is required")
            raw = payload.get("behaviours")
            if raw is None and "behaviour" in payload:
                raw = [payload["behaviour"]]
            if not isinstance(raw, list):
                raise ValueError("behaviours must be a list")
            emu.script(app_id, *[Behaviour.coerce(b) for b in raw])
            return 200, {"app_id": app_id, "queued": emu.pending(app_id)}
        if name == "default" and req.method == "POST":
            raw = payload.get("behaviour", payload) if isinstance(payload, dict) else payload
            emu.default = Behaviour.coerce(raw)
            return 200, {"default": emu.default.to_dict()}
        if name == "reset" and req.method == "POST":
            emu.reset()
            return 200, {"ok": True}
        if name == "requests" and req.method == "GET":
            return 200, [r.summary() for r in emu._snapshot()]
        if name == "health" and req.method == "GET":
            return 200, {"ok": True, "base_url": emu.base_url}
    except (ValueError, TypeError, AttributeError) as exc:
        return 400, error_body("InvalidParameter", str(exc))
    return 404, error_body("NotFound", f"unknown control endpoint {req.method} {req.path}")
