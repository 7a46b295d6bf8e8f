"""The emulator's request log: one :class:`RequestRecord` per completion request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bailian_fc_tools.emulator.behaviours import Behaviour
from bailian_fc_tools.emulator.framing import dumps
from bailian_fc_tools.emulator.replies import prompt_of

#: ``summary()`` includes the request body only when its JSON is at most this long
SUMMARY_BODY_LIMIT = 4096


@dataclass
class RequestRecord:
    """One completion request as the emulator saw it (mutated while the response runs)."""

    app_id: str
    body: dict[str, Any]
    headers: dict[str, str]
    stream: bool
    behaviour: Behaviour
    started_at: float
    #: the server wrote the complete response (as the behaviour scripted it; a truncated
    #: stream or a mid-stream error counts as complete, a drop or a stall the client left not)
    finished: bool = False
    #: the client closed the connection before the response was complete
    client_closed: bool = False
    #: SSE events written (every HTTP chunk carrying an event, error/garbage frames included)
    chunks_sent: int = 0
    #: HTTP status sent, None when no status line went out
    status: int | None = None
    request_id: str = ""
    session_id: str = ""
    ended_at: float | None = None
    method: str = "POST"
    path: str = ""

    @property
    def done(self) -> bool:
        """The server has stopped working on this request (for whatever reason)."""
        return self.ended_at is not None

    @property
    def prompt(self) -> str:
        inp = self.body.get("input") if isinstance(self.body, dict) else None
        if not isinstance(inp, dict):
            return ""
        return prompt_of(inp.get("prompt"), inp.get("messages"))

    def summary(self) -> dict[str, Any]:
        """JSON-able view for ``GET /_emulator/requests``; big bodies are left out."""
        out: dict[str, Any] = {
            "app_id": self.app_id,
            "path": self.path,
            "stream": self.stream,
            "behaviour": self.behaviour.to_dict(),
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "finished": self.finished,
            "client_closed": self.client_closed,
            "chunks_sent": self.chunks_sent,
            "status": self.status,
            "request_id": self.request_id,
            "session_id": self.session_id,
            "prompt": self.prompt[:500],
        }
        body = dumps(self.body)
        if len(body) <= SUMMARY_BODY_LIMIT:
            out["body"] = self.body
        else:
            out["body"] = None
            out["body_size"] = len(body)
        return out
