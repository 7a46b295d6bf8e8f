"""The Alibaba Cloud OSS adapter over the native oss2 SDK.

``STORE_URL=oss://bucket/prefix?endpoint=https://oss-cn-hangzhou-internal.aliyuncs.com``; optional
``region`` (signature V4; inferred from ``oss-<region>[-internal].aliyuncs.com`` endpoints),
``max_attempts``, ``connect_timeout``, ``read_timeout``.

Why it is built this way:

* OSS has no conditional PutObject (its S3 API rejects ``If-None-Match``), so create-only is
  the OSS-native header ``x-oss-forbid-overwrite: true``: an existing key answers 409
  ``FileAlreadyExists`` (oss2 has no class for it; it is a plain ``ServerError``).
* oss2 itself never retries a request, so this module does: a small, explicit number of
  attempts with jittered backoff for 5xx (not 501), 408/429, timeouts, dropped connections
  and digest mismatches, then :class:`StoreUnavailable`. A PutObject either lands whole or not
  at all.
* Integrity without Python CRC: oss2's CRC-64 check is off (``enable_crc=False``), because
  ``crcmod`` has no compiled wheel (sdist only) and its pure-Python fallback costs 0.6–0.9 ms
  per request. Instead every put sends ``Content-MD5`` (OSS refuses a body that does not match
  it: ``InvalidDigest``), and every get compares the body's MD5 (``hashlib``, in C) with the
  object's ETag, which for a PutObject object is the content's MD5; docs/operations.md.
* Credentials: an object with ``access_key_id``/``access_key_secret``/``security_token``
  (FC's ``context.credentials``), or a zero-argument callable returning one, which is read
  on every request so STS tokens that FC rotates are picked up; otherwise the
  ``ALIBABA_CLOUD_ACCESS_KEY_ID``/``_SECRET``/``ALIBABA_CLOUD_SECURITY_TOKEN`` environment.
* oss2 (and requests) are imported only by this module, which ``open_store`` imports only
  for ``oss://`` URLs: processes on the file store never load them.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import oss2
import oss2.credentials
import requests
from oss2.exceptions import NoSuchKey, OssError

from .base import LIST_PAGE, InvalidKey, Store, StoreError, StoreUnavailable, check_key
from .credentials import Credentials, CredentialsSource, env_credentials, triple

T = TypeVar("T")

MAX_OBJECT_KEY_BYTES = 1023  # OSS's limit, prefix included
_FORBID_OVERWRITE = {"x-oss-forbid-overwrite": "true"}
_BACKOFF_BASE = 0.05  # seconds; doubled per attempt, full jitter
_BACKOFF_CAP = 1.0
# oss2's pseudo-statuses for failures that never got an HTTP answer.
_REQUEST_ERROR, _INCONSISTENT_ERROR = -2, -3
_REGION_HOST = re.compile(r"^oss-(?!accelerate)([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$")


class OssStore(Store):
    """Objects under ``bucket``/``prefix``/ in OSS, via oss2."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint: str | None = None,
        region: str | None = None,
        credentials: CredentialsSource | None = None,
        max_attempts: int | str = 3,
        connect_timeout: float | str = 3.0,
        read_timeout: float | str = 10.0,
        pool_size: int | str = 32,
    ) -> None:
        if not bucket or not endpoint:
            raise ValueError(
                "oss:// store needs a bucket and an endpoint: oss://BUCKET/prefix?endpoint=https://..."
            )
        self.bucket = bucket
        self.prefix = check_key(prefix.strip("/")) if prefix.strip("/") else ""
        self._root = f"{self.prefix}/" if self.prefix else ""
        self._attempts = max(1, int(max_attempts))
        self.region = region or infer_region(endpoint)
        self.url = f"oss://{bucket}/{self.prefix}"
        self._session = oss2.Session(pool_size=int(pool_size))
        # No proxy/netrc lookup from the environment per request (~0.2 ms of CPU each): the endpoint
        # (the region's internal one on FC) is reached directly.
        self._session.session.trust_env = False
        self._bucket = oss2.Bucket(
            make_auth(credentials, v4=self.region is not None),
            endpoint,
            bucket,
            session=self._session,
            connect_timeout=(float(connect_timeout), float(read_timeout)),  # handed to requests as is
            region=self.region,
            app_name="bailian-fc",
            enable_crc=False,  # Content-MD5 on puts, MD5 against the ETag on gets (module doc)
        )

    # -- the five operations ------------------------------------------------------------------

    def get(self, key: str) -> bytes | None:
        full = self._full(key)
        try:
            return self._retrying("get", key, lambda: self._read(full))
        except NoSuchKey:
            return None
        except OssError as exc:
            raise _store_error("get", key, exc) from exc

    def put(self, key: str, data: bytes) -> None:
        full = self._full(key)
        try:
            self._retrying("put", key, lambda: self._bucket.put_object(full, data, headers=_md5(data)))
        except OssError as exc:
            raise _store_error("put", key, exc) from exc

    def put_if_absent(self, key: str, data: bytes) -> bool:
        full = self._full(key)
        attempts = 0

        def create() -> None:
            nonlocal attempts
            attempts += 1
            self._bucket.put_object(full, data, headers={**_FORBID_OVERWRITE, **_md5(data)})

        try:
            self._retrying("put_if_absent", key, create)
            return True
        except OssError as exc:
            if exc.status == 409 and exc.code == "FileAlreadyExists":
                # After a retry, the key may exist because *our* earlier attempt created it
                # and its answer was lost: then the stored bytes are ours.
                return attempts > 1 and self.get(key) == data
            raise _store_error("put_if_absent", key, exc) from exc

    def list_page(self, prefix: str, start_after: str = "", limit: int = LIST_PAGE) -> list[str]:
        keys: list[str] = []
        token = ""
        after = self._root + start_after if start_after else ""
        while len(keys) < limit:
            page = self._list_call(prefix, after, token, min(LIST_PAGE, limit - len(keys)))
            keys.extend(item.key[len(self._root) :] for item in page.object_list)
            if not page.is_truncated or not page.next_continuation_token:
                break
            token = page.next_continuation_token
        return keys[:limit]

    def delete(self, key: str) -> None:
        full = self._full(key)
        try:
            self._retrying("delete", key, lambda: self._bucket.delete_object(full))
        except NoSuchKey:
            return
        except OssError as exc:
            raise _store_error("delete", key, exc) from exc

    def close(self) -> None:
        self._session.session.close()

    # -- helpers ------------------------------------------------------------------------------

    def _full(self, key: str) -> str:
        full = self._root + check_key(key)
        if len(full.encode()) > MAX_OBJECT_KEY_BYTES:
            raise InvalidKey(f"store key {key!r} is too long under prefix {self.prefix!r}")
        return full

    def _read(self, full: str) -> bytes:
        with self._bucket.get_object(full) as result:
            data = bytes(result.read())
        etag = (result.etag or "").strip('"')
        if _MD5_ETAG.fullmatch(etag) and hashlib.md5(data).hexdigest() != etag.lower():
            raise oss2.exceptions.InconsistentError(  # retried: the next read may arrive whole
                f"InconsistentError: req_id: {result.request_id}, get: body MD5 does not match ETag {etag}",
                result.request_id,
            )
        return data

    def _list_call(self, prefix: str, after: str, token: str, max_keys: int) -> Any:
        def call() -> Any:
            return self._bucket.list_objects_v2(
                prefix=self._root + prefix, start_after=after, continuation_token=token, max_keys=max_keys
            )

        try:
            return self._retrying("list", prefix, call)
        except OssError as exc:
            raise _store_error("list", prefix, exc) from exc

    def _retrying(self, op: str, key: str, fn: Callable[[], T]) -> T:
        """Run ``fn``; retry transient failures a bounded number of times, then StoreUnavailable."""
        for attempt in range(1, self._attempts + 1):
            try:
                return fn()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                if attempt == self._attempts:
                    raise StoreUnavailable(
                        f"oss {op} {key!r} failed after {attempt} attempts: {_describe(exc)}"
                    ) from exc
            time.sleep(random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** (attempt - 1))))
        raise AssertionError("unreachable")


_MD5_ETAG = re.compile(r"[0-9A-Fa-f]{32}")  # a PutObject's ETag; multipart ones carry "-N"


def _md5(data: bytes) -> dict[str, str]:
    return {"Content-MD5": base64.b64encode(hashlib.md5(data).digest()).decode()}


def is_transient(exc: Exception) -> bool:
    """5xx but 501, 408/429, no answer at all, a digest mismatch, or a broken GET body."""
    if isinstance(exc, OssError):
        status = exc.status
        return status in (_REQUEST_ERROR, _INCONSISTENT_ERROR, 408, 429) or (status >= 500 and status != 501)
    # Errors while streaming a GET body surface from requests/urllib3, not as OssError.
    return isinstance(exc, (requests.RequestException, ConnectionError, TimeoutError))


def infer_region(endpoint: str) -> str | None:
    """``cn-hangzhou`` from ``https://oss-cn-hangzhou(-internal).aliyuncs.com``; None otherwise."""
    host = urlsplit(endpoint if "//" in endpoint else f"//{endpoint}").hostname or ""
    match = _REGION_HOST.match(host)
    return match.group(1) if match else None


def make_auth(credentials: CredentialsSource | None, v4: bool) -> Any:
    """StsAuth when there is a security token, else Auth (V4 flavours when a region is known)."""
    version = oss2.AUTH_VERSION_4 if v4 else oss2.AUTH_VERSION_1
    if callable(credentials):
        provider = _CallableProvider(credentials)
        return oss2.ProviderAuthV4(provider) if v4 else oss2.ProviderAuth(provider)
    key_id, secret, token = _triple(credentials if credentials is not None else _env_credentials())
    if token:
        return oss2.StsAuth(key_id, secret, token, auth_version=version)
    return oss2.AuthV4(key_id, secret) if v4 else oss2.Auth(key_id, secret)


class _CallableProvider:
    """An oss2 credentials provider asking the callable on every request (FC rotates STS tokens)."""

    def __init__(self, source: Callable[[], Credentials]) -> None:
        self._source = source

    def get_credentials(self) -> oss2.credentials.Credentials:
        return oss2.credentials.Credentials(*_triple(self._source()))


def _env_credentials() -> Credentials:
    return env_credentials("OSS")


def _triple(credentials: Credentials) -> tuple[str, str, str]:
    return triple(credentials, "OSS")


def _store_error(op: str, key: str, exc: Exception) -> StoreError:
    return StoreError(f"oss {op} {key!r} failed: {_describe(exc)}")


def _describe(exc: Exception) -> str:
    status, code = getattr(exc, "status", None), getattr(exc, "code", "")
    request_id = getattr(exc, "request_id", "")
    if status is not None and status > 0:
        return f"HTTP {status} {code} (request id {request_id or '-'})"
    body = getattr(exc, "body", "") or str(exc)
    return f"{type(exc).__name__}: {str(body)[:300]}"
