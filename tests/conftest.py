"""Shared fixtures: the Bailian emulator, tokens, an admin runtime, and the offline environment.

Markers (``pytest -m``): ``browser`` (Chromium), ``postgres`` (a throwaway cluster), ``node`` (Node.js
or npm tools), ``build`` (builds code dirs or wheels), ``slow`` (over ~10 s alone). Tests that use
the ``pg`` or ``browser`` fixture are marked here; the others say so in their module. The fast
subset the README gives is ``-m "not (browser or postgres or node or build or slow)"``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from support import CHAT_APP_ID, SECRET

from bailian_fc.auth import Authenticator
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore, Store
from bailian_fc_tools.emulator import Emulator


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


MARKED_BY_FIXTURE = {"pg": "postgres", "browser": "browser", "admin_build": "build"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, marker in MARKED_BY_FIXTURE.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)


@pytest.fixture
def admin_runtime(tmp_path: Any) -> Iterator[Callable[..., Any]]:
    """A factory: an admin runtime over a file store in ``tmp_path``, installed as the FC handler's."""
    from bailian_fc.admin import function as admin_function

    def start(store: Store | None = None, wall: Callable[[], datetime] | None = None, **settings: Any) -> Any:
        values = {"store_url": f"file://{tmp_path}/store", "auth_jwt_secret": SECRET, **settings}
        extra = {"wall": wall} if wall is not None else {}
        runtime = admin_function.AdminFunction.build(
            Settings(**values), store or FileStore(tmp_path / "store"), **extra
        )
        admin_function.configure(runtime)
        return runtime

    yield start
    admin_function.configure(None)
