"""Storage: one port (``base.Store``), adapters chosen by ``STORE_URL``.

``file://DIR`` is the embedded default. The ``s3://``, ``oss://`` and ``ots://`` adapters
import boto3 / oss2 / tablestore only when such a URL is opened, so a process on the file
store never pays for them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from .base import InvalidKey, Store, StoreError, StoreUnavailable, ValueTooLarge, check_key, dump_json
from .file import FileStore

__all__ = [
    "FileStore",
    "InvalidKey",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "ValueTooLarge",
    "check_key",
    "dump_json",
    "open_store",
]


def open_store(url: str) -> Store:
    """Open the store a ``STORE_URL`` names."""
    parts = urlsplit(url)
    query: dict[str, Any] = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if parts.scheme == "file":
        # file://.bailian-data (relative) and file:///abs/path both work.
        return FileStore((parts.netloc + parts.path) or ".")
    if parts.scheme == "s3":
        from .s3 import S3Store

        return S3Store(bucket=parts.netloc, prefix=parts.path.strip("/"), **query)
    if parts.scheme == "oss":
        from .oss import OssStore

        return OssStore(bucket=parts.netloc, prefix=parts.path.strip("/"), **query)
    if parts.scheme == "ots":
        from .ots import OtsStore

        table, _, prefix = parts.path.strip("/").partition("/")
        return OtsStore(instance=parts.netloc, table=table, prefix=prefix, **query)
    raise ValueError(f"unsupported STORE_URL scheme {parts.scheme!r}: use file://, s3://, oss:// or ots://")
