"""Shared fixtures: the Bailian emulator, tokens, and the offline environment."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from support import CHAT_APP_ID, SECRET

from bailian_fc.auth import Authenticator
from bailian_fc.dev.emulator import Emulator


@pytest.fixture(autouse=True)
def _offline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may pick up a real key or reach the internet through proxies."""
    for name in (
        "DASHSCOPE_API_KEY",
        "DASHSCOPE_BASE_URL",
        "DASHSCOPE_HTTP_BASE_URL",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
        "STORE_URL",
        "AUTH_JWT_SECRET",
        "DATA_URL",
        "DATA_ADMIN_URL",
        "BAILIAN_FC_VPC_ID",
        "BAILIAN_FC_VSWITCH_IDS",
        "BAILIAN_FC_SECURITY_GROUP_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("BAILIAN_APP_ID_APP1_CHAT", CHAT_APP_ID)


@pytest.fixture(autouse=True)
def _logs_reach_caplog() -> None:
    """logs.install() stops bailian_fc lines propagating (FC's root handler would print them twice);
    in tests they must still reach pytest's caplog on the root logger."""
    logging.getLogger("bailian_fc").propagate = True


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(host="127.0.0.1", port=0) as emu:
        yield emu


@pytest.fixture
def auth() -> Authenticator:
    return Authenticator(SECRET, "bailian-fc", "bailian-fc")


@pytest.fixture
def token(auth: Authenticator) -> str:
    return auth.mint("user-1", "site-001", "staff")
