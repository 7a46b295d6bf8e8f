"""A Tablestore-protocol HTTP server, so OtsStore is tested with the real SDK over real HTTP.

There is no Tablestore emulator. This server speaks the wire protocol the ``tablestore`` SDK
uses, the way the service does, for the calls a key-value store needs:

* ``POST /<Api>`` with protobuf bodies (``table_store_pb2``): CreateTable, ListTable,
  DescribeTable, DeleteTable, PutRow, GetRow, DeleteRow, GetRange; rows in PlainBuffer with
  CRC-8 checks both ways (:mod:`plainbuffer`);
* request signatures checked (V2 HMAC-SHA1, or V4 when the client names a region; STS
  token headers included) against :attr:`OtsServer.secrets`, plus the body MD5; a mismatch
  is 403 ``OTSAuthFailed`` as on the service;
* every answer carries ``x-ots-contentmd5``, ``x-ots-requestid``, ``x-ots-date`` (UTC with
  fractional seconds), ``x-ots-contenttype`` and an ``Authorization: OTS id:sig`` signed
  over them, which the SDK verifies before it reads a byte of the body;
* row-existence conditions under one lock (``EXPECT_NOT_EXIST`` → 403
  ``OTSConditionCheckFail``), the service's limits (1 KB string keys, 2 MB cells, 4 MB rows,
  5,000 rows or 4 MB per GetRange page with ``next_start_primary_key``), and
  ``OTSObjectNotExist`` / ``OTSObjectAlreadyExist`` / ``OTSParameterInvalid`` errors
  (:mod:`ots_state`);
* the :class:`oss_server.Faults` knob: the next requests answer an error (503 becomes
  ``OTSServerBusy``), hang, are applied and then lose their answer, or are truncated.
  Faults match a verb per API (PutRow ``PUT``, GetRow/GetRange ``GET``, DeleteRow
  ``DELETE``, table calls ``POST``), so the storage contract's fault tests read the same.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import uuid
from collections import deque
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any

from loopback import LoopbackServer, OwnedHTTPServer
from oss_server import Fault, Faults
from ots_state import OtsError, OtsState
from tablestore.protobuf import table_store_pb2 as pb

DEFAULT_SECRETS = {"test-ak": "test-sk"}

_VERB = {"PutRow": "PUT", "UpdateRow": "PUT", "GetRow": "GET", "GetRange": "GET", "DeleteRow": "DELETE"}
_FAULT_CODES = {
    ("ServiceUnavailable", 503): ("OTSServerBusy", "Server is busy."),
    ("InternalError", 500): ("OTSInternalServerError", "Internal server error."),
}


# -- signatures -----------------------------------------------------------------------------------


def _canonical_headers(headers: dict[str, str], skip: tuple[str, ...] = ()) -> str:
    items = [f"{k}:{v.strip()}" for k, v in headers.items() if k.startswith("x-ots-") and k not in skip]
    return "\n".join(sorted(items))


def _hmac_b64(key: bytes, text: str, digest: Any) -> str:
    return base64.b64encode(hmac.new(key, text.encode(), digest).digest()).decode()


def v4_signing_key(secret: str, sign_date: str, region: str) -> bytes:
    key = ("aliyun_v4" + secret).encode()
    for part in (sign_date, region, "ots", "aliyun_v4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return base64.b64encode(key)


def signing_key(headers: dict[str, str], secret: str) -> bytes:
    """What the client signed with: the secret (V2) or the V4 key derived from date and region."""
    if "x-ots-signaturev4" in headers:
        return v4_signing_key(secret, headers.get("x-ots-signdate", ""), headers.get("x-ots-signregion", ""))
    return secret.encode()


def request_signature_ok(path: str, headers: dict[str, str], secret: str) -> bool:
    canon = f"{path}\nPOST\n\n" + _canonical_headers(headers, ("x-ots-signature", "x-ots-signaturev4")) + "\n"
    key = signing_key(headers, secret)
    if "x-ots-signaturev4" in headers:
        return hmac.compare_digest(
            _hmac_b64(key, canon + "ots", hashlib.sha256), headers["x-ots-signaturev4"]
        )
    return hmac.compare_digest(_hmac_b64(key, canon, hashlib.sha1), headers.get("x-ots-signature", ""))


def response_signature(path: str, headers: dict[str, str], key: bytes) -> str:
    return _hmac_b64(key, _canonical_headers(headers) + "\n" + path, hashlib.sha1)


# -- HTTP plumbing --------------------------------------------------------------------------------


def _error_body(code: str, message: str) -> bytes:
    return bytes(pb.Error(code=code, message=message).SerializeToString())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's urllib3 pool expects
    disable_nagle_algorithm = True
    server: OwnedHTTPServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        owner = self.server.owner
        api = self.path.split("?")[0].rstrip("/").rpartition("/")[2]
        headers = {k.lower(): v for k, v in self.headers.items()}
        owner.record(api, headers)
        fault = owner.faults.take(_VERB.get(api, "POST"))
        if fault is not None and fault.kind == "hang":
            owner.faults.wait_hang(fault)
            self.close_connection = True
            return
        secret = owner.secrets.get(headers.get("x-ots-accesskeyid", ""))
        if fault is not None and fault.kind == "status":
            self._send(api, headers, secret, *_fault_error(fault))
            return
        status, answer = self._answer(api, headers, body, secret)
        if fault is not None and fault.kind == "drop":
            self.close_connection = True  # applied, but the client never hears about it
            return
        self._send(
            api, headers, secret, status, answer, truncate=fault is not None and fault.kind == "truncate"
        )

    def do_GET(self) -> None:
        self._send("", {}, None, 405, _error_body("OTSMethodNotAllowed", "Only POST is allowed."))

    do_PUT = do_DELETE = do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def _answer(
        self, api: str, headers: dict[str, str], body: bytes, secret: str | None
    ) -> tuple[int, bytes]:
        owner = self.server.owner
        handler = OtsState.HANDLERS.get(api)
        if handler is None:
            return 400, _error_body("OTSUnsupportOperation", f"Unsupported operation: '{api}'.")
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        if secret is None or headers.get("x-ots-contentmd5") != md5:
            return 403, _error_body("OTSAuthFailed", "Signature mismatch.")
        if owner.check_signatures and not request_signature_ok(f"/{api}", headers, secret):
            return 403, _error_body("OTSAuthFailed", "Signature mismatch.")
        if headers.get("x-ots-instancename") != owner.instance:
            return 403, _error_body("OTSAuthFailed", "The instance is not found or not accessible.")
        try:
            return 200, handler(owner.state, body)
        except OtsError as exc:
            return exc.status, _error_body(exc.code, exc.message)
        except Exception as exc:  # a malformed protobuf from a client is its error, not ours
            return 400, _error_body("OTSParameterInvalid", f"Malformed request: {type(exc).__name__}.")

    def _send(
        self,
        api: str,
        req_headers: dict[str, str],
        secret: str | None,
        status: int,
        body: bytes,
        truncate: bool = False,
    ) -> None:
        now = datetime.now(timezone.utc)
        headers = {
            "x-ots-contentmd5": base64.b64encode(hashlib.md5(body).digest()).decode(),
            "x-ots-requestid": str(uuid.uuid4()),
            "x-ots-date": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}Z",
            "x-ots-contenttype": "protocol buffer",
        }
        auth_failed = status == 403 and b"OTSAuthFailed" in body
        if secret is not None and not auth_failed:
            key = signing_key(req_headers, secret)
            signature = response_signature(f"/{api}", headers, key)
            headers["Authorization"] = f"OTS {req_headers['x-ots-accesskeyid']}:{signature}"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if truncate:  # promise the whole body, deliver half, hang up
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        elif body:
            self.wfile.write(body)


def _fault_error(fault: Fault) -> tuple[int, bytes]:
    code, message = _FAULT_CODES.get((fault.code, fault.status), (fault.code, fault.message))
    return fault.status, _error_body(code, message)


class OtsServer(LoopbackServer):
    """Run the Tablestore-protocol server on 127.0.0.1 and an ephemeral port, in a background thread."""

    def __init__(self, instance: str = "test-inst", port: int = 0) -> None:
        self.instance = instance
        self.state = OtsState()
        self.faults = Faults()
        self.secrets = dict(DEFAULT_SECRETS)
        self.check_signatures = True
        self.log: deque[tuple[str, dict[str, str]]] = deque(maxlen=2000)  # (api, headers)
        self.request_count = 0
        self._lock = threading.Lock()
        self._listen(_Handler, "ots-test-server", port)

    def record(self, api: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.request_count += 1
            self.log.append((api, headers))

    def apis_since(self, mark: int) -> list[str]:
        """The API names of the requests after ``request_count`` was ``mark``."""
        with self._lock:
            count = self.request_count - mark
            return [api for api, _ in list(self.log)[-count:]] if count > 0 else []


if __name__ == "__main__":  # manual poking: python tests/store/ots_server.py
    with OtsServer() as srv:
        print(
            f"Tablestore test server at {srv.endpoint} (instance 'test-inst', key test-ak/test-sk)",
            flush=True,
        )
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
