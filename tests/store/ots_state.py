"""The Tablestore test server's tables: rows in key order, conditions and limits as the service has them.

:class:`OtsState` executes one decoded API call (protobuf body in, protobuf body out) under one
lock, so a row-existence condition is checked and applied atomically. Errors are
:class:`OtsError` with the service's status, code and message.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from plainbuffer import INF_MAX, INF_MIN, Cell, PlainBufferError, Row, Value, decode_row, encode_rows
from tablestore.protobuf import table_store_pb2 as pb

MAX_PK_STRING_BYTES = 1024
MAX_CELL_BYTES = 2 * 1024 * 1024
MAX_ROW_BYTES = 4 * 1024 * 1024
MAX_RANGE_ROWS = 5000
MAX_RANGE_BYTES = 4 * 1024 * 1024


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
                    raise _invalid(
                        f"The length of primary key column: '{cell.name}' exceeds the MaxLength: 1024."
                    )
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
