"""The S3-protocol adapter (AWS S3, moto, SeaweedFS, MinIO ...) over boto3.

``STORE_URL=s3://bucket/prefix?endpoint_url=http://host:port&region=us-east-1``; optional
``addressing_style=auto|virtual|path``, ``max_attempts``, ``connect_timeout``, ``read_timeout``.
Credentials come from the standard AWS chain (``AWS_ACCESS_KEY_ID`` ...).

Why it is built this way:

* create-only is PutObject with ``If-None-Match: *``; S3 answers 412 when the key exists.
  OSS's S3-compatible endpoint *rejects* that header (``NotImplemented``), so this adapter
  pointed at OSS fails loudly on ``put_if_absent``; use ``oss://`` for OSS.
* checksums are ``when_required``: otherwise boto3 >= 1.36 sends aws-chunked bodies with a
  trailing CRC32 that several S3-compatible servers (OSS among them) refuse.
* retries are botocore's ``standard`` mode with few attempts and short timeouts, so a stuck
  endpoint costs a bounded time before :class:`StoreUnavailable` (functions answer 503).
* S3 PutObject is atomic: a failed put leaves the old object or none, never part of one.
* boto3 is imported only by this module, which ``open_store`` imports only for ``s3://``
  URLs: processes on the file store never load it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, HTTPClientError, IncompleteReadError
from botocore.exceptions import ConnectionError as BotoConnectionError

from .base import LIST_PAGE, InvalidKey, Store, StoreError, StoreUnavailable, check_key

MAX_OBJECT_KEY_BYTES = 1024  # S3's limit, prefix included
_ADDRESSING_STYLES = ("auto", "virtual", "path")
# Error codes worth retrying whatever their status (throttling and server-side timeouts).
_TRANSIENT_CODES = frozenset(
    {
        "RequestTimeout",
        "RequestTimeoutException",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "InternalError",
        "ServiceUnavailable",
        "PriorRequestNotComplete",
    }
)

_loader_lock = threading.Lock()
_loader: Any = None  # botocore's Loader, shared by every S3Store's session


class S3Store(Store):
    """Objects under ``bucket``/``prefix``/ on an S3-protocol endpoint."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        addressing_style: str | None = None,
        max_attempts: int | str = 3,
        connect_timeout: float | str = 3.0,
        read_timeout: float | str = 10.0,
        max_pool_connections: int | str = 32,
    ) -> None:
        if not bucket:
            raise ValueError("s3:// store needs a bucket: s3://BUCKET/prefix")
        style = addressing_style or "auto"
        if style not in _ADDRESSING_STYLES:
            raise ValueError(f"addressing_style must be one of {_ADDRESSING_STYLES}, not {style!r}")
        self.bucket = bucket
        self.prefix = check_key(prefix.strip("/")) if prefix.strip("/") else ""
        self._root = f"{self.prefix}/" if self.prefix else ""
        self._attempts = max(1, int(max_attempts))
        self.url = f"s3://{bucket}/{self.prefix}"
        self._client = _make_client(
            endpoint_url,
            region,
            style,
            self._attempts,
            float(connect_timeout),
            float(read_timeout),
            int(max_pool_connections),
        )

    # -- the five operations ------------------------------------------------------------------

    def get(self, key: str) -> bytes | None:
        full = self._full(key)
        attempt = 1
        while True:
            try:
                response = self._client.get_object(Bucket=self.bucket, Key=full)
            except Exception as exc:
                if _is_missing(exc):
                    return None
                raise _translate(exc, "get", key) from exc  # botocore already retried this
            try:
                return bytes(response["Body"].read())
            except Exception as exc:
                # botocore retries the request, not the body read after it: that retry is ours.
                error = _translate(exc, "get", key)
                if not isinstance(error, StoreUnavailable) or attempt >= self._attempts:
                    raise error from exc
                attempt += 1

    def put(self, key: str, data: bytes) -> None:
        full = self._full(key)
        self._call("put", key, lambda: self._client.put_object(Bucket=self.bucket, Key=full, Body=data))

    def put_if_absent(self, key: str, data: bytes) -> bool:
        full = self._full(key)
        for _ in range(self._attempts):
            try:
                self._client.put_object(Bucket=self.bucket, Key=full, Body=data, IfNoneMatch="*")
                return True
            except Exception as exc:
                status, code = _status_code(exc)
                if status == 412 or code == "PreconditionFailed":
                    return self._won_before_retry(exc, key, data)
                if status == 409 or code == "ConditionalRequestConflict":
                    # A concurrent delete raced this create; AWS says to retry the conditional put.
                    continue
                if code == "NotImplemented":
                    raise StoreError(
                        f"s3 endpoint does not implement conditional PutObject (If-None-Match) for {key!r}; "
                        "OSS's S3 API is one such: use an oss:// STORE_URL there"
                    ) from exc
                raise _translate(exc, "put_if_absent", key) from exc
        return False  # still conflicting after the retries: someone else is writing this key

    def list_page(self, prefix: str, start_after: str = "", limit: int = LIST_PAGE) -> list[str]:
        request: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self._root + prefix}
        if start_after:
            request["StartAfter"] = self._root + start_after
        keys: list[str] = []
        while len(keys) < limit:
            request["MaxKeys"] = min(LIST_PAGE, limit - len(keys))
            page = self._call("list", prefix, lambda: self._client.list_objects_v2(**request))
            keys.extend(item["Key"][len(self._root) :] for item in page.get("Contents", ()))
            if not page.get("IsTruncated") or not page.get("NextContinuationToken"):
                break
            request["ContinuationToken"] = page["NextContinuationToken"]
        return keys[:limit]

    def delete(self, key: str) -> None:
        full = self._full(key)
        try:
            self._client.delete_object(Bucket=self.bucket, Key=full)
        except Exception as exc:
            if not _is_missing(exc):  # S3 answers 204 for a missing key; some clones say 404
                raise _translate(exc, "delete", key) from exc

    def close(self) -> None:
        self._client.close()

    # -- helpers ------------------------------------------------------------------------------

    def _full(self, key: str) -> str:
        full = self._root + check_key(key)
        if len(full.encode()) > MAX_OBJECT_KEY_BYTES:
            raise InvalidKey(f"store key {key!r} is too long under prefix {self.prefix!r}")
        return full

    def _call(self, op: str, key: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:
            raise _translate(exc, op, key) from exc

    def _won_before_retry(self, exc: Exception, key: str, data: bytes) -> bool:
        """412 after a retry may mean our own earlier attempt created the key and lost its answer.

        Then the stored bytes are ours. (Another writer's byte-identical value would look the
        same; for create-only records that is harmless: the stored value is what we wrote.)
        """
        retries = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("RetryAttempts", 0)
        return bool(retries) and self.get(key) == data


def _make_client(
    endpoint_url: str | None,
    region: str | None,
    addressing_style: str,
    attempts: int,
    connect_timeout: float,
    read_timeout: float,
    pool: int,
) -> Any:
    config = Config(
        region_name=region,
        s3={"addressing_style": addressing_style},
        # total_max_attempts counts the first request; botocore's "max_attempts" counts retries only.
        retries={"mode": "standard", "total_max_attempts": attempts},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        max_pool_connections=pool,
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    # A session per store, so credentials are resolved per store; but all sessions share one
    # data loader, which caches the parsed S3 model (re-reading it costs ~0.1 s per client).
    # Clients are thread-safe once built; building them is not, hence the lock.
    global _loader
    with _loader_lock:
        session = botocore.session.get_session()
        if _loader is None:
            _loader = session.get_component("data_loader")
        else:
            session.register_component("data_loader", _loader)
        return boto3.session.Session(botocore_session=session).client(
            "s3", endpoint_url=endpoint_url or None, config=config
        )


def _status_code(exc: Exception) -> tuple[int, str]:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return 0, ""
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return int(status or 0), str(response.get("Error", {}).get("Code", ""))


def _is_missing(exc: Exception) -> bool:
    status, code = _status_code(exc)
    return code in ("NoSuchKey", "404", "NotFound") or (status == 404 and code != "NoSuchBucket")


def _translate(exc: Exception, op: str, key: str) -> StoreError:
    """ClientError by status/code; transport errors (timeouts, resets) are transient."""
    status, code = _status_code(exc)
    if status:
        # 501 NotImplemented is permanent, unlike the other 5xx.
        transient = status in (408, 429) or (status >= 500 and status != 501) or code in _TRANSIENT_CODES
        error_class = StoreUnavailable if transient else StoreError
        return error_class(f"s3 {op} {key!r} failed: HTTP {status} {code}")
    if isinstance(exc, (BotoConnectionError, HTTPClientError, IncompleteReadError)):
        return StoreUnavailable(f"s3 {op} {key!r} failed: {type(exc).__name__}: {exc}")
    if isinstance(exc, BotoCoreError):  # no credentials, bad parameters ...
        return StoreError(f"s3 {op} {key!r} failed: {type(exc).__name__}: {exc}")
    if isinstance(exc, StoreError):
        return exc
    return StoreError(f"s3 {op} {key!r} failed: {type(exc).__name__}: {exc}")
