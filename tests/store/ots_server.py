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
  ``OTSObjectNotExist`` / ``OTSObjectAlreadyExist`` / ``OTSParameterInvalid`` errors;
* the :class:`oss_server.Faults` knob: the next requests answer an error (503 becomes
  ``OTSServerBusy``), hang, are applied and then lose their answer, or are truncated.
  Faults match a verb per API (PutRow ``PUT``, GetRow/GetRange ``GET``, DeleteRow
  ``DELETE``, table calls ``POST``), so the storage contract's fault tests read the same.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import hmac
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from oss_server import Fault, Faults
from plainbuffer import INF_MAX, INF_MIN, Cell, PlainBufferError, Row, Value, decode_row, encode_rows
from tablestore.protobuf import table_store_pb2 as pb

MAX_PK_STRING_BYTES = 1024
MAX_CELL_BYTES = 2 * 1024 * 1024
MAX_ROW_BYTES = 4 * 1024 * 1024
MAX_RANGE_ROWS = 5000
MAX_RANGE_BYTES = 4 * 1024 * 1024
DEFAULT_SECRETS = {"test-ak": "test-sk"}

_VERB = {"PutRow": "PUT", "UpdateRow": "PUT", "GetRow": "GET", "GetRange": "GET", "DeleteRow": "DELETE"}
_FAULT_CODES = {
    ("ServiceUnavailable", 503): ("OTSServerBusy", "Server is busy."),
    ("InternalError", 500): ("OTSInternalServerError", "Internal server error."),
}


class OtsError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _table_missing() -> OtsError:
    return OtsError(404, "OTSObjectNotExist", "Requested table does not exist.")


def _invalid(message: str) -> OtsError:
    return OtsError(400, "OTSParameterInvalid", message)


# -- data model -----------------------------------------------------------------------------------


def _sort_key(value: Value) -> tuple[int, Any]:
    """INF_MIN < INTEGER < STRING < BINARY < INF_MAX; strings in UTF-8 byte (= code point) order."""
    if value is INF_MIN:
        return (0, 0)
    if value is INF_MAX:
        return (9, 0)
    if isinstance(value, bool):
        raise _invalid("Boolean is not a valid primary key type.")
    if isinstance(value, int):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, bytes):
        return (3, value)
    raise _invalid("Unsupported primary key type.")


PkKey = tuple[tuple[int, Any], ...]


@dataclass
class StoredRow:
    primary_key: list[Cell]
    columns: dict[str, Cell]


@dataclass
class Table:
    name: str
    schema: list[tuple[str, int]]  # (name, pb.PrimaryKeyType)
    time_to_live: int = -1
    max_versions: int = 1
    created: float = field(default_factory=time.time)
    rows: dict[PkKey, StoredRow] = field(default_factory=dict)
    order: list[PkKey] = field(default_factory=list)  # kept sorted: range reads bisect it

    def key_of(self, cells: list[Cell], *, allow_infinite: bool = False) -> PkKey:
        if [c.name for c in cells] != [name for name, _ in self.schema]:
            raise OtsError(400, "OTSInvalidPK", "Primary key schema mismatch.")
        key = []
        for cell, (_, kind) in zip(cells, self.schema, strict=True):
            value = cell.value
            infinite = value is INF_MIN or value is INF_MAX
            if infinite and not allow_infinite:
                raise OtsError(400, "OTSInvalidPK", "Primary key schema mismatch.")
            if not infinite and not _pk_type_matches(value, kind):
                raise OtsError(400, "OTSInvalidPK", "Primary key schema mismatch.")
            if isinstance(value, (str, bytes)):
                size = len(value.encode()) if isinstance(value, str) else len(value)
                if size > MAX_PK_STRING_BYTES:
                    raise _invalid(f"The length of primary key column: '{cell.name}' exceeds the MaxLength: 1024.")
            key.append(_sort_key(value))  # type: ignore[arg-type]
        return tuple(key)


def _pk_type_matches(value: Value | None, kind: int) -> bool:
    if kind == pb.INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == pb.STRING:
        return isinstance(value, str)
    return kind == pb.BINARY and isinstance(value, bytes)


def _cell_size(cell: Cell) -> int:
    value = cell.value
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, bytes):
        return len(value)
    return 8


class OtsState:
    """Tables and rows in memory; one lock makes row-existence conditions atomic."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tables: dict[str, Table] = {}

    def table(self, name: str) -> Table:
        table = self.tables.get(name)
        if table is None:
            raise _table_missing()
        return table

    # -- table calls --------------------------------------------------------------------------

    def create_table(self, body: bytes) -> bytes:
        req = pb.CreateTableRequest.FromString(body)
        meta = req.table_meta
        schema = [(col.name, int(col.type)) for col in meta.primary_key]
        if not 1 <= len(schema) <= 4:
            raise _invalid("The number of primary key columns must be in range: [1, 4].")
        options = req.table_options
        ttl = options.time_to_live if options.HasField("time_to_live") else -1
        if ttl != -1 and ttl < 86400:
            raise _invalid("TimeToLive must be -1 or at least 86400 seconds.")
        with self.lock:
            if meta.table_name in self.tables:
                raise OtsError(409, "OTSObjectAlreadyExist", "Requested table already exists.")
            self.tables[meta.table_name] = Table(
                meta.table_name, schema, ttl, options.max_versions if options.HasField("max_versions") else 1
            )
        return pb.CreateTableResponse().SerializeToString()

    def list_table(self, body: bytes) -> bytes:
        with self.lock:
            names = sorted(self.tables)
        return pb.ListTableResponse(table_names=names).SerializeToString()

    def describe_table(self, body: bytes) -> bytes:
        req = pb.DescribeTableRequest.FromString(body)
        with self.lock:
            table = self.table(req.table_name)
        resp = pb.DescribeTableResponse()
        resp.table_meta.table_name = table.name
        for name, kind in table.schema:
            resp.table_meta.primary_key.add(name=name, type=kind)
        details = resp.reserved_throughput_details
        details.capacity_unit.read, details.capacity_unit.write = 0, 0
        details.last_increase_time = int(table.created)
        resp.table_options.time_to_live = table.time_to_live
        resp.table_options.max_versions = table.max_versions
        resp.table_options.deviation_cell_version_in_sec = 86400
        return resp.SerializeToString()

    def delete_table(self, body: bytes) -> bytes:
        req = pb.DeleteTableRequest.FromString(body)
        with self.lock:
            if self.tables.pop(req.table_name, None) is None:
                raise _table_missing()
        return pb.DeleteTableResponse().SerializeToString()

    # -- row calls ----------------------------------------------------------------------------

    def put_row(self, body: bytes) -> bytes:
        req = pb.PutRowRequest.FromString(body)
        row = _decode(req.row)
        now_ms = int(time.time() * 1000)
        columns = {c.name: Cell(c.name, c.value, c.timestamp or now_ms) for c in row.columns}
        for cell in row.columns:
            if cell.value is None or cell.op is not None:
                raise _invalid("PutRow cells need a value and no operation type.")
            if _cell_size(cell) > MAX_CELL_BYTES:
                raise _invalid(
                    f"The length of attribute column: '{cell.name}' exceeds the MaxLength:{MAX_CELL_BYTES} "
                    f"with CurrentLength:{_cell_size(cell)}."
                )
        if sum(_cell_size(c) + len(c.name) for c in [*row.primary_key, *row.columns]) > MAX_ROW_BYTES:
            raise _invalid("The total data size of a single row exceeds the limit.")
        with self.lock:
            table = self.table(req.table_name)
            key = table.key_of(row.primary_key)
            _check_condition(req.condition, key in table.rows)
            if key not in table.rows:
                bisect.insort(table.order, key)
            table.rows[key] = StoredRow(row.primary_key, columns)
        return _consumed(pb.PutRowResponse(), write=1)

    def get_row(self, body: bytes) -> bytes:
        req = pb.GetRowRequest.FromString(body)
        if not req.HasField("max_versions") and not req.HasField("time_range"):
            raise _invalid("Neither MaxVersions nor TimeRange is set.")
        pk = _decode(req.primary_key).primary_key
        with self.lock:
            table = self.table(req.table_name)
            stored = table.rows.get(table.key_of(pk))
            row = _project(stored, list(req.columns_to_get)) if stored else None
        resp = _consumed(pb.GetRowResponse(row=encode_rows([row] if row else [])), read=1)
        return resp

    def delete_row(self, body: bytes) -> bytes:
        req = pb.DeleteRowRequest.FromString(body)
        row = _decode(req.primary_key)
        if not row.delete_marker:
            raise _invalid("DeleteRow needs a delete marker.")
        with self.lock:
            table = self.table(req.table_name)
            key = table.key_of(row.primary_key)
            _check_condition(req.condition, key in table.rows)
            if table.rows.pop(key, None) is not None:
                table.order.pop(bisect.bisect_left(table.order, key))
        return _consumed(pb.DeleteRowResponse(), write=1)

    def get_range(self, body: bytes) -> bytes:
        req = pb.GetRangeRequest.FromString(body)
        if not req.HasField("max_versions") and not req.HasField("time_range"):
            raise _invalid("Neither MaxVersions nor TimeRange is set.")
        if req.HasField("limit") and req.limit <= 0:
            raise _invalid("The limit must be greater than 0.")
        start_cells = _decode(req.inclusive_start_primary_key).primary_key
        end_cells = _decode(req.exclusive_end_primary_key).primary_key
        forward = req.direction == pb.FORWARD
        limit = min(req.limit if req.HasField("limit") else MAX_RANGE_ROWS, MAX_RANGE_ROWS)
        with self.lock:
            table = self.table(req.table_name)
            start = table.key_of(start_cells, allow_infinite=True)
            end = table.key_of(end_cells, allow_infinite=True)
            if forward and not start < end:
                raise _invalid("Begin key must less than end key in FORWARD")
            if not forward and not start > end:
                raise _invalid("Begin key must more than end key in BACKWARD")
            keys = _range(table.order, start, end, forward)
            rows, size, next_key = [], 0, None
            for key in keys:
                if len(rows) == limit or (rows and size >= MAX_RANGE_BYTES):
                    next_key = key  # more rows remain: the client continues from here
                    break
                row = _project(table.rows[key], list(req.columns_to_get))
                rows.append(row)
                size += sum(_cell_size(c) for c in row.columns)
            next_cells = table.rows[next_key].primary_key if next_key is not None else None
        resp = pb.GetRangeResponse(rows=encode_rows(rows))
        if next_cells is not None:
            resp.next_start_primary_key = encode_rows([Row(next_cells)])
        return _consumed(resp, read=max(1, len(rows)))

    HANDLERS: ClassVar[dict[str, Callable[[OtsState, bytes], bytes]]] = {
        "CreateTable": create_table,
        "ListTable": list_table,
        "DescribeTable": describe_table,
        "DeleteTable": delete_table,
        "PutRow": put_row,
        "GetRow": get_row,
        "DeleteRow": delete_row,
        "GetRange": get_range,
    }


def _decode(data: bytes) -> Row:
    try:
        return decode_row(data)
    except PlainBufferError as exc:
        raise _invalid(f"Invalid PlainBuffer: {exc}.") from exc


def _check_condition(condition: Any, exists: bool) -> None:
    expectation = condition.row_existence
    if (expectation == pb.EXPECT_NOT_EXIST and exists) or (expectation == pb.EXPECT_EXIST and not exists):
        raise OtsError(403, "OTSConditionCheckFail", "Condition check failed.")


def _project(stored: StoredRow, names: list[str]) -> Row:
    columns = [c for name, c in stored.columns.items() if not names or name in names]
    return Row(list(stored.primary_key), columns)


def _range(order: list[PkKey], start: PkKey, end: PkKey, forward: bool) -> list[PkKey]:
    if forward:
        return order[bisect.bisect_left(order, start) : bisect.bisect_left(order, end)]
    return order[bisect.bisect_right(order, end) : bisect.bisect_right(order, start)][::-1]


def _consumed(message: Any, read: int = 0, write: int = 0) -> bytes:
    message.consumed.capacity_unit.read = read
    message.consumed.capacity_unit.write = write
    return bytes(message.SerializeToString())


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
        return hmac.compare_digest(_hmac_b64(key, canon + "ots", hashlib.sha256), headers["x-ots-signaturev4"])
    return hmac.compare_digest(_hmac_b64(key, canon, hashlib.sha1), headers.get("x-ots-signature", ""))


def response_signature(path: str, headers: dict[str, str], key: bytes) -> str:
    return _hmac_b64(key, _canonical_headers(headers) + "\n" + path, hashlib.sha1)


# -- HTTP plumbing --------------------------------------------------------------------------------


def _error_body(code: str, message: str) -> bytes:
    return bytes(pb.Error(code=code, message=message).SerializeToString())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's urllib3 pool expects
    disable_nagle_algorithm = True
    server: _HttpServer

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
        self._send(api, headers, secret, status, answer, truncate=fault is not None and fault.kind == "truncate")

    def do_GET(self) -> None:
        self._send("", {}, None, 405, _error_body("OTSMethodNotAllowed", "Only POST is allowed."))

    do_PUT = do_DELETE = do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def _answer(self, api: str, headers: dict[str, str], body: bytes, secret: str | None) -> tuple[int, bytes]:
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
        self, api: str, req_headers: dict[str, str], secret: str | None, status: int, body: bytes,
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


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops SYNs when 20 clients connect at once (1 s retransmit)
    owner: OtsServer


class OtsServer:
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
        self._httpd = _HttpServer(("127.0.0.1", port), _Handler)  # loopback only
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="ots-test-server", daemon=True
        )

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> OtsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.faults.clear()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def record(self, api: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.request_count += 1
            self.log.append((api, headers))

    def apis_since(self, mark: int) -> list[str]:
        """The API names of the requests after ``request_count`` was ``mark``."""
        with self._lock:
            count = self.request_count - mark
            return [api for api, _ in list(self.log)[-count:]] if count > 0 else []

    def __enter__(self) -> OtsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":  # manual poking: python tests/store/ots_server.py
    with OtsServer() as srv:
        print(f"Tablestore test server at {srv.endpoint} (instance 'test-inst', key test-ak/test-sk)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
