"""Fixtures for the storage contract: one fresh, empty store per test on file, S3 (moto), OSS and
Tablestore.

* ``store`` is parametrized over ``file``/``s3``/``oss``/``ots`` so the same contract tests run on
  all four adapters. The network stores live under a prefix (``pfx/t``) in a fresh bucket (or
  table) that also holds decoy keys just outside it, so every listing test also checks that the
  adapter filters by prefix and strips it back off.
* moto (``ThreadedMotoServer``), the OSS-protocol and the Tablestore-protocol test servers are
  started once per session, on 127.0.0.1 and ephemeral ports, and only when a test needs them.
* ``rig`` gives a store with short timeouts wired through a fault point (a proxy in front of
  moto; the OSS and Tablestore servers' own knob), plus a direct store to check what really got
  written.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from fault_proxy import ATTEMPTS, FAST_FAIL, FaultProxy, Rig
from oss_server import Faults, OssServer
from ots_server import OtsServer

from bailian_fc.store import FileStore, Store, open_store

PREFIX = "pfx/t"
# Keys just outside PREFIX + "/", on both sides of it in byte order.
DECOYS = ("pfx/s", "pfx/t", "pfx/t-x", "pfx/t0/x", "pfx/tt/x", "pfx/u/x", "zzz")


@pytest.fixture(autouse=True)
def _offline_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials for both clouds, no proxies, no config files, no metadata service."""
    for name in (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "test-ak")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "test-sk")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


# -- servers ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)  # one access-log line per request drowns test output
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    werkzeug_log.setLevel(level)


@pytest.fixture(scope="session")
def oss_server() -> Iterator[OssServer]:
    with OssServer() as server:
        yield server


@pytest.fixture
def oss_faults(oss_server: OssServer) -> Iterator[Faults]:
    """The session OSS server's fault knob, emptied after the test (and hung requests released)."""
    oss_server.faults.clear()
    yield oss_server.faults
    oss_server.faults.clear()


@pytest.fixture(scope="session")
def ots_server() -> Iterator[OtsServer]:
    with OtsServer() as server:
        yield server


@pytest.fixture
def ots_faults(ots_server: OtsServer) -> Iterator[Faults]:
    """The session Tablestore server's fault knob, emptied after the test."""
    ots_server.faults.clear()
    yield ots_server.faults
    ots_server.faults.clear()


@pytest.fixture
def s3_proxy(moto_endpoint: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(moto_endpoint).start()
    yield proxy
    proxy.stop()


# -- store factories -------------------------------------------------------------------------------


def _bucket_name() -> str:
    return f"t-{uuid.uuid4().hex[:16]}"  # valid for S3 and OSS: lowercase, digits, hyphen


def store_url(scheme: str, bucket: str, prefix: str, **query: str) -> str:
    return f"{scheme}://{bucket}/{prefix}?" + urlencode(query, quote_via=quote)


StoreFactory = Callable[..., Store]


@pytest.fixture(scope="session")
def s3_admin(moto_endpoint: str) -> Any:
    """A plain boto3 client on moto, for bucket set-up and for looking behind the adapter's back."""
    import boto3

    # Explicit keys: session fixtures are built before the per-test environment is.
    return boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def make_s3_store(moto_endpoint: str, s3_admin: Any) -> Iterator[StoreFactory]:
    """``make(prefix=..., endpoint=..., **query)``: an S3Store on this test's own fresh moto bucket."""
    bucket = _bucket_name()
    s3_admin.create_bucket(Bucket=bucket)
    opened: list[Store] = []

    def make(prefix: str = PREFIX, endpoint: str = moto_endpoint, **query: str) -> Store:
        url = store_url("s3", bucket, prefix, endpoint_url=endpoint, region="us-east-1", **query)
        opened.append(open_store(url))
        return opened[-1]

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def make_oss_store(oss_server: OssServer) -> Iterator[StoreFactory]:
    """``make(prefix=..., **query)``: an OssStore on this test's own fresh bucket of the OSS test server."""
    bucket = _bucket_name()
    oss_server.create_bucket(bucket)
    opened: list[Store] = []

    def make(prefix: str = PREFIX, endpoint: str = oss_server.endpoint, **query: str) -> Store:
        opened.append(open_store(store_url("oss", bucket, prefix, endpoint=endpoint, **query)))
        return opened[-1]

    yield make
    for store in opened:
        store.close()


def _table_name() -> str:
    return f"t_{uuid.uuid4().hex[:16]}"  # Tablestore names: [A-Za-z_][A-Za-z0-9_]*


@pytest.fixture
def make_ots_store(ots_server: OtsServer) -> Iterator[StoreFactory]:
    """``make(prefix=..., **query)``: an OtsStore on this test's own fresh table of the Tablestore test server."""
    from bailian_fc.store.ots import OtsStore, create_table

    table = _table_name()
    opened: list[Store] = []

    def make(prefix: str = PREFIX, endpoint: str = ots_server.endpoint, **query: str) -> Store:
        path = f"{table}/{prefix}" if prefix else table
        opened.append(
            open_store(f"ots://{ots_server.instance}/{path}?" + urlencode({"endpoint": endpoint, **query}))
        )
        return opened[-1]

    first = make(prefix="")
    assert isinstance(first, OtsStore)
    create_table(first)
    yield make
    for store in opened:
        store.close()


def _with_decoys(make: StoreFactory) -> Store:
    root = make(prefix="")
    for key in DECOYS:
        root.put(key, b"decoy")
    return make()


ADAPTERS = ["file", "s3", "oss", "ots"]


@pytest.fixture(params=ADAPTERS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """A fresh, empty store of each kind."""
    if request.param == "file":
        return FileStore(tmp_path / "store")
    return _with_decoys(request.getfixturevalue(f"make_{request.param}_store"))


# -- fault rigs ------------------------------------------------------------------------------------


@pytest.fixture(params=["s3", "oss", "ots"])
def rig(request: pytest.FixtureRequest) -> Rig:
    """Network adapters only: a local file system has no transient 5xx or timeouts to retry."""
    if request.param == "s3":
        proxy: FaultProxy = request.getfixturevalue("s3_proxy")
        make = request.getfixturevalue("make_s3_store")
        return Rig(
            make(endpoint=proxy.endpoint, **FAST_FAIL), make(), proxy.faults, lambda: proxy.seen, ATTEMPTS
        )
    server: OssServer | OtsServer = request.getfixturevalue(f"{request.param}_server")
    faults = request.getfixturevalue(f"{request.param}_faults")
    make = request.getfixturevalue(f"make_{request.param}_store")
    return Rig(make(**FAST_FAIL), make(), faults, lambda: server.request_count, ATTEMPTS)
