"""The threaded HTTP server shared by the store test servers (OSS, Tablestore, the S3 fault proxy)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

S = TypeVar("S", bound="LoopbackServer")


class OwnedHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops SYNs when 20 clients connect at once (1 s retransmit)
    owner: Any  # the LoopbackServer whose state the handlers use


class LoopbackServer:
    """Serve ``handler`` on 127.0.0.1 (loopback only) in a background thread; ``faults`` cleared on stop."""

    faults: Any

    def _listen(self, handler: type[BaseHTTPRequestHandler], thread_name: str, port: int = 0) -> None:
        self._httpd = OwnedHTTPServer(("127.0.0.1", port), handler)
        self._httpd.owner = self
        # Poll for shutdown 20x a second (default 2x), so stop() returns promptly.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name=thread_name, daemon=True
        )

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self: S) -> S:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.faults.clear()  # wakes any request held by a hang fault
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self: S) -> S:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
