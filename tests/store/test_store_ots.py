"""OtsStore specifics (credentials, signing, retries, ordered reads, provisioning) and the Tablestore
test server itself, checked with the unmodified SDK."""

from __future__ import annotations

import itertools
import json
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest
import tablestore
from fault_proxy import FAST_FAIL
from ots_server import OtsServer
from plainbuffer import Cell, PlainBufferError, Row, decode_row, encode_rows
from tablestore.retry import NoRetryPolicy

from bailian_fc.chat.conversations import ConversationStore
from bailian_fc.store import InvalidKey, Store, StoreError, StoreUnavailable, open_store
from bailian_fc.store.ots import OtsStore, create_table, describe_table, is_transient
from bailian_fc_tools.cli import main as cli
from bailian_fc_tools.deploy.store_init import init_store

StoreFactory = Callable[..., Store]


def _ots(store: Store) -> OtsStore:
    assert isinstance(store, OtsStore)
    return store


def _headers_since(server: OtsServer, mark: int) -> list[dict[str, str]]:
    count = server.request_count - mark
    return [headers for _, headers in list(server.log)[-count:]] if count > 0 else []


# -- configuration and credentials ---------------------------------------------------------------


def test_url_options_reach_the_store(ots_server: OtsServer) -> None:
    store = open_store(f"ots://inst-a/tbl/a/b/?endpoint={ots_server.endpoint}&max_attempts=2&deadline=7")
    assert isinstance(store, OtsStore)
    assert (store.instance, store.table, store.prefix, store.url) == (
        "inst-a",
        "tbl",
        "a/b",
        "ots://inst-a/tbl/a/b",
    )
    assert (store._attempts, store._deadline) == (2, 7.0)
    store.close()


@pytest.mark.parametrize(
    "url", ["ots://inst/tbl", "ots://inst?endpoint=http://x", "ots:///tbl?endpoint=http://x"]
)
def test_instance_table_and_endpoint_are_required(url: str) -> None:
    with pytest.raises(ValueError, match="instance, a table and an endpoint"):
        open_store(url)


def test_env_credentials_sign_v2_without_token(make_ots_store: StoreFactory, ots_server: OtsServer) -> None:
    store = make_ots_store()
    mark = ots_server.request_count
    store.put("k", b"v")
    (headers,) = _headers_since(ots_server, mark)
    assert headers["x-ots-accesskeyid"] == "test-ak" and "x-ots-signature" in headers
    assert "x-ots-ststoken" not in headers
    assert headers["x-ots-instancename"] == ots_server.instance


def test_fc_context_credentials_use_the_sts_token(
    make_ots_store: StoreFactory, ots_server: OtsServer
) -> None:
    ots_server.secrets["STS.fc-ak"] = "fc-sk"
    table = _ots(make_ots_store()).table
    creds = SimpleNamespace(access_key_id="STS.fc-ak", access_key_secret="fc-sk", security_token="fc-token")
    store = OtsStore(ots_server.instance, table, "p", endpoint=ots_server.endpoint, credentials=creds)
    mark = ots_server.request_count
    store.put("k", b"v")
    assert store.get("k") == b"v"  # the server checked the signature, the SDK the signed answer
    for headers in _headers_since(ots_server, mark):
        assert headers["x-ots-accesskeyid"] == "STS.fc-ak" and headers["x-ots-ststoken"] == "fc-token"


def test_callable_credentials_are_read_per_request(
    make_ots_store: StoreFactory, ots_server: OtsServer
) -> None:
    table = _ots(make_ots_store()).table
    tokens = (f"token-{i}" for i in itertools.count())
    store = OtsStore(
        ots_server.instance,
        table,
        "p",
        endpoint=ots_server.endpoint,
        credentials=lambda: SimpleNamespace(
            access_key_id="test-ak", access_key_secret="test-sk", security_token=next(tokens)
        ),
    )
    mark = ots_server.request_count
    store.put("k", b"v")
    store.get("k")
    assert [h["x-ots-ststoken"] for h in _headers_since(ots_server, mark)] == ["token-0", "token-1"]


def test_region_switches_to_signature_v4(make_ots_store: StoreFactory, ots_server: OtsServer) -> None:
    store = make_ots_store(region="cn-hangzhou")
    mark = ots_server.request_count
    store.put("k", b"v")
    assert store.get("k") == b"v"
    for headers in _headers_since(ots_server, mark):
        assert "x-ots-signaturev4" in headers and "x-ots-signature" not in headers
        assert headers["x-ots-signregion"] == "cn-hangzhou"


def test_a_wrong_secret_is_refused_and_not_retried(
    make_ots_store: StoreFactory, ots_server: OtsServer
) -> None:
    table = _ots(make_ots_store()).table
    creds = SimpleNamespace(access_key_id="test-ak", access_key_secret="not-the-secret", security_token=None)
    store = OtsStore(ots_server.instance, table, "", endpoint=ots_server.endpoint, credentials=creds)
    mark = ots_server.request_count
    with pytest.raises(StoreError, match="OTSAuthFailed") as caught:
        store.get("k")
    assert not isinstance(caught.value, StoreUnavailable)
    assert ots_server.request_count - mark == 1


def test_missing_credentials_are_refused_up_front(
    ots_server: OtsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID")
    with pytest.raises(StoreError, match="ALIBABA_CLOUD_ACCESS_KEY_ID"):
        open_store(f"ots://inst/tbl?endpoint={ots_server.endpoint}")
    with pytest.raises(StoreError, match="access_key_id"):
        OtsStore("inst", "tbl", endpoint=ots_server.endpoint, credentials=SimpleNamespace(token="x"))  # type: ignore[arg-type]


# -- retries ---------------------------------------------------------------------------------------


def test_sdk_retry_policy_is_off(make_ots_store: StoreFactory) -> None:
    store = _ots(make_ots_store())
    assert isinstance(store._client.retry_policy, NoRetryPolicy)


def test_refused_connections_are_retried_then_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    store = open_store(f"ots://inst/tbl?endpoint=http://127.0.0.1:{port}&max_attempts=2&connect_timeout=0.5")
    with pytest.raises(StoreUnavailable, match="after 2 attempts"):
        store.get("k")


def test_deadline_stops_retrying_before_attempts_run_out(
    make_ots_store: StoreFactory, ots_faults: Any
) -> None:
    store = make_ots_store(read_timeout="0.3", max_attempts="10", deadline="0.5")
    ots_faults.hang_next(10, seconds=20)
    with pytest.raises(StoreUnavailable):
        store.put("k", b"v")
    assert 1 <= ots_faults.served <= 3  # 0.3 s per hung attempt against a 0.5 s budget, not 10 attempts


def test_throttling_codes_are_retried(make_ots_store: StoreFactory, ots_faults: Any) -> None:
    store = make_ots_store(**FAST_FAIL)
    ots_faults.fail_next(
        1, status=409, code="OTSRowOperationConflict", message="Data is being modified by the other request."
    )
    ots_faults.fail_next(1, status=403, code="OTSQuotaExhausted", message="Too frequent table operations.")
    store.put("k", b"v")
    assert ots_faults.served == 2 and store.get("k") == b"v"


def test_parameter_errors_are_permanent(
    make_ots_store: StoreFactory, ots_server: OtsServer, ots_faults: Any
) -> None:
    store = make_ots_store(**FAST_FAIL)
    ots_faults.fail_next(3, status=400, code="OTSParameterInvalid", message="bad")
    mark = ots_server.request_count
    with pytest.raises(StoreError) as caught:
        store.put("k", b"v")
    assert not isinstance(caught.value, StoreUnavailable) and "OTSParameterInvalid" in str(caught.value)
    assert ots_server.request_count - mark == 1


def test_missing_table_says_how_to_create_it(ots_server: OtsServer) -> None:
    store = open_store(f"ots://{ots_server.instance}/no_such_table?endpoint={ots_server.endpoint}")
    with pytest.raises(StoreError, match="store init"):
        store.get("k")


# -- keys, values, ordered reads -------------------------------------------------------------------


def test_prefix_counts_towards_the_primary_key_limit(make_ots_store: StoreFactory) -> None:
    store = make_ots_store(prefix="p" * 30)
    with pytest.raises(InvalidKey):
        store.put("k" * 1000, b"v")  # a valid key alone, 1,031 bytes with the prefix (Tablestore: 1,024)


def test_values_are_split_over_cells_of_at_most_two_megabytes(
    make_ots_store: StoreFactory, ots_server: OtsServer
) -> None:
    store = _ots(make_ots_store())
    blob = bytes(range(256)) * (9 * 1024)  # 2.25 MiB: two cells
    store.put("big", blob)
    stored = next(r for k, r in ots_server.state.tables[store.table].rows.items() if k[0][1] == "pfx/t/big")
    assert {
        name: len(c.value) if isinstance(c.value, bytes) else c.value for name, c in stored.columns.items()
    } == {
        "n": 2,
        "v0": 2 * 1024 * 1024,
        "v1": len(blob) - 2 * 1024 * 1024,
    }
    assert store.get("big") == blob


def test_listing_pages_past_five_thousand_rows(make_ots_store: StoreFactory, ots_server: OtsServer) -> None:
    store = make_ots_store()
    keys = [f"many/{i:05d}" for i in range(5120)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: store.put(k, b"."), keys))
    mark = ots_server.request_count
    assert store.list_page("many/", limit=6000) == keys
    assert ots_server.apis_since(mark) == ["GetRange", "GetRange"]  # 5,000 rows, then the rest
    assert [k for k, _ in store.newest("many/", 5050)] == keys[::-1][:5050]


def test_newest_turns_and_conversations_are_one_request_each(
    make_ots_store: StoreFactory, ots_server: OtsServer
) -> None:
    conversations = ConversationStore(make_ots_store())
    convs = [conversations.new_conversation_id() for _ in range(60)]
    for conv in convs:
        conversations.touch("s", "u", conv, title="t", last_turn_id="x")
    for i in range(30):
        conversations.append_turn("s", "u", convs[0], {"message": str(i)})
    mark = ots_server.request_count
    assert len(conversations.list_conversations("s", "u", limit=50)) == 50
    assert len(conversations.list_turns("s", "u", convs[0], last=20)) == 20
    # Listing conversations is two range reads (the newest of the recent/ index, and the user's
    # tombstones, which housekeeping drops after the turn lease); the newest turns are one.
    assert ots_server.apis_since(mark) == ["GetRange", "GetRange", "GetRange"]


def test_concurrent_creates_of_one_key_have_one_winner_under_load(make_ots_store: StoreFactory) -> None:
    store = make_ots_store()
    with ThreadPoolExecutor(50) as pool:
        won = list(pool.map(lambda i: store.put_if_absent("claims/one", str(i).encode()), range(50)))
    assert won.count(True) == 1
    assert store.get("claims/one") == str(won.index(True)).encode()


# -- provisioning ----------------------------------------------------------------------------------


def test_create_table_is_idempotent_and_explains_its_layout(ots_server: OtsServer) -> None:
    store = _ots(
        open_store(
            f"ots://{ots_server.instance}/provisioned_{time.monotonic_ns()}?endpoint={ots_server.endpoint}"
        )
    )
    assert create_table(store) is True
    assert create_table(store) is False
    assert describe_table(store) == {
        "table": store.table,
        "primary_key": [["key", "STRING"]],
        "time_to_live": -1,
        "max_versions": 1,
    }
    store.put("k", b"v")
    assert store.get("k") == b"v"


# -- the test server speaks Tablestore (checked with the SDK directly) ----------------------------


@pytest.fixture
def raw_client(ots_server: OtsServer) -> Any:
    client = tablestore.OTSClient(
        ots_server.endpoint,
        "test-ak",
        "test-sk",
        ots_server.instance,
        retry_policy=NoRetryPolicy(),
        socket_timeout=5,
    )
    name = f"raw_{time.monotonic_ns()}"
    client.create_table(
        tablestore.TableMeta(name, [("gid", "INTEGER"), ("uid", "STRING")]),
        tablestore.TableOptions(),
        tablestore.ReservedThroughput(tablestore.CapacityUnit(0, 0)),
    )
    client.table = name
    return client


def test_server_round_trips_every_value_type(raw_client: Any) -> None:
    attrs = [("s", "中文"), ("i", -7), ("f", 1.5), ("b", True), ("blob", bytearray(b"\x00\xff"))]
    raw_client.put_row(raw_client.table, tablestore.Row([("gid", 1), ("uid", "a")], attrs))
    _, row, _ = raw_client.get_row(raw_client.table, [("gid", 1), ("uid", "a")], max_version=1)
    assert {name: value for name, value, _ in row.attribute_columns} == dict(attrs)


def test_server_condition_failure_is_a_403(raw_client: Any) -> None:
    expect_new = tablestore.Condition(tablestore.RowExistenceExpectation.EXPECT_NOT_EXIST)
    raw_client.put_row(raw_client.table, tablestore.Row([("gid", 1), ("uid", "a")], [("v", 1)]), expect_new)
    with pytest.raises(tablestore.OTSServiceError) as caught:
        raw_client.put_row(
            raw_client.table, tablestore.Row([("gid", 1), ("uid", "a")], [("v", 2)]), expect_new
        )
    error = caught.value
    assert (error.get_http_status(), error.get_error_code(), error.get_error_message()) == (
        403,
        "OTSConditionCheckFail",
        "Condition check failed.",
    )
    assert error.get_request_id()


def test_server_ranges_both_ways_with_infinite_bounds(raw_client: Any) -> None:
    for gid in (1, 2):
        for uid in ("a", "b", "c"):
            raw_client.put_row(raw_client.table, tablestore.Row([("gid", gid), ("uid", uid)], [("v", 1)]))
    inf_min, inf_max = tablestore.INF_MIN, tablestore.INF_MAX
    _, nxt, rows, _ = raw_client.get_range(
        raw_client.table, "FORWARD", [("gid", 1), ("uid", inf_min)], [("gid", 1), ("uid", inf_max)], limit=2
    )
    assert [r.primary_key[1][1] for r in rows] == ["a", "b"] and nxt == [("gid", 1), ("uid", "c")]
    _, nxt, rows, _ = raw_client.get_range(
        raw_client.table,
        "BACKWARD",
        [("gid", inf_max), ("uid", inf_max)],
        [("gid", inf_min), ("uid", inf_min)],
    )
    assert [(r.primary_key[0][1], r.primary_key[1][1]) for r in rows][:4] == [
        (2, "c"),
        (2, "b"),
        (2, "a"),
        (1, "c"),
    ]
    assert nxt is None
    with pytest.raises(tablestore.OTSServiceError, match="Begin key must less than end key"):
        raw_client.get_range(
            raw_client.table, "FORWARD", [("gid", 2), ("uid", inf_min)], [("gid", 1), ("uid", inf_min)]
        )


def test_server_refuses_wrong_key_schema_and_missing_tables(raw_client: Any) -> None:
    with pytest.raises(tablestore.OTSServiceError) as caught:
        raw_client.put_row(raw_client.table, tablestore.Row([("uid", "a")], [("v", 1)]))
    assert (caught.value.get_http_status(), caught.value.get_error_code()) == (400, "OTSInvalidPK")
    with pytest.raises(tablestore.OTSServiceError) as caught:
        raw_client.get_row("no_such_table", [("gid", 1)], max_version=1)
    assert (caught.value.get_http_status(), caught.value.get_error_code()) == (404, "OTSObjectNotExist")


def test_sdk_rejects_an_answer_whose_signature_does_not_match(raw_client: Any, ots_server: OtsServer) -> None:
    ots_server.secrets["test-ak"] = "server-thinks-otherwise"
    ots_server.check_signatures = False  # let the request in; the SDK must catch the answer
    try:
        with pytest.raises(tablestore.OTSClientError, match="Invalid signature in response"):
            raw_client.get_row(raw_client.table, [("gid", 1), ("uid", "a")], max_version=1)
    finally:
        ots_server.secrets["test-ak"], ots_server.check_signatures = "test-sk", True


def test_plainbuffer_checksums_are_verified() -> None:
    data = bytearray(encode_rows([Row([Cell("key", "a")], [Cell("v", b"x", 1)])]))
    assert decode_row(bytes(data)).columns[0].value == b"x"
    data[-3] ^= 0xFF  # a payload byte of the last cell
    with pytest.raises(PlainBufferError, match="checksum"):
        decode_row(bytes(data))


def test_store_init_command_creates_the_table_once(
    ots_server: OtsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"ots://{ots_server.instance}/cli_{time.monotonic_ns()}?endpoint={ots_server.endpoint}"
    assert cli.main(["store", "init", "--url", url]) == 0
    first = json.loads(capsys.readouterr().out)
    assert cli.main(["store", "init", "--url", url]) == 0
    second = json.loads(capsys.readouterr().out)
    assert (first["created"], second["created"]) == (True, False)
    assert first["primary_key"] == [["key", "STRING"]] and first["time_to_live"] == -1


def test_store_init_waits_for_a_table_that_is_still_loading(ots_server: OtsServer, ots_faults: Any) -> None:
    url = f"ots://{ots_server.instance}/loading_{time.monotonic_ns()}?endpoint={ots_server.endpoint}&max_attempts=1"
    ots_faults.fail_next(
        3, status=404, code="OTSTableNotReady", message="The table is not ready.", methods="GET"
    )
    result = init_store(url, wait_seconds=30, poll_seconds=0.01)
    assert result["created"] is True and ots_faults.served == 3


def test_store_init_reports_an_unreachable_store(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["store", "init", "--url", "ots://inst/tbl?endpoint=ftp://nowhere"]) == 1
    assert "store init" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (tablestore.OTSServiceError(503, "OTSServerBusy", "Server is busy."), True),
        (tablestore.OTSServiceError(500, "OTSInternalServerError", "Internal server error."), True),
        (tablestore.OTSServiceError(403, "OTSQuotaExhausted", "Too frequent table operations."), True),
        (tablestore.OTSServiceError(403, "OTSQuotaExhausted", "Number of tables exceeded the quota."), False),
        (tablestore.OTSServiceError(403, "OTSConditionCheckFail", "Condition check failed."), False),
        (tablestore.OTSServiceError(404, "OTSObjectNotExist", "Requested table does not exist."), False),
        (tablestore.OTSClientError("MD5 mismatch in response. HTTP status: 200.", 200), True),
        (tablestore.OTSClientError("HTTP status: 502, reason: Bad Gateway.", 502), True),
        (tablestore.OTSClientError("protocol of end_point must be 'http' or 'https'"), False),
        (ConnectionResetError(), True),
    ],
    ids=lambda v: v if isinstance(v, bool) else getattr(v, "code", None) or str(v)[:20],
)
def test_transient_errors(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient
