"""The Alibaba Cloud Tablestore (OTS) adapter over the official ``tablestore`` SDK.

``STORE_URL=ots://<instance>/<table>[/<prefix>]?endpoint=https://<instance>.<region>.vpc.tablestore.aliyuncs.com``;
optional ``region`` (signature V4), ``max_attempts``, ``connect_timeout``, ``read_timeout``,
``deadline`` (seconds one operation may take, retries included) and ``pool_size``.

Why it is built this way:

* **One row per key**, primary key ``key`` (STRING: the store prefix + the key). Tablestore
  range-partitions a table on its first primary-key column and keeps rows in key order, so
  "every key under a prefix" and "the newest N under a prefix" are each one ordered
  GetRange (FORWARD / BACKWARD with a limit), not a listing plus one read per record.
  ``bailian-fc store init`` creates the table (:func:`create_table`).
* **Values** are BINARY cells of at most 2 MB (``v0``, ``v1``), with their count in ``n``;
  a PutRow may carry 4 MB, so values up to :data:`MAX_VALUE_BYTES` are stored in one atomic
  row and anything larger is refused with :class:`ValueTooLarge`, never truncated.
* **Create-only** is ``Condition(EXPECT_NOT_EXIST)``: an existing row answers 403
  ``OTSConditionCheckFail`` and nothing is written. PutRow replaces the whole row (all
  columns), so ``put`` is an atomic overwrite.
* **Retries are ours, bounded by attempts and a deadline**: the SDK's default policy retries
  up to 20 times over ~55 s and only for service errors; it is replaced by ``NoRetryPolicy``
  and this module retries throttling, 5xx and timeouts *and* the network failures the SDK
  lets through raw (refused/dropped connections, read timeouts, truncated or corrupt bodies)
  a few times with jittered backoff, then raises :class:`StoreUnavailable`.
* **Credentials** as for OSS: FC's ``context.credentials`` (or a callable returning it, read
  per request so rotated STS tokens are used), else ``ALIBABA_CLOUD_*`` from the environment.
* ``tablestore`` (with aiohttp, numpy and protobuf: ~0.4 s, +40 MB) is imported only here,
  and ``open_store`` imports this module only for ``ots://`` URLs.
"""

from __future__ import annotations

import logging
import random
import time
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from .base import LIST_PAGE, InvalidKey, Store, StoreError, StoreUnavailable, ValueTooLarge, check_key
from .credentials import Credentials, CredentialsSource, env_credentials, triple

logging.getLogger("tablestore").setLevel(logging.ERROR)  # "native codec not available" at import time
with warnings.catch_warnings():
    # On CPython != 3.12 the SDK's C++ extension is missing and its import says so with an ImportWarning.
    warnings.simplefilter("ignore", ImportWarning)
    import tablestore
    import urllib3
    from tablestore.credentials import Credentials as OtsCredentials
    from tablestore.credentials import CredentialsProvider
    from tablestore.retry import NoRetryPolicy

T = TypeVar("T")

PK = "key"
MAX_PK_BYTES = 1024  # Tablestore's limit for a STRING primary-key value, store prefix included
CELL_BYTES = 2 * 1024 * 1024  # largest BINARY cell
MAX_VALUE_BYTES = 4 * 1024 * 1024 - 16 * 1024  # a PutRow carries 4 MB: room left for key and names
RANGE_PAGE = 5000  # Tablestore answers at most 5,000 rows per GetRange
_BACKOFF_BASE = 0.05
_BACKOFF_CAP = 1.0
_SDK_LOGGER = "bailian_fc.store.ots.sdk"
# Service errors worth another attempt (DefaultRetryPolicy's list, plus the read-only ones: our
# writes are idempotent or, for create-only, checked after a retry).
_TRANSIENT_CODES = frozenset(
    {
        "OTSRowOperationConflict",
        "OTSNotEnoughCapacityUnit",
        "OTSTableNotReady",
        "OTSPartitionUnavailable",
        "OTSServerBusy",
        "OTSOperationConflict",
        "OTSOperationThrottled",
        "OTSTimeout",
        "OTSInternalServerError",
        "OTSServerUnavailable",
        "OTSRequestTimeout",
    }
)

logging.getLogger(_SDK_LOGGER).setLevel(logging.CRITICAL)  # every lost create-only race is an SDK ERROR line


class OtsStore(Store):
    """Rows of one Tablestore table, keys under ``prefix``/, through the ``tablestore`` SDK."""

    max_value_bytes = MAX_VALUE_BYTES

    def __init__(
        self,
        instance: str,
        table: str,
        prefix: str = "",
        *,
        endpoint: str | None = None,
        region: str | None = None,
        credentials: CredentialsSource | None = None,
        max_attempts: int | str = 3,
        connect_timeout: float | str = 3.0,
        read_timeout: float | str = 5.0,
        deadline: float | str = 20.0,
        pool_size: int | str = 32,
    ) -> None:
        if not instance or not table or not endpoint:
            raise ValueError(
                "ots:// store needs an instance, a table and an endpoint: "
                "ots://INSTANCE/TABLE[/prefix]?endpoint=https://INSTANCE.REGION.vpc.tablestore.aliyuncs.com"
            )
        self.instance, self.table = instance, table
        self.prefix = check_key(prefix.strip("/")) if prefix.strip("/") else ""
        self._root = f"{self.prefix}/" if self.prefix else ""
        self._attempts = max(1, int(max_attempts))
        self._deadline = float(deadline)
        self.url = f"ots://{instance}/{table}/{self.prefix}".rstrip("/")
        try:
            self._client = tablestore.OTSClient(
                endpoint,
                instance_name=instance,
                credentials_provider=credentials_provider(credentials),
                region=region or None,
                retry_policy=NoRetryPolicy(),
                socket_timeout=urllib3.Timeout(connect=float(connect_timeout), read=float(read_timeout)),
                max_connection=int(pool_size),
                logger_name=_SDK_LOGGER,
            )
        except tablestore.OTSClientError as exc:  # a malformed endpoint or instance: configuration
            raise ValueError(f"ots:// store: {exc.get_error_message()}") from exc

    # -- the five operations ------------------------------------------------------------------

    def get(self, key: str) -> bytes | None:
        pk = self._pk(key)
        _, row, _ = self._retrying("get", key, lambda: self._client.get_row(self.table, pk, max_version=1))
        return None if row is None else _join(row.attribute_columns, key)

    def put(self, key: str, data: bytes) -> None:
        row = tablestore.Row(self._pk(key), _cells(data, key))
        condition = tablestore.Condition(tablestore.RowExistenceExpectation.IGNORE)
        self._retrying("put", key, lambda: self._client.put_row(self.table, row, condition))

    def put_if_absent(self, key: str, data: bytes) -> bool:
        row = tablestore.Row(self._pk(key), _cells(data, key))
        condition = tablestore.Condition(tablestore.RowExistenceExpectation.EXPECT_NOT_EXIST)
        attempts = 0

        def create() -> None:
            nonlocal attempts
            attempts += 1
            self._client.put_row(self.table, row, condition)

        try:
            self._retrying("put_if_absent", key, create)
            return True
        except StoreError as exc:
            if not _condition_failed(exc.__cause__):
                raise
            # After a retry the row may exist because *our* earlier attempt created it and its
            # answer was lost: then the stored bytes are ours.
            return attempts > 1 and self.get(key) == data

    def list_page(self, prefix: str, start_after: str = "", limit: int = LIST_PAGE) -> list[str]:
        low = self._root + prefix
        after = self._root + start_after if start_after else ""
        start, high = max(low, after), _successor(low)
        if limit <= 0 or (isinstance(high, str) and start >= high):
            return []  # start_after is past the prefix: Tablestore refuses an empty FORWARD range
        keys: list[str] = []
        for full, _ in self._range(start, high, forward=True, limit=limit + 1, values=False):
            if full == after:
                continue  # start_after itself is excluded
            keys.append(full[len(self._root) :])
            if len(keys) == limit:
                break
        return keys

    def delete(self, key: str) -> None:
        row = tablestore.Row(self._pk(key))
        condition = tablestore.Condition(tablestore.RowExistenceExpectation.IGNORE)
        self._retrying("delete", key, lambda: self._client.delete_row(self.table, row, condition))

    # -- ordered reads --------------------------------------------------------------------------

    def newest(self, prefix: str, limit: int, before: str = "") -> list[tuple[str, bytes]]:
        """One BACKWARD GetRange from the end of ``prefix`` (or from ``before``), ``limit`` rows."""
        low = self._root + prefix
        if limit <= 0 or (before and self._root + before <= low):
            return []
        high = _successor(low)
        exclusive = self._root + before if before else ""
        start = exclusive if exclusive and (not isinstance(high, str) or exclusive < high) else high
        end = low or tablestore.INF_MIN  # exclusive
        found: list[tuple[str, bytes]] = []
        # One row more than asked: the inclusive start may be ``before`` or the successor key.
        for full, value in self._range(start, end, forward=False, limit=limit + 1, values=True):
            if full == exclusive or not full.startswith(low):
                continue
            found.append((full[len(self._root) :], value))
            if len(found) == limit:
                return found
        # The lower bound is exclusive, and a prefix without "/" may itself be a key.
        if prefix and not prefix.endswith("/"):
            value = self._get_if_valid(prefix)
            if value is not None:
                found.append((prefix, value))
        return found

    def close(self) -> None:
        self._client.connection.pool.clear()

    # -- helpers ------------------------------------------------------------------------------

    def _get_if_valid(self, key: str) -> bytes | None:
        try:
            return self.get(key)
        except InvalidKey:
            return None

    def _pk(self, key: str) -> list[tuple[str, str]]:
        full = self._root + check_key(key)
        if len(full.encode()) > MAX_PK_BYTES:
            raise InvalidKey(f"store key {key!r} is too long under prefix {self.prefix!r}")
        return [(PK, full)]

    def _range(self, start: Any, end: Any, *, forward: bool, limit: int, values: bool) -> Any:
        """Yield (full key, value or b"") along the range, page after page, at most ``limit`` rows."""
        direction = tablestore.Direction.FORWARD if forward else tablestore.Direction.BACKWARD
        columns = None if values else ["n"]  # listings leave the value cells on the server
        next_start: Any = [(PK, start)]
        remaining = limit
        while next_start is not None and remaining > 0:
            begin, page_limit = next_start, min(remaining, RANGE_PAGE)

            def call(begin: Any = begin, page_limit: int = page_limit) -> Any:
                return self._client.get_range(
                    self.table, direction, begin, [(PK, end)], columns, page_limit, max_version=1
                )

            _, next_start, rows, _ = self._retrying("list", str(start), call)
            for row in rows:
                full = row.primary_key[0][1]
                yield full, (_join(row.attribute_columns, full) if values else b"")
            remaining -= len(rows)

    def _retrying(self, op: str, key: str, fn: Callable[[], T]) -> T:
        """Run ``fn``; retry transient failures within attempts and deadline, then StoreUnavailable."""
        started = time.monotonic()
        for attempt in range(1, self._attempts + 1):
            try:
                return fn()
            except Exception as exc:
                if not is_transient(exc):
                    raise _store_error(op, key, exc) from exc
                left = self._deadline - (time.monotonic() - started)
                if attempt == self._attempts or left <= 0:
                    raise StoreUnavailable(
                        f"ots {op} {key!r} failed after {attempt} attempts: {_describe(exc)}"
                    ) from exc
            pause = random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** (attempt - 1)))
            time.sleep(min(pause, max(0.0, left)))
        raise AssertionError("unreachable")


def is_transient(exc: BaseException) -> bool:
    """Throttling, 5xx and service timeouts; no answer at all; a truncated or corrupt answer."""
    if isinstance(exc, tablestore.OTSServiceError):
        code, status = exc.get_error_code(), exc.get_http_status()
        if code == "OTSQuotaExhausted":
            message: str = exc.get_error_message()
            return message == "Too frequent table operations."
        return code in _TRANSIENT_CODES or status in (408, 429, 500, 502, 503, 504)
    if isinstance(exc, tablestore.OTSClientError):
        # Raised before sending for bad arguments (permanent); after a reply for a body that
        # does not match its MD5 or a 5xx without a readable error (transient).
        status = exc.get_http_status()
        return "MD5 mismatch" in exc.get_error_message() or (status is not None and status >= 500)
    return isinstance(exc, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError))


def _condition_failed(exc: BaseException | None) -> bool:
    return isinstance(exc, tablestore.OTSServiceError) and exc.get_error_code() == "OTSConditionCheckFail"


def _cells(data: bytes, key: str) -> list[tuple[str, Any]]:
    if len(data) > MAX_VALUE_BYTES:
        raise ValueTooLarge(
            f"value for {key!r} is {len(data)} bytes; Tablestore rows hold at most {MAX_VALUE_BYTES}"
        )
    chunks = [data[i : i + CELL_BYTES] for i in range(0, len(data), CELL_BYTES)] or [b""]
    # bytearray, not bytes: the SDK writes bytes as a STRING cell (and requires valid UTF-8).
    return [("n", len(chunks)), *((f"v{i}", bytearray(chunk)) for i, chunk in enumerate(chunks))]


def _join(columns: list[Any] | None, key: str) -> bytes:
    cells = {column[0]: column[1] for column in columns or ()}
    count = cells.get("n")
    parts = [cells.get(f"v{i}") for i in range(count)] if isinstance(count, int) else [None]
    if any(part is None for part in parts):
        raise StoreError(f"ots row for {key!r} is not a bailian-fc value (columns {sorted(cells)})")
    return b"".join(bytes(part) for part in parts)  # type: ignore[arg-type]


def _successor(prefix: str) -> Any:
    """The smallest string above every string starting with ``prefix`` (INF_MAX for "")."""
    chars = list(prefix)
    while chars and chars[-1] == "\U0010ffff":
        chars.pop()
    if not chars:
        return tablestore.INF_MAX
    nxt = ord(chars[-1]) + 1
    chars[-1] = chr(0xE000 if 0xD800 <= nxt <= 0xDFFF else nxt)  # UTF-8 has no surrogates
    return "".join(chars)


# -- credentials ------------------------------------------------------------------------------------


class _Provider(CredentialsProvider):  # type: ignore[misc]  # tablestore ships no types
    """Credentials for every request; a callable source is asked each time (FC rotates STS tokens)."""

    def __init__(self, source: Callable[[], Credentials]) -> None:
        self._source = source

    def get_credentials(self) -> Any:
        key_id, secret, token = triple(self._source(), "Tablestore")
        return OtsCredentials(key_id, secret, token or None)


def credentials_provider(credentials: CredentialsSource | None) -> Any:
    if callable(credentials):
        return _Provider(credentials)
    fixed = credentials if credentials is not None else env_credentials("Tablestore")
    triple(fixed, "Tablestore")  # refuse empty keys now, not on the first request
    return _Provider(lambda: fixed)


# -- table provisioning -----------------------------------------------------------------------------


def create_table(store: OtsStore) -> bool:
    """Create ``store.table`` if it is missing; False when it already exists (idempotent).

    * primary key ``key`` STRING: one row per store key, range-partitioned, in key order;
    * ``time_to_live=-1``: nothing expires by itself. Chat history is kept until a user
      deletes it, and cache entries and leases carry their own expiry times; a table TTL
      would silently drop conversations older than it;
    * ``max_versions=1``: a row is rewritten whole by PutRow; older versions are never read,
      so keeping them would only cost storage;
    * reserved throughput 0/0: pay-as-you-go capacity (the only choice on capacity instances).
    """
    meta = tablestore.TableMeta(store.table, [(PK, "STRING")])
    options = tablestore.TableOptions(time_to_live=-1, max_version=1)
    throughput = tablestore.ReservedThroughput(tablestore.CapacityUnit(0, 0))
    try:
        store._retrying(
            "create_table", store.table, lambda: store._client.create_table(meta, options, throughput)
        )
        return True
    except StoreError as exc:
        cause = exc.__cause__
        if (
            isinstance(cause, tablestore.OTSServiceError)
            and cause.get_error_code() == "OTSObjectAlreadyExist"
        ):
            return False
        raise


def describe_table(store: OtsStore) -> dict[str, Any]:
    """Primary key, TTL and max versions of the store's table, as ``store init`` reports them."""
    found = store._retrying("describe_table", store.table, lambda: store._client.describe_table(store.table))
    return {
        "table": store.table,
        "primary_key": [list(col)[:2] for col in found.table_meta.schema_of_primary_key],
        "time_to_live": found.table_options.time_to_live,
        "max_versions": found.table_options.max_version,
    }


# -- errors ----------------------------------------------------------------------------------------


def _store_error(op: str, key: str, exc: Exception) -> StoreError:
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, tablestore.OTSServiceError) and exc.get_error_code() == "OTSObjectNotExist":
        return StoreError(f"ots {op} {key!r} failed: the table does not exist (run `bailian-fc store init`)")
    return StoreError(f"ots {op} {key!r} failed: {_describe(exc)}")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, tablestore.OTSServiceError):
        return (
            f"HTTP {exc.get_http_status()} {exc.get_error_code()}: {exc.get_error_message()} "
            f"(request id {exc.get_request_id() or '-'})"
        )
    return f"{type(exc).__name__}: {str(exc)[:300]}"
