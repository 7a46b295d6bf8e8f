"""Tablestore's PlainBuffer row format, both ways, for the protocol test server (stdlib only).

The SDK's own decoder cannot serve a server: it rejects the ``INF_MIN``/``INF_MAX`` keys that
range reads send and drops delete markers, so this module reads requests itself and writes
responses byte-compatible with what the SDK's parsers check (header ``0x75``, a CRC-8 per
cell and per row, a timestamp on every attribute cell).

Layout (integers little-endian)::

    buffer = int32 0x75, row+
    row    = [0x01 cell+] [0x02 cell+] [0x08] 0x09 crc8
    cell   = 0x03 0x04 int32 len name [0x05 int32 len type payload] [0x06 op] [0x07 int64 ts] 0x0A crc8

Values decode to ``int``, ``float``, ``bool``, ``str``, ``bytes`` (BLOB) or the :data:`INF_MIN`
/ :data:`INF_MAX` sentinels.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

HEADER = 0x75
TAG_ROW_PK, TAG_ROW_DATA, TAG_CELL, TAG_CELL_NAME, TAG_CELL_VALUE = 0x01, 0x02, 0x03, 0x04, 0x05
TAG_CELL_TYPE, TAG_CELL_TIMESTAMP, TAG_DELETE_ROW_MARKER, TAG_ROW_CHECKSUM, TAG_CELL_CHECKSUM = (
    0x06,
    0x07,
    0x08,
    0x09,
    0x0A,
)
VT_INTEGER, VT_DOUBLE, VT_BOOLEAN, VT_STRING, VT_BLOB, VT_INF_MIN, VT_INF_MAX, VT_AUTO_INCREMENT = (
    0x00,
    0x01,
    0x02,
    0x03,
    0x07,
    0x09,
    0x0A,
    0x0B,
)


class _Infinity:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


INF_MIN = _Infinity("INF_MIN")
INF_MAX = _Infinity("INF_MAX")
Value = int | float | bool | str | bytes | _Infinity


class PlainBufferError(ValueError):
    """Malformed bytes or a checksum that does not match."""


def _crc8_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table.append(crc)
    return table


_CRC8 = _crc8_table()


def crc8(crc: int, data: bytes) -> int:
    for byte in data:
        crc = _CRC8[(crc ^ byte) & 0xFF]
    return crc


@dataclass
class Cell:
    name: str
    value: Value | None = None
    timestamp: int | None = None
    op: int | None = None  # UpdateRow only: 0x01 delete all versions, 0x03 delete one, 0x04 increment


@dataclass
class Row:
    primary_key: list[Cell] = field(default_factory=list)
    columns: list[Cell] = field(default_factory=list)
    delete_marker: bool = False


# -- decoding ------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def more(self) -> bool:
        return self.pos < len(self.data)

    def peek(self) -> int:
        if not self.more():
            raise PlainBufferError("unexpected end of buffer")
        return self.data[self.pos]

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise PlainBufferError("unexpected end of buffer")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def int32(self) -> int:
        return int(struct.unpack("<i", self.take(4))[0])

    def expect(self, tag: int) -> None:
        got = self.byte()
        if got != tag:
            raise PlainBufferError(f"expected tag {tag:#x}, got {got:#x} at {self.pos - 1}")


def decode_rows(data: bytes) -> list[Row]:
    """Every row of a buffer (one header, then rows back to back)."""
    reader = _Reader(data)
    if reader.int32() != HEADER:
        raise PlainBufferError("bad PlainBuffer header")
    rows = []
    while reader.more():
        rows.append(_read_row(reader))
    if not rows:
        raise PlainBufferError("no row in buffer")
    return rows


def decode_row(data: bytes) -> Row:
    rows = decode_rows(data)
    if len(rows) != 1:
        raise PlainBufferError(f"expected one row, got {len(rows)}")
    return rows[0]


def _read_row(reader: _Reader) -> Row:
    row = Row()
    checksum = 0
    if reader.peek() == TAG_ROW_PK:
        reader.byte()
        while reader.peek() == TAG_CELL:
            cell, crc = _read_cell(reader)
            row.primary_key.append(cell)
            checksum = crc8(checksum, bytes([crc]))
    if reader.peek() == TAG_ROW_DATA:
        reader.byte()
        while reader.peek() == TAG_CELL:
            cell, crc = _read_cell(reader)
            row.columns.append(cell)
            checksum = crc8(checksum, bytes([crc]))
    if reader.peek() == TAG_DELETE_ROW_MARKER:
        reader.byte()
        row.delete_marker = True
    checksum = crc8(checksum, b"\x01" if row.delete_marker else b"\x00")
    reader.expect(TAG_ROW_CHECKSUM)
    if reader.byte() != checksum:
        raise PlainBufferError("row checksum mismatch")
    return row


def _read_cell(reader: _Reader) -> tuple[Cell, int]:
    reader.expect(TAG_CELL)
    reader.expect(TAG_CELL_NAME)
    name_bytes = reader.take(reader.int32())
    cell = Cell(name_bytes.decode())
    crc = crc8(0, name_bytes)
    if reader.peek() == TAG_CELL_VALUE:
        reader.byte()
        raw = reader.take(reader.int32())
        cell.value = _parse_value(raw)
        crc = crc8(crc, raw)
    if reader.peek() == TAG_CELL_TYPE:
        reader.byte()
        cell.op = reader.byte()
    if reader.peek() == TAG_CELL_TIMESTAMP:
        reader.byte()
        raw_ts = reader.take(8)
        cell.timestamp = int(struct.unpack("<q", raw_ts)[0])
        crc = crc8(crc, raw_ts)
    if cell.op is not None:
        crc = crc8(crc, bytes([cell.op]))  # the op byte is checksummed after the timestamp
    reader.expect(TAG_CELL_CHECKSUM)
    if reader.byte() != crc:
        raise PlainBufferError(f"cell checksum mismatch for {cell.name!r}")
    return cell, crc


def _parse_value(raw: bytes) -> Value:
    if not raw:
        raise PlainBufferError("empty cell value")
    kind, payload = raw[0], raw[1:]
    if kind == VT_INTEGER:
        return int(struct.unpack("<q", payload)[0])
    if kind == VT_DOUBLE:
        return float(struct.unpack("<d", payload)[0])
    if kind == VT_BOOLEAN:
        return payload != b"\x00"
    if kind in (VT_STRING, VT_BLOB):
        length = int(struct.unpack("<i", payload[:4])[0])
        body = payload[4:]
        if length != len(body):
            raise PlainBufferError("string length does not match its cell")
        return body.decode() if kind == VT_STRING else bytes(body)
    if kind == VT_INF_MIN:
        return INF_MIN
    if kind == VT_INF_MAX:
        return INF_MAX
    raise PlainBufferError(f"unsupported value type {kind:#x}")


# -- encoding ------------------------------------------------------------------------------------


def _value_bytes(value: Value) -> bytes:
    """Type byte + payload, exactly what the cell checksum covers."""
    if value is INF_MIN:
        return bytes([VT_INF_MIN])
    if value is INF_MAX:
        return bytes([VT_INF_MAX])
    if isinstance(value, bool):
        return bytes([VT_BOOLEAN, 1 if value else 0])
    if isinstance(value, int):
        return bytes([VT_INTEGER]) + struct.pack("<q", value)
    if isinstance(value, float):
        return bytes([VT_DOUBLE]) + struct.pack("<d", value)
    if isinstance(value, str):
        data = value.encode()
        return bytes([VT_STRING]) + struct.pack("<i", len(data)) + data
    if isinstance(value, (bytes, bytearray)):
        return bytes([VT_BLOB]) + struct.pack("<i", len(value)) + bytes(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def _encode_cell(cell: Cell) -> tuple[bytes, int]:
    name = cell.name.encode()
    out = bytearray([TAG_CELL, TAG_CELL_NAME]) + struct.pack("<i", len(name)) + name
    crc = crc8(0, name)
    if cell.value is not None:
        raw = _value_bytes(cell.value)
        out += bytes([TAG_CELL_VALUE]) + struct.pack("<i", len(raw)) + raw
        crc = crc8(crc, raw)
    if cell.timestamp is not None:
        raw_ts = struct.pack("<q", cell.timestamp)
        out += bytes([TAG_CELL_TIMESTAMP]) + raw_ts
        crc = crc8(crc, raw_ts)
    out += bytes([TAG_CELL_CHECKSUM, crc])
    return bytes(out), crc


def _encode_row(row: Row) -> bytes:
    out = bytearray()
    checksum = 0
    for tag, cells in ((TAG_ROW_PK, row.primary_key), (TAG_ROW_DATA, row.columns)):
        if not cells:
            continue
        out.append(tag)
        for cell in cells:
            raw, crc = _encode_cell(cell)
            out += raw
            checksum = crc8(checksum, bytes([crc]))
    if row.delete_marker:
        out.append(TAG_DELETE_ROW_MARKER)
    checksum = crc8(checksum, b"\x01" if row.delete_marker else b"\x00")
    out += bytes([TAG_ROW_CHECKSUM, checksum])
    return bytes(out)


def encode_rows(rows: list[Row]) -> bytes:
    """One header, then each row with its own checksum; ``b""`` for no rows (what servers send)."""
    if not rows:
        return b""
    return struct.pack("<i", HEADER) + b"".join(_encode_row(row) for row in rows)
