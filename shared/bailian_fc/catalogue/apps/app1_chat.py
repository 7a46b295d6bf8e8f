"""App1, the assistant chat: streamed by the chat function (``chat/``), so no prompt here."""

from __future__ import annotations

from ..chat import ChatRequest
from ..spec import AppSpec

SPEC = AppSpec("app1_chat", "智能助手对话", "stream", ChatRequest, None, None, "v1")
