"""One storage contract, run unchanged against the file, S3 (moto), OSS and Tablestore (test servers) adapters.

Anything bailian-fc relies on (create-only turns, atomic overwrite, byte-ordered paged
listings, bounded failure) is asserted here once, so an adapter cannot quietly differ.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fault_proxy import Rig

from bailian_fc.store import InvalidKey, Store, StoreUnavailable, ValueTooLarge

# -- round trips -----------------------------------------------------------------------------------


def test_bytes_round_trip(store: Store) -> None:
    store.put("a/b.bin", b"\x00\x01binary\xff")
    assert store.get("a/b.bin") == b"\x00\x01binary\xff"


def test_empty_value_round_trip(store: Store) -> None:
    store.put("empty", b"")
    assert store.get("empty") == b""


def test_json_round_trip(store: Store) -> None:
    value = {"turn": 3, "text": "你好，世界", "tags": ["a", "b"], "ok": True, "none": None}
    store.put_json("sessions/s1/meta.json", value)
    assert store.get_json("sessions/s1/meta.json") == value
    assert store.put_json_if_absent("sessions/s1/meta.json", {"other": 1}) is False
    assert store.get_json("sessions/s1/meta.json") == value


def test_put_overwrites(store: Store) -> None:
    store.put("k", b"one")
    store.put("k", b"two")
    assert store.get("k") == b"two"


def test_missing_key_is_none(store: Store) -> None:
    assert store.get("no/such/key") is None
    assert store.get_json("no/such/key.json") is None


def test_large_values_round_trip_up_to_the_adapter_limit(store: Store) -> None:
    # Object stores take 5 MB in one PUT; a Tablestore row holds ~4 MB (split over 2 MB cells).
    size = store.max_value_bytes or 5 * 1024 * 1024
    blob = os.urandom(size)
    store.put("big/blob", blob)
    assert store.get("big/blob") == blob
    assert store.put_if_absent("big/claim", blob) is True
    assert store.get("big/claim") == blob


def test_values_above_the_limit_are_refused_not_truncated(store: Store) -> None:
    limit = store.max_value_bytes
    too_big = os.urandom((limit or 5 * 1024 * 1024) + 1)
    store.put("big/old", b"old value")
    if limit is None:  # no limit a bailian-fc value could reach: it is simply stored
        store.put("big/old", too_big)
        assert store.get("big/old") == too_big
        return
    with pytest.raises(ValueTooLarge, match=str(len(too_big))):
        store.put("big/old", too_big)
    with pytest.raises(ValueTooLarge):
        store.put_if_absent("big/new", too_big)
    assert store.get("big/old") == b"old value"
    assert store.get("big/new") is None


@pytest.mark.parametrize(
    "key",
    [
        "会话/第一轮.json",
        "with space/and more spaces.txt",
        "sym/100%+plus&amp=eq;semi,comma'quote",
        "emoji/😀.json",
        "ümlaut/ß",
    ],
)
def test_unusual_keys_round_trip_and_list(store: Store, key: str) -> None:
    store.put(key, key.encode())
    assert store.get(key) == key.encode()
    top = key.split("/")[0] + "/"
    assert store.list(top) == [key]
    store.delete(key)
    assert store.get(key) is None


# -- create-only -----------------------------------------------------------------------------------


def test_put_if_absent_creates_once(store: Store) -> None:
    assert store.put_if_absent("turns/0001", b"first") is True
    assert store.put_if_absent("turns/0001", b"second") is False
    assert store.get("turns/0001") == b"first"


def test_put_if_absent_after_delete(store: Store) -> None:
    assert store.put_if_absent("lease", b"a") is True
    store.delete("lease")
    assert store.put_if_absent("lease", b"b") is True
    assert store.get("lease") == b"b"


def test_put_if_absent_race_has_one_winner(store: Store) -> None:
    writers = 20
    barrier = threading.Barrier(writers)

    def attempt(i: int) -> tuple[int, bool]:
        barrier.wait()
        return i, store.put_if_absent("race/claim", f"writer-{i}".encode())

    with ThreadPoolExecutor(writers) as pool:
        results = list(pool.map(attempt, range(writers)))
    winners = [i for i, won in results if won]
    assert len(winners) == 1, results
    assert store.get("race/claim") == f"writer-{winners[0]}".encode()


# -- delete ----------------------------------------------------------------------------------------


def test_delete_is_idempotent(store: Store) -> None:
    store.delete("never/existed")
    store.put("d", b"x")
    store.delete("d")
    store.delete("d")
    assert store.get("d") is None
    assert store.list("d") == []


# -- listing ---------------------------------------------------------------------------------------

# No key is also a "directory" of another (k/a and k/a/b): the file store cannot hold both.
BYTE_ORDER_KEYS = [
    "k/Z",
    "k/a b",
    "k/a-b",
    "k/a/b",
    "k/a0",
    "k/aa",
    "k/é",
    "k/中",
    "k/~",
    "k/😀",
    "k/B",
    "k/0",
]


def test_list_is_in_byte_order(store: Store) -> None:
    for key in BYTE_ORDER_KEYS:
        store.put(key, b"v")
    expected = sorted(BYTE_ORDER_KEYS, key=lambda k: k.encode())
    assert store.list("k/") == expected
    assert store.list_page("k/", limit=5) == expected[:5]


def test_list_filters_by_prefix(store: Store) -> None:
    for key in ("a/1", "a/2", "a-1", "ab/1", "b/1", "a/sub/3"):
        store.put(key, b"v")
    assert store.list("a/") == ["a/1", "a/2", "a/sub/3"]
    assert store.list("a") == ["a-1", "a/1", "a/2", "a/sub/3", "ab/1"]
    assert store.list("a/s") == ["a/sub/3"]
    assert store.list("c/") == []
    assert store.list("") == ["a-1", "a/1", "a/2", "a/sub/3", "ab/1", "b/1"]


def test_list_start_after(store: Store) -> None:
    keys = [f"s/{i:02d}" for i in range(10)]
    for key in keys:
        store.put(key, b"v")
    assert store.list("s/", start_after="s/04") == keys[5:]
    assert store.list("s/", start_after="s/04x") == keys[5:]  # need not be an existing key
    assert store.list("s/", start_after="r") == keys  # before the prefix
    assert store.list("s/", start_after="s/09") == []
    assert store.list("s/", start_after="t") == []  # past the prefix
    assert store.list_page("s/", limit=0) == []
    assert store.list_page("s/", start_after="s/02", limit=3) == keys[3:6]
    assert store.list("s/", limit=4) == keys[:4]


def test_pagination_past_a_thousand_keys(store: Store) -> None:
    keys = [f"many/{i:05d}" for i in range(1205)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: store.put(k, b"."), keys))
    assert store.list("many/") == keys  # pages of 1,000 joined by start_after
    assert store.list_page("many/", limit=1205) == keys  # one call, server-side continuation
    assert store.list_page("many/", start_after="many/00999", limit=1000) == keys[1000:]
    assert store.list("many/", start_after="many/00100", limit=1001) == keys[101:1102]


# -- keys ------------------------------------------------------------------------------------------

BAD_KEYS = [
    "",
    "/abs",
    "trailing/",
    "a//b",
    "../up",
    "a/../b",
    "a/./b",
    ".",
    "back\\slash",
    "nul\x00",
    "x" * 1001,
]


@pytest.mark.parametrize("key", BAD_KEYS, ids=lambda k: repr(k)[:20])
def test_invalid_keys_are_refused(store: Store, key: str) -> None:
    for call in (
        lambda: store.get(key),
        lambda: store.put(key, b"v"),
        lambda: store.put_if_absent(key, b"v"),
        lambda: store.delete(key),
    ):
        with pytest.raises(InvalidKey):
            call()
    assert isinstance(InvalidKey("x"), ValueError)


# -- transient failures (network adapters) --------------------------------------------------------


def test_transient_5xx_is_retried_then_succeeds(rig: Rig) -> None:
    rig.faults.fail_next(rig.attempts - 1, status=503)
    rig.store.put("retry/ok", b"v")
    assert rig.faults.served == rig.attempts - 1
    assert rig.direct.get("retry/ok") == b"v"


@pytest.mark.parametrize("op", ["put", "put_if_absent", "get", "list", "delete"])
def test_persistent_5xx_gives_up_after_bounded_attempts(rig: Rig, op: str) -> None:
    rig.direct.put("old", b"old value")
    rig.faults.fail_next(50, status=503)
    before = rig.requests_seen()
    calls = {
        "put": lambda: rig.store.put("new", b"new value"),
        "put_if_absent": lambda: rig.store.put_if_absent("new", b"new value"),
        "get": lambda: rig.store.get("old"),
        "list": lambda: rig.store.list(""),
        "delete": lambda: rig.store.delete("old"),
    }
    with pytest.raises(StoreUnavailable):
        calls[op]()
    assert rig.requests_seen() - before == rig.attempts
    rig.faults.clear()
    assert rig.direct.get("new") is None  # nothing half-written
    assert rig.direct.get("old") == b"old value"


def test_overwrite_failing_with_5xx_keeps_old_value(rig: Rig) -> None:
    rig.direct.put("k", b"old value")
    rig.faults.fail_next(50, status=500, code="InternalError")
    with pytest.raises(StoreUnavailable):
        rig.store.put("k", os.urandom(64 * 1024))
    rig.faults.clear()
    assert rig.direct.get("k") == b"old value"


def test_hang_past_timeout_gives_up_in_bounded_time(rig: Rig) -> None:
    rig.faults.hang_next(50, seconds=60)
    with pytest.raises(StoreUnavailable):
        rig.store.put("slow", b"v")
    # Every attempt hit its read timeout while the server still held it: no hang had ended yet,
    # so the client gave up on its own instead of waiting the hang out (an event, not a clock).
    assert rig.faults.hangs_over == 0
    assert rig.faults.served == rig.attempts
    rig.faults.clear()
    assert rig.direct.get("slow") is None


def test_one_hang_is_survived_by_a_retry(rig: Rig) -> None:
    rig.direct.put("k", b"v")
    rig.faults.hang_next(1, seconds=20)
    assert rig.store.get("k") == b"v"
    assert rig.faults.served == 1


def test_lost_answer_to_a_create_still_reports_the_win(rig: Rig) -> None:
    # The first create lands but its answer is lost; the retry then sees "exists".
    # The adapter must notice the stored bytes are its own and report True, not False.
    rig.faults.drop_response_next(1, methods="PUT")
    assert rig.store.put_if_absent("claim", b"mine") is True
    assert rig.faults.served == 1
    assert rig.direct.get("claim") == b"mine"
    assert rig.store.put_if_absent("claim", b"mine") is False  # no retry this time: plain loss


def test_truncated_read_is_retried(rig: Rig) -> None:
    blob = os.urandom(256 * 1024)
    rig.direct.put("blob", blob)
    rig.faults.truncate_next(1, methods="GET")
    assert rig.store.get("blob") == blob
    assert rig.faults.served == 1


def test_truncated_reads_give_up_after_bounded_attempts(rig: Rig) -> None:
    rig.direct.put("blob", os.urandom(256 * 1024))
    rig.faults.truncate_next(50, methods="GET")
    with pytest.raises(StoreUnavailable):
        rig.store.get("blob")
    assert rig.faults.served == rig.attempts
