"""A small OSS-protocol HTTP server, so OssStore is tested against real HTTP, not a mock.

moto cannot stand in for OSS: it ignores ``x-oss-forbid-overwrite`` (silently
overwrites), rejects oss2's empty ``continuation-token`` and fails V4-signed requests.
This server speaks just the part of the OSS object API the store uses, the way OSS does:

* PutObject honouring ``x-oss-forbid-overwrite: true`` (409 ``FileAlreadyExists``),
  GetObject, HeadObject (errors in the base64 ``x-oss-err`` header, as OSS does for
  bodiless replies), DeleteObject (204 even when missing), PutBucket;
* ListObjects (marker) and ListObjectsV2 (``list-type=2``: start-after, max-keys,
  continuation-token, truncation, ``encoding-type=url``);
* OSS error bodies (Code/Message/RequestId/HostId/EC), uppercase-MD5 ETags,
  ``x-oss-request-id`` and ``x-oss-hash-crc64ecma`` (so oss2's CRC checks run);
* fault injection: the next N requests answer an error status, hang past the client
  timeout, are applied and then lose their response, or get a truncated body.

Addressing: oss2 builds *path-style* URLs (``/bucket/key``, key percent-encoded with
``/`` as ``%2F``) whenever the endpoint is an IP or ``localhost`` (``_UrlMaker`` +
``utils.is_ip_or_localhost``), so that is what this server parses. Signatures are not
checked. Stdlib only, apart from crcmod (an oss2 dependency) for CRC-64/ECMA.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from typing import Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit

import crcmod
from loopback import LoopbackServer, OwnedHTTPServer

# CRC-64/ECMA-182 as OSS computes it (same parameters as oss2.utils.Crc64).
_crc64 = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)

MAX_KEY_BYTES = 1023  # OSS object names are 1..1023 bytes
MAX_LIST_KEYS = 1000

# OSS "EC" codes shown in its error bodies, for the errors this server produces.
_EC = {"NoSuchKey": "0026-00000001", "FileAlreadyExists": "0026-00000002", "NoSuchBucket": "0015-00000101"}


# -- fault injection ------------------------------------------------------------------------------

FaultKind = Literal["status", "hang", "drop", "truncate"]


@dataclass(frozen=True)
class Fault:
    """What to do instead of (or after) answering one request."""

    kind: FaultKind
    status: int = 503
    code: str = "ServiceUnavailable"
    message: str = "Please reduce your request rate."
    seconds: float = 30.0
    methods: frozenset[str] | None = None  # None: any method


class Faults:
    """A thread-safe queue of faults for the next requests; shared with the S3 fault proxy."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Fault] = deque()
        self._release = threading.Event()
        self.served = 0
        self.hangs_over = 0  # hangs that ran their full time or were released by clear()

    def fail_next(
        self,
        count: int,
        status: int = 503,
        code: str = "ServiceUnavailable",
        message: str = "Please reduce your request rate.",
        methods: str | None = None,
    ) -> None:
        self._add(
            count, Fault("status", status=status, code=code, message=message, methods=_methods(methods))
        )

    def hang_next(self, count: int, seconds: float = 30.0, methods: str | None = None) -> None:
        """Hold the next requests without answering (the client's read timeout fires), then drop them."""
        self._add(count, Fault("hang", seconds=seconds, methods=_methods(methods)))

    def drop_response_next(self, count: int, methods: str | None = None) -> None:
        """Apply the next requests, then close the connection instead of answering."""
        self._add(count, Fault("drop", methods=_methods(methods)))

    def truncate_next(self, count: int, methods: str | None = None) -> None:
        """Answer the next requests with their full Content-Length but only half the body, then close."""
        self._add(count, Fault("truncate", methods=_methods(methods)))

    def take(self, method: str) -> Fault | None:
        with self._lock:
            if not self._queue:
                return None
            fault = self._queue[0]
            if fault.methods is not None and method not in fault.methods:
                return None
            self._queue.popleft()
            self.served += 1
            return fault

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def wait_hang(self, fault: Fault) -> None:
        self._release.wait(fault.seconds)
        with self._lock:
            self.hangs_over += 1

    def clear(self) -> None:
        """Forget queued faults and wake any request that is hanging."""
        with self._lock:
            self._queue.clear()
            self.served = 0
            self.hangs_over = 0
            self._release.set()
            self._release = threading.Event()

    def _add(self, count: int, fault: Fault) -> None:
        with self._lock:
            self._queue.extend([fault] * count)


def _methods(methods: str | None) -> frozenset[str] | None:
    return None if methods is None else frozenset(m.strip().upper() for m in methods.split(","))


# -- protocol -------------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    bucket: str
    key: str
    query: dict[str, str]
    headers: Message
    body: bytes


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class StoredObject:
    data: bytes
    etag: str
    crc64: int
    modified: float


def _request_id() -> str:
    return uuid.uuid4().hex[:24].upper()


def error_response(status: int, code: str, message: str, bucket: str = "", key: str = "") -> Response:
    """An OSS error: XML body shaped like OSS's (Code, Message, RequestId, HostId, optional Key/EC)."""
    root = ET.Element("Error")
    request_id = _request_id()
    for tag, text in (
        ("Code", code),
        ("Message", message),
        ("RequestId", request_id),
        ("HostId", f"{bucket}.oss-test.local" if bucket else "oss-test.local"),
    ):
        ET.SubElement(root, tag).text = text
    if key:
        ET.SubElement(root, "Key").text = key
    if code in _EC:
        ET.SubElement(root, "EC").text = _EC[code]
    body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(
        root, encoding="utf-8", xml_declaration=False
    )
    return Response(status, {"Content-Type": "application/xml", "x-oss-request-id": request_id}, body)


def _xml(root: ET.Element) -> Response:
    body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")
    return Response(200, {"Content-Type": "application/xml"}, body)


def _add(parent: ET.Element, tag: str, text: str | int | bool) -> None:
    value = str(text).lower() if isinstance(text, bool) else str(text)
    ET.SubElement(parent, tag).text = value


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts))


class OssState:
    """Buckets and objects in memory; one lock makes forbid-overwrite a true create-only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, dict[str, StoredObject]] = {}

    def create_bucket(self, name: str) -> None:
        with self._lock:
            self._buckets.setdefault(name, {})

    def objects(self, bucket: str) -> dict[str, StoredObject]:
        """The live object table of ``bucket``, for tests that tamper with stored state."""
        return self._buckets[bucket]

    def handle(self, req: Request) -> Response:
        if not req.bucket:
            return error_response(501, "NotImplemented", "Service-level operations are not implemented here.")
        if req.method == "PUT" and not req.key:
            self.create_bucket(req.bucket)
            return Response(200)
        objects = self._buckets.get(req.bucket)
        if objects is None:
            return error_response(404, "NoSuchBucket", "The specified bucket does not exist.", req.bucket)
        if not req.key:
            return self._bucket_op(req, objects)
        return self._object_op(req, objects)

    # -- bucket-level ---------------------------------------------------------------------------

    def _bucket_op(self, req: Request, objects: dict[str, StoredObject]) -> Response:
        if req.method == "HEAD":
            return Response(200)
        if req.method != "GET":
            return error_response(405, "MethodNotAllowed", "The specified method is not allowed.", req.bucket)
        if req.query.get("delimiter"):
            return error_response(
                501, "NotImplemented", "delimiter is not implemented by this test server.", req.bucket
            )
        try:
            max_keys = int(req.query.get("max-keys") or 100)
        except ValueError:
            max_keys = -1
        if not 0 <= max_keys <= MAX_LIST_KEYS:
            return error_response(
                400, "InvalidArgument", "Argument max-keys must be between 0 and 1000.", req.bucket
            )
        with self._lock:
            snapshot = {k: objects[k] for k in objects}
        if req.query.get("list-type") == "2":
            return self._list_v2(req, snapshot, max_keys)
        return self._list_v1(req, snapshot, max_keys)

    def _list_v2(self, req: Request, objects: dict[str, StoredObject], max_keys: int) -> Response:
        prefix, start_after = req.query.get("prefix", ""), req.query.get("start-after", "")
        token = req.query.get("continuation-token", "")
        try:
            after = _decode_token(token) if token else start_after
        except ValueError:
            return error_response(400, "InvalidArgument", "The continuation token is not valid.", req.bucket)
        page, truncated = _page(objects, prefix, after, max_keys)
        enc = _encoder(req.query.get("encoding-type", ""))
        root = ET.Element("ListBucketResult")
        _add(root, "Name", req.bucket)
        _add(root, "Prefix", enc(prefix))
        if start_after:
            _add(root, "StartAfter", enc(start_after))
        if token:
            _add(root, "ContinuationToken", token)
        _add(root, "MaxKeys", max_keys)
        _add(root, "Delimiter", "")
        if enc is not _identity:
            _add(root, "EncodingType", "url")
        _add(root, "IsTruncated", truncated)
        if truncated:
            _add(root, "NextContinuationToken", _encode_token(page[-1]))
        _add(root, "KeyCount", len(page))
        _add_contents(root, page, objects, enc)
        return _xml(root)

    def _list_v1(self, req: Request, objects: dict[str, StoredObject], max_keys: int) -> Response:
        prefix, marker = req.query.get("prefix", ""), req.query.get("marker", "")
        page, truncated = _page(objects, prefix, marker, max_keys)
        enc = _encoder(req.query.get("encoding-type", ""))
        root = ET.Element("ListBucketResult")
        _add(root, "Name", req.bucket)
        _add(root, "Prefix", enc(prefix))
        _add(root, "Marker", enc(marker))
        _add(root, "MaxKeys", max_keys)
        _add(root, "Delimiter", "")
        if enc is not _identity:
            _add(root, "EncodingType", "url")
        _add(root, "IsTruncated", truncated)
        if truncated:
            _add(root, "NextMarker", enc(page[-1]))
        _add_contents(root, page, objects, enc)
        return _xml(root)

    # -- object-level ---------------------------------------------------------------------------

    def _object_op(self, req: Request, objects: dict[str, StoredObject]) -> Response:
        if len(req.key.encode()) > MAX_KEY_BYTES:
            return error_response(
                400, "InvalidObjectName", "The specified object is not valid.", req.bucket, req.key
            )
        if set(req.query) - {"encoding-type"}:
            return error_response(
                501,
                "NotImplemented",
                f"Sub-resources {sorted(req.query)} are not implemented.",
                req.bucket,
                req.key,
            )
        handler: Callable[[Request, dict[str, StoredObject]], Response] | None = {
            "PUT": self._put,
            "GET": self._get,
            "HEAD": self._get,
            "DELETE": self._delete,
        }.get(req.method)
        if handler is None:
            return error_response(
                405, "MethodNotAllowed", "The specified method is not allowed.", req.bucket, req.key
            )
        return handler(req, objects)

    def _put(self, req: Request, objects: dict[str, StoredObject]) -> Response:
        digest = hashlib.md5(req.body).digest()
        sent_md5 = req.headers.get("Content-MD5")
        if sent_md5 and sent_md5 != base64.b64encode(digest).decode():
            return error_response(
                400, "InvalidDigest", "The Content-MD5 you specified was invalid.", req.bucket, req.key
            )
        forbid = (req.headers.get("x-oss-forbid-overwrite") or "").strip().lower() == "true"
        obj = StoredObject(req.body, f'"{digest.hex().upper()}"', _crc64(req.body), time.time())
        with self._lock:
            if forbid and req.key in objects:
                return error_response(
                    409,
                    "FileAlreadyExists",
                    "The object you specified already exists and can not be overwritten.",
                    req.bucket,
                    req.key,
                )
            objects[req.key] = obj
        return Response(
            200,
            {
                "ETag": obj.etag,
                "x-oss-hash-crc64ecma": str(obj.crc64),
                "Content-MD5": base64.b64encode(digest).decode(),
            },
        )

    def _get(self, req: Request, objects: dict[str, StoredObject]) -> Response:
        if req.headers.get("Range"):
            return error_response(
                501, "NotImplemented", "Range reads are not implemented here.", req.bucket, req.key
            )
        with self._lock:
            obj = objects.get(req.key)
        if obj is None:
            return error_response(404, "NoSuchKey", "The specified key does not exist.", req.bucket, req.key)
        headers = {
            "ETag": obj.etag,
            "Last-Modified": formatdate(obj.modified, usegmt=True),
            "Content-Type": "application/octet-stream",
            "x-oss-object-type": "Normal",
            "x-oss-hash-crc64ecma": str(obj.crc64),
            "x-oss-storage-class": "Standard",
        }
        return Response(200, headers, obj.data)

    def _delete(self, req: Request, objects: dict[str, StoredObject]) -> Response:
        with self._lock:
            objects.pop(req.key, None)
        return Response(204)


def _page(objects: dict[str, StoredObject], prefix: str, after: str, max_keys: int) -> tuple[list[str], bool]:
    # Python orders str by code point, which is UTF-8 byte order: the order OSS lists in.
    matching = sorted(k for k in objects if k.startswith(prefix) and k > after)
    return matching[:max_keys], len(matching) > max_keys


def _add_contents(
    root: ET.Element, page: list[str], objects: dict[str, StoredObject], enc: Callable[[str], str]
) -> None:
    for key in page:
        obj = objects[key]
        node = ET.SubElement(root, "Contents")
        _add(node, "Key", enc(key))
        _add(node, "LastModified", _iso(obj.modified))
        _add(node, "ETag", obj.etag)
        _add(node, "Type", "Normal")
        _add(node, "Size", len(obj.data))
        _add(node, "StorageClass", "Standard")


def _identity(text: str) -> str:
    return text


def _url_encode(text: str) -> str:
    return quote(text, safe="/")


def _encoder(encoding_type: str) -> Callable[[str], str]:
    return _url_encode if encoding_type == "url" else _identity


def _encode_token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(token) from exc


# -- HTTP plumbing --------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as oss2's pooled requests session expects
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: OwnedHTTPServer

    def do_GET(self) -> None:
        self._serve()

    do_PUT = do_HEAD = do_DELETE = do_POST = do_GET

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def _serve(self) -> None:
        body = self._read_body()
        owner = self.server.owner
        owner.record(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        fault = owner.faults.take(self.command)
        if fault is not None and fault.kind == "hang":
            owner.faults.wait_hang(fault)
            self.close_connection = True
            return
        if fault is not None and fault.kind == "status":
            self._send(error_response(fault.status, fault.code, fault.message))
            return
        response = owner.state.handle(self._parse(body))
        if fault is not None and fault.kind == "drop":
            self.close_connection = True  # applied, but the client never hears about it
            return
        self._send(response, truncate=fault is not None and fault.kind == "truncate")

    def _parse(self, body: bytes) -> Request:
        parts = urlsplit(self.path)
        bucket, _, raw_key = parts.path.lstrip("/").partition("/")
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        return Request(self.command, unquote(bucket), unquote(raw_key), query, self.headers, body)

    def _read_body(self) -> bytes:
        # Always drain the body, or leftover bytes would corrupt the next request on this connection.
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, response: Response, truncate: bool = False) -> None:
        headers = {"x-oss-request-id": _request_id(), "Server": "AliyunOSS", **response.headers}
        body = response.body
        if self.command == "HEAD" and response.status >= 300 and body:
            headers["x-oss-err"] = base64.b64encode(body).decode()  # OSS puts HEAD errors here
        self.send_response(response.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if truncate:
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        elif self.command != "HEAD" and body:
            self.wfile.write(body)


class OssServer(LoopbackServer):
    """Run the OSS-protocol server on 127.0.0.1 and an ephemeral port, in a background thread."""

    def __init__(self, port: int = 0) -> None:
        self.state = OssState()
        self.faults = Faults()
        self.log: deque[tuple[str, str, dict[str, str]]] = deque(maxlen=2000)  # (method, target, headers)
        self.request_count = 0
        self._lock = threading.Lock()
        self._listen(_Handler, "oss-test-server", port)

    def create_bucket(self, name: str) -> None:
        self.state.create_bucket(name)

    def record(self, method: str, target: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.request_count += 1
            self.log.append((method, target, headers))


if __name__ == "__main__":  # manual poking: python tests/store/oss_server.py
    with OssServer() as srv:
        srv.create_bucket("demo")
        print(f"OSS test server at {srv.endpoint} (bucket 'demo'); Ctrl-C to stop", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
