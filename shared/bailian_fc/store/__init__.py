"""Storage: one port (``base.Store``), adapters chosen by ``STORE_URL``.

``file://DIR`` is the embedded default. The ``s3://``, ``oss://`` and ``ots://`` adapters
import boto3 / oss2 / tablestore only when such a URL is opened, so a process on the file
store never pays for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, parse_qs, urlsplit

from .base import (
    InvalidKey,
    Store,
    StoreError,
    StoreUnavailable,
    ValueTooLarge,
    check_key,
    create_only,
    dump_json,
    parse_stored,
)
from .file import FileStore

__all__ = [
    "SCHEMES",
    "FileStore",
    "InvalidKey",
    "Store",
    "StoreError",
    "StoreScheme",
    "StoreUnavailable",
    "ValueTooLarge",
    "check_key",
    "create_only",
    "dump_json",
    "open_store",
    "parse_stored",
]


def _open_file(parts: SplitResult, query: dict[str, Any]) -> Store:
    # file://.bailian-data (relative) and file:///abs/path both work.
    return FileStore((parts.netloc + parts.path) or ".")


def _open_s3(parts: SplitResult, query: dict[str, Any]) -> Store:
    from .s3 import S3Store

    return S3Store(bucket=parts.netloc, prefix=parts.path.strip("/"), **query)


def _open_oss(parts: SplitResult, query: dict[str, Any]) -> Store:
    from .oss import OssStore

    return OssStore(bucket=parts.netloc, prefix=parts.path.strip("/"), **query)


def _open_ots(parts: SplitResult, query: dict[str, Any]) -> Store:
    from .ots import OtsStore

    table, _, prefix = parts.path.strip("/").partition("/")
    return OtsStore(instance=parts.netloc, table=table, prefix=prefix, **query)


@dataclass(frozen=True)
class StoreScheme:
    """One ``STORE_URL`` scheme: its adapter, and what a build and ``validate`` need to know of it."""

    adapter: str  # the module of this package that implements it
    extra: str | None  # the pyproject optional-dependency its client library comes from
    shared: bool  # every FC instance sees the same data (a file store lives on one instance's disk)
    open: Callable[[SplitResult, dict[str, Any]], Store]
    container: str = ""  # what the URL's host names (validate says it is missing)
    endpoint_example: str = ""  # set when the URL must carry ?endpoint=… (validate's example)


# Every STORE_URL scheme, declared once: open_store, `bailian-fc build` (the extra it packages) and
# `bailian-fc validate` (what a deployable URL needs) all read this table.
SCHEMES: dict[str, StoreScheme] = {
    "file": StoreScheme("file", None, shared=False, open=_open_file),
    "s3": StoreScheme("s3", "s3", shared=True, open=_open_s3),
    "oss": StoreScheme(
        "oss",
        "oss",
        shared=True,
        open=_open_oss,
        container="bucket",
        endpoint_example="https://oss-<region>-internal.aliyuncs.com",
    ),
    "ots": StoreScheme(
        "ots",
        "ots",
        shared=True,
        open=_open_ots,
        container="instance",
        endpoint_example="https://<instance>.<region>.ots.aliyuncs.com",
    ),
}


def open_store(url: str) -> Store:
    """Open the store a ``STORE_URL`` names."""
    parts = urlsplit(url)
    scheme = SCHEMES.get(parts.scheme)
    if scheme is None:
        names = [f"{name}://" for name in SCHEMES]
        raise ValueError(
            f"unsupported STORE_URL scheme {parts.scheme!r}: use {', '.join(names[:-1])} or {names[-1]}"
        )
    return scheme.open(parts, {k: v[-1] for k, v in parse_qs(parts.query).items()})
