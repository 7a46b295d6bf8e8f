"""Calling Bailian from a synchronous FC event handler.

Built-in ``python3.10`` handlers are plain functions, while the client is async. Each
thread keeps one event loop and one client for its whole life, so the connection pool
survives between invocations of a warm instance (a fresh ``asyncio.run`` per request
would tear it down). ``dashscope`` is imported only when the first miss needs a client:
a cache hit never pays for it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ..settings import Settings

if TYPE_CHECKING:
    import asyncio

    from ..bailian.client import BailianClient, Completion


class Upstream:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._local = threading.local()
        self._all: list[tuple[Any, Any]] = []  # every thread's (loop, client), for close_all
        self._lock = threading.Lock()

    def _loop_and_client(self) -> tuple[asyncio.AbstractEventLoop, BailianClient]:
        local = self._local
        if getattr(local, "client", None) is None:
            import asyncio  # ~20 ms: only once a miss needs Bailian

            local.loop = asyncio.new_event_loop()
            # The client's httpx pools bind to the loop they first run on: build it there.
            local.client = local.loop.run_until_complete(self._build())
            with self._lock:
                self._all.append((local.loop, local.client))
        return local.loop, local.client

    async def _build(self) -> BailianClient:
        from ..bailian.client import BailianClient  # anyio, httpx and dashscope: only once a miss needs them

        return BailianClient.from_settings(self.settings, max_connections=2)  # one call at a time per thread

    @staticmethod
    def preload() -> None:
        """Import the client stack now (dashscope's root), before worker threads need it."""
        from ..bailian.client import import_sdk

        import_sdk()

    def complete(
        self,
        app_id: str,
        *,
        prompt: str,
        output_model: Any,
        biz_params: dict[str, Any] | None,
        bare_list_field: str | None,
    ) -> Completion[Any]:
        loop, client = self._loop_and_client()
        return loop.run_until_complete(
            client.complete(
                app_id,
                prompt=prompt,
                output_model=output_model,
                biz_params=biz_params,
                bare_list_field=bare_list_field,
                deadline=self.settings.apps_deadline_seconds,
            )
        )

    def close(self) -> None:
        """Close every thread's client and loop (call when no thread is using them)."""
        with self._lock:
            pairs, self._all = self._all, []
        for loop, client in pairs:
            loop.run_until_complete(client.aclose())
            loop.close()
        self._local = threading.local()
