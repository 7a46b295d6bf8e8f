"""A reverse proxy that can break the next N requests, to test S3Store's retries against moto.

moto always answers promptly and correctly, so on its own it cannot show that S3Store gives
up after a bounded number of attempts. Put this proxy between the store and moto, queue
faults on it (the same :class:`oss_server.Faults` knob the OSS test server has: an error
status, a hang past the client's read timeout, "apply upstream, then drop the answer", or a
truncated body) and every other request is forwarded unchanged.
"""

from __future__ import annotations

import http.client
import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from loopback import LoopbackServer, OwnedHTTPServer
from oss_server import Faults

from bailian_fc.store import Store

# Fault-test stores: short timeouts and few attempts, so each fault test takes about a second.
ATTEMPTS = 3
FAST_FAIL = {"connect_timeout": "0.5", "read_timeout": "0.5", "max_attempts": str(ATTEMPTS)}

# Per-connection headers that must not be forwarded; Expect because http.client cannot do 100-continue.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "proxy-connection",
        "expect",
        "host",
        "content-length",
    }
)


def s3_error_body(code: str, message: str) -> bytes:
    root = ET.Element("Error")
    for tag, text in (("Code", code), ("Message", message), ("RequestId", uuid.uuid4().hex)):
        ET.SubElement(root, tag).text = text
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: OwnedHTTPServer

    def do_GET(self) -> None:
        self._serve()

    do_PUT = do_HEAD = do_DELETE = do_POST = do_GET

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        proxy = self.server.owner
        proxy.count_request()
        fault = proxy.faults.take(self.command)
        if fault is not None and fault.kind == "hang":
            proxy.faults.wait_hang(fault)
            self.close_connection = True
            return
        if fault is not None and fault.kind == "status":
            self._reply(
                fault.status, [("Content-Type", "application/xml")], s3_error_body(fault.code, fault.message)
            )
            return
        status, headers, answer = self._forward(body)
        if fault is not None and fault.kind == "drop":
            self.close_connection = True  # upstream applied it; the client never hears back
            return
        self._reply(status, headers, answer, truncate=fault is not None and fault.kind == "truncate")

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        upstream = self.server.owner.upstream
        conn = http.client.HTTPConnection(upstream.hostname or "127.0.0.1", upstream.port, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            headers["Content-Length"] = str(len(body))
            conn.request(self.command, self.path, body=body, headers=headers)
            response = conn.getresponse()
            answer = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
            if self.command == "HEAD" and response.getheader("Content-Length"):
                kept.append(("Content-Length", response.getheader("Content-Length") or "0"))
            return response.status, kept, answer
        finally:
            conn.close()

    def _reply(
        self, status: int, headers: list[tuple[str, str]], body: bytes, truncate: bool = False
    ) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if truncate:  # promise the whole body, deliver half, hang up
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        elif self.command != "HEAD" and body:
            self.wfile.write(body)


class FaultProxy(LoopbackServer):
    """Forward 127.0.0.1:ephemeral to ``upstream``, breaking requests as :attr:`faults` says."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.faults = Faults()
        self.seen = 0  # requests received, faulted or not
        self._lock = threading.Lock()
        self._listen(_ProxyHandler, "s3-fault-proxy")

    def count_request(self) -> None:
        with self._lock:
            self.seen += 1


@dataclass
class Rig:
    """A store whose requests pass a fault point, and a direct store onto the same objects."""

    store: Store
    direct: Store  # no faults on its path once ``faults`` is cleared: checks what really got written
    faults: Faults
    requests_seen: Callable[[], int]
    attempts: int
