"""S3Store specifics the shared contract cannot see: URL options, wire format, S3 error codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fault_proxy import FAST_FAIL, FaultProxy

from bailian_fc.store import InvalidKey, Store, StoreError, StoreUnavailable, open_store
from bailian_fc.store.s3 import S3Store

StoreFactory = Callable[..., Store]


def _config(store: Any) -> Any:
    return store._client.meta.config


def test_url_options_reach_the_client() -> None:
    store = open_store(
        "s3://bkt/a/b/?endpoint_url=http%3A%2F%2F127.0.0.1%3A9&region=eu-west-1"
        "&addressing_style=virtual&max_attempts=2&connect_timeout=1.5&read_timeout=4"
    )
    assert isinstance(store, S3Store)
    assert (store.bucket, store.prefix, store.url) == ("bkt", "a/b", "s3://bkt/a/b")
    config = _config(store)
    assert config.region_name == "eu-west-1"
    assert config.s3 == {"addressing_style": "virtual"}
    assert config.retries == {"mode": "standard", "total_max_attempts": 2}
    assert (config.connect_timeout, config.read_timeout) == (1.5, 4.0)
    assert config.request_checksum_calculation == "when_required"
    assert config.response_checksum_validation == "when_required"
    store.close()


@pytest.mark.parametrize("url", ["s3://bkt/p?addressing_style=dns", "s3:///p", "s3://bkt/../x"])
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        open_store(url)


def test_prefixes_isolate_stores_in_one_bucket(make_s3_store: StoreFactory) -> None:
    root, a, b = make_s3_store(prefix=""), make_s3_store(prefix="tenant/a"), make_s3_store(prefix="tenant/b")
    a.put("k", b"from a")
    assert root.get("tenant/a/k") == b"from a"
    assert b.get("k") is None
    assert a.list("") == ["k"] and b.list("") == []
    assert root.list("tenant/") == ["tenant/a/k"]


def test_prefix_counts_towards_the_key_length_limit(make_s3_store: StoreFactory) -> None:
    store = make_s3_store(prefix="p" * 100)
    with pytest.raises(InvalidKey):
        store.put("k" * 1000, b"v")  # a valid key alone, 1,101 bytes with the prefix


def test_wire_format_is_plain_body_and_if_none_match(make_s3_store: StoreFactory) -> None:
    store = make_s3_store()
    seen: list[dict[str, str]] = []
    store._client.meta.events.register(  # type: ignore[attr-defined]
        "before-send.s3.PutObject", lambda request, **_: seen.append(dict(request.headers))
    )
    store.put("a", b"x" * 100)
    store.put_if_absent("b", b"y")
    plain, conditional = seen
    for headers in (plain, conditional):
        lowered = {k.lower(): v for k, v in headers.items()}
        assert "aws-chunked" not in str(lowered.get("content-encoding", ""))
        assert not any(k.startswith("x-amz-checksum") or k == "x-amz-trailer" for k in lowered), lowered
    assert "If-None-Match" not in plain
    assert conditional["If-None-Match"] in ("*", b"*")


def _via_proxy(make_s3_store: StoreFactory, proxy: FaultProxy) -> Any:
    return make_s3_store(endpoint=proxy.endpoint, **FAST_FAIL)


@pytest.mark.parametrize("status", [400, 501])  # OSS's S3 API has been seen answering both
def test_unsupported_conditional_put_is_permanent(
    make_s3_store: StoreFactory, s3_proxy: FaultProxy, status: int
) -> None:
    store = _via_proxy(make_s3_store, s3_proxy)
    s3_proxy.faults.fail_next(
        5,
        status=status,
        code="NotImplemented",
        methods="PUT",
        message="A header you provided implies functionality that is not implemented",
    )
    with pytest.raises(StoreError, match="oss://") as caught:
        store.put_if_absent("k", b"v")
    assert not isinstance(caught.value, StoreUnavailable)
    assert s3_proxy.seen == 1  # not retried


def test_conditional_conflict_is_retried(make_s3_store: StoreFactory, s3_proxy: FaultProxy) -> None:
    store = _via_proxy(make_s3_store, s3_proxy)
    s3_proxy.faults.fail_next(1, status=409, code="ConditionalRequestConflict", methods="PUT")
    assert store.put_if_absent("k", b"v") is True
    assert store.get("k") == b"v"


def test_endless_conditional_conflict_reports_not_created(
    make_s3_store: StoreFactory, s3_proxy: FaultProxy
) -> None:
    store = _via_proxy(make_s3_store, s3_proxy)
    s3_proxy.faults.fail_next(10, status=409, code="ConditionalRequestConflict", methods="PUT")
    assert store.put_if_absent("k", b"v") is False
    assert s3_proxy.seen == 3
    s3_proxy.faults.clear()
    assert store.get("k") is None


def test_missing_bucket_is_an_error_not_a_missing_key(moto_endpoint: str) -> None:
    store = open_store(f"s3://no-such-bucket-here/p?endpoint_url={moto_endpoint}&region=us-east-1")
    with pytest.raises(StoreError) as caught:
        store.get("k")
    assert not isinstance(caught.value, StoreUnavailable)
    with pytest.raises(StoreError):
        store.delete("k")


def test_missing_credentials_are_a_permanent_error(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    store = open_store(f"s3://any-bucket/p?endpoint_url={moto_endpoint}&region=us-east-1")
    with pytest.raises(StoreError) as caught:
        store.put("k", b"v")
    assert not isinstance(caught.value, StoreUnavailable)


def test_unreachable_endpoint_is_unavailable() -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = open_store(
        f"s3://bkt/p?endpoint_url=http://127.0.0.1:{port}&region=us-east-1&connect_timeout=0.5"
    )
    with pytest.raises(StoreUnavailable):
        store.get("k")
