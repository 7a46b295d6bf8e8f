"""OssStore specifics (credentials, signing, OSS error codes, CRC) and the OSS test server itself."""

from __future__ import annotations

import base64
import hashlib
import http.client
import itertools
import xml.etree.ElementTree as ET
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import oss2
import pytest
from fault_proxy import FAST_FAIL
from oss_server import Faults, OssServer

from bailian_fc.store import InvalidKey, Store, StoreError, StoreUnavailable, open_store
from bailian_fc.store.oss import OssStore, infer_region

StoreFactory = Callable[..., Store]


def _requests_since(server: OssServer, mark: int) -> list[tuple[str, str, dict[str, str]]]:
    return list(server.log)[-(server.request_count - mark) :] if server.request_count > mark else []


def _bucket_of(store: Store) -> str:
    assert isinstance(store, OssStore)
    return store.bucket


def _bucket(make: StoreFactory) -> str:
    """The name of this test's fresh bucket."""
    return _bucket_of(make())


# -- configuration and credentials ---------------------------------------------------------------


def test_url_options_reach_the_store(oss_server: OssServer) -> None:
    store = open_store(f"oss://bkt-x/a/b/?endpoint={oss_server.endpoint}&max_attempts=2&read_timeout=4")
    assert isinstance(store, OssStore)
    assert (store.bucket, store.prefix, store.url, store.region) == ("bkt-x", "a/b", "oss://bkt-x/a/b", None)
    assert store._attempts == 2
    store.close()


def test_endpoint_is_required() -> None:
    with pytest.raises(ValueError, match="endpoint"):
        open_store("oss://bkt/p")


@pytest.mark.parametrize(
    ("endpoint", "region"),
    [
        ("https://oss-cn-hangzhou.aliyuncs.com", "cn-hangzhou"),
        ("https://oss-cn-hangzhou-internal.aliyuncs.com", "cn-hangzhou"),
        ("oss-ap-southeast-1.aliyuncs.com", "ap-southeast-1"),
        ("https://oss-accelerate.aliyuncs.com", None),
        ("https://s3.oss-cn-hangzhou.aliyuncs.com", None),
        ("https://files.example.com", None),
        ("http://127.0.0.1:9000", None),
    ],
)
def test_region_inference(endpoint: str, region: str | None) -> None:
    assert infer_region(endpoint) == region


def test_env_credentials_sign_v1_without_token(make_oss_store: StoreFactory, oss_server: OssServer) -> None:
    store = make_oss_store()
    mark = oss_server.request_count
    store.put("k", b"v")
    ((_, _, headers),) = _requests_since(oss_server, mark)
    assert headers["authorization"].startswith("OSS test-ak:")
    assert "x-oss-security-token" not in headers


def test_fc_context_credentials_use_the_sts_token(
    make_oss_store: StoreFactory, oss_server: OssServer
) -> None:
    creds = SimpleNamespace(access_key_id="STS.fc-ak", access_key_secret="fc-sk", security_token="fc-token")
    store = OssStore(_bucket(make_oss_store), "p", endpoint=oss_server.endpoint, credentials=creds)
    mark = oss_server.request_count
    store.put("k", b"v")
    ((_, _, headers),) = _requests_since(oss_server, mark)
    assert headers["authorization"].startswith("OSS STS.fc-ak:")
    assert headers["x-oss-security-token"] == "fc-token"


def test_callable_credentials_are_read_per_request(
    make_oss_store: StoreFactory, oss_server: OssServer
) -> None:
    tokens = (f"token-{i}" for i in itertools.count())
    store = OssStore(
        _bucket(make_oss_store),
        "p",
        endpoint=oss_server.endpoint,
        credentials=lambda: SimpleNamespace(
            access_key_id="ak", access_key_secret="sk", security_token=next(tokens)
        ),
    )
    mark = oss_server.request_count
    store.put("k", b"v")
    store.get("k")
    sent = [headers["x-oss-security-token"] for _, _, headers in _requests_since(oss_server, mark)]
    assert sent == ["token-0", "token-1"]  # a rotated STS token is picked up without a new store


def test_region_switches_to_signature_v4(make_oss_store: StoreFactory, oss_server: OssServer) -> None:
    store = make_oss_store(region="cn-hangzhou")
    mark = oss_server.request_count
    store.put("k", b"v")
    assert store.get("k") == b"v"
    for _, _, headers in _requests_since(oss_server, mark):
        assert headers["authorization"].startswith("OSS4-HMAC-SHA256 Credential=test-ak/")
        assert "/cn-hangzhou/oss/aliyun_v4_request" in headers["authorization"]


def test_missing_credentials_are_refused_up_front(
    oss_server: OssServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID")
    with pytest.raises(StoreError, match="ALIBABA_CLOUD_ACCESS_KEY_ID"):
        open_store(f"oss://bkt/p?endpoint={oss_server.endpoint}")
    with pytest.raises(StoreError, match="access_key_id"):
        OssStore("bkt", "p", endpoint=oss_server.endpoint, credentials=SimpleNamespace(token="x"))  # type: ignore[arg-type]


# -- wire behaviour -------------------------------------------------------------------------------


def test_only_put_if_absent_forbids_overwrite(make_oss_store: StoreFactory, oss_server: OssServer) -> None:
    store = make_oss_store()
    mark = oss_server.request_count
    store.put("a", b"1")
    store.put_if_absent("b", b"2")
    (_, _, plain), (_, path, conditional) = _requests_since(oss_server, mark)
    assert "x-oss-forbid-overwrite" not in plain
    assert conditional["x-oss-forbid-overwrite"] == "true"
    assert urlsplit(path).path.endswith("/pfx%2Ft%2Fb")  # path-style, key fully percent-encoded


def test_prefix_counts_towards_the_key_length_limit(make_oss_store: StoreFactory) -> None:
    store = make_oss_store(prefix="p" * 30)
    with pytest.raises(InvalidKey):
        store.put("k" * 1000, b"v")  # a valid key alone, 1,031 bytes with the prefix (OSS: 1,023)


def test_not_implemented_is_permanent(
    make_oss_store: StoreFactory, oss_server: OssServer, oss_faults: Faults
) -> None:
    store = make_oss_store(**FAST_FAIL)
    oss_faults.fail_next(5, status=501, code="NotImplemented", message="not implemented")
    mark = oss_server.request_count
    with pytest.raises(StoreError) as caught:
        store.put("k", b"v")
    assert not isinstance(caught.value, StoreUnavailable)
    assert oss_server.request_count - mark == 1


def test_missing_bucket_is_an_error_not_a_missing_key(oss_server: OssServer) -> None:
    store = open_store(f"oss://no-such-bucket-here/p?endpoint={oss_server.endpoint}")
    with pytest.raises(StoreError, match="NoSuchBucket"):
        store.get("k")


def test_a_body_that_does_not_match_its_etag_is_retried_then_unavailable(
    make_oss_store: StoreFactory, oss_server: OssServer
) -> None:
    store = make_oss_store(**FAST_FAIL)
    store.put("k", b"value")
    stored = oss_server.state.objects(_bucket_of(store))["pfx/t/k"]
    stored.data = b"valuf"  # the bytes no longer match their MD5 (the ETag)
    mark = oss_server.request_count
    with pytest.raises(StoreUnavailable, match="InconsistentError"):
        store.get("k")
    assert oss_server.request_count - mark == 3


def test_every_write_sends_content_md5_and_no_crc_is_computed(
    make_oss_store: StoreFactory, oss_server: OssServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CRC-64 is off (crcmod has no compiled wheel); the service checks Content-MD5 instead."""
    import oss2.utils

    def no_crc(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("oss2 computed a CRC")

    monkeypatch.setattr(oss2.utils.Crc64, "update", no_crc)
    store = make_oss_store()
    mark = oss_server.request_count
    store.put("a", b"one")
    assert store.put_if_absent("b", "二".encode())
    assert store.get("a") == b"one" and store.get("b") == "二".encode()
    puts = [h for m, _, h in list(oss_server.log)[mark - oss_server.request_count :] if m == "PUT"]
    assert len(puts) == 2
    assert all({k.lower() for k in h} >= {"content-md5"} for h in puts)


def test_server_refuses_a_body_that_does_not_match_its_content_md5(oss_server: OssServer) -> None:
    oss_server.create_bucket("md5-proto")
    bucket = oss2.Bucket(oss2.Auth("ak", "sk"), oss_server.endpoint, "md5-proto", enable_crc=False)
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(oss2.exceptions.ServerError) as caught:
        bucket.put_object("k", b"value", headers={"Content-MD5": wrong})
    assert caught.value.code == "InvalidDigest"
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_object("k")


# -- the test server speaks OSS (checked with oss2 directly) --------------------------------------


@pytest.fixture
def raw_bucket(oss_server: OssServer) -> Any:
    oss_server.create_bucket("raw-proto")
    return oss2.Bucket(oss2.Auth("ak", "sk"), oss_server.endpoint, "raw-proto")


def test_server_lists_with_v1_and_v2_iterators(raw_bucket: Any) -> None:
    keys = sorted(f"it/{i:03d}-{c}" for i in range(25) for c in ("a", "中"))
    for key in keys:
        raw_bucket.put_object(key, b"v")
    assert [o.key for o in oss2.ObjectIterator(raw_bucket, prefix="it/", max_keys=7)] == keys
    assert [o.key for o in oss2.ObjectIteratorV2(raw_bucket, prefix="it/", max_keys=7)] == keys
    page = raw_bucket.list_objects_v2(prefix="it/", start_after=keys[9], max_keys=5)
    assert [o.key for o in page.object_list] == keys[10:15] and page.is_truncated


def test_server_head_errors_travel_in_x_oss_err(raw_bucket: Any) -> None:
    with pytest.raises(oss2.exceptions.NoSuchKey) as caught:
        raw_bucket.head_object("missing")
    assert caught.value.details["EC"] == "0026-00000001"


def test_server_forbid_overwrite_is_a_plain_409(raw_bucket: Any) -> None:
    raw_bucket.put_object("once", b"1", headers={"x-oss-forbid-overwrite": "true"})
    with pytest.raises(oss2.exceptions.ServerError) as caught:
        raw_bucket.put_object("once", b"2", headers={"x-oss-forbid-overwrite": "true"})
    assert (caught.value.status, caught.value.code) == (409, "FileAlreadyExists")
    assert type(caught.value) is oss2.exceptions.ServerError  # no dedicated class in oss2 2.19.1
    assert raw_bucket.get_object("once").read() == b"1"


def test_server_error_body_shape(oss_server: OssServer, raw_bucket: Any) -> None:
    url = urlsplit(oss_server.endpoint)
    conn = http.client.HTTPConnection(url.hostname or "", url.port)
    conn.request("GET", "/raw-proto/missing%2Fkey")
    response = conn.getresponse()
    root = ET.fromstring(response.read())
    conn.close()
    assert response.status == 404 and response.getheader("x-oss-request-id")
    assert root.tag == "Error"
    assert [child.tag for child in root][:4] == ["Code", "Message", "RequestId", "HostId"]
    assert root.findtext("Code") == "NoSuchKey" and root.findtext("Key") == "missing/key"


def test_server_rejects_oversized_max_keys(raw_bucket: Any) -> None:
    with pytest.raises(oss2.exceptions.ServerError) as caught:
        raw_bucket.list_objects_v2(max_keys=1001)
    assert (caught.value.status, caught.value.code) == (400, "InvalidArgument")
