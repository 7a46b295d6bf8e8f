"""The claim primitive (bailian_fc.store.claims) on every store adapter: races, expiry, crash recovery.

Expiry is driven by an injectable clock, never by sleeping; races by a barrier of real threads.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bailian_fc.store import FileStore, Store
from bailian_fc.store.claims import Claim, Claims, generation_key


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def race(claims: Claims, base: str, contenders: int, ttl: float | None = 60.0) -> list[Claim]:
    """``contenders`` threads claim ``base`` at once; the claims they won."""
    barrier = threading.Barrier(contenders)

    def attempt(i: int) -> Claim | None:
        barrier.wait()
        return claims.claim(base, ttl=ttl, holder=f"c{i}")

    with ThreadPoolExecutor(contenders) as pool:
        results = list(pool.map(attempt, range(contenders)))
    return [c for c in results if c is not None]


def test_many_concurrent_claimers_have_exactly_one_winner(store: Store) -> None:
    claims = Claims(store)
    for round_ in range(3):
        winners = race(claims, f"race/r{round_}", 12)
        assert len(winners) == 1, winners
        assert claims.current(f"race/r{round_}")["token"] == winners[0].token


def test_many_claimers_taking_over_an_expired_claim_have_exactly_one_winner(store: Store) -> None:
    clock = FakeClock()
    claims = Claims(store, wall=clock)
    for round_ in range(3):
        base = f"takeover/r{round_}"
        orphan = claims.claim(base, ttl=5, holder="crashed")
        assert orphan is not None
        clock.now += 5.001  # the holder never released nor renewed: it was killed
        winners = race(claims, base, 12)
        assert len(winners) == 1, winners
        assert winners[0].generation == 1
        assert store.get(orphan.key) is None  # the winner swept the expired generation


def test_a_claim_blocks_until_it_expires_then_the_next_claimer_takes_over(store: Store) -> None:
    clock = FakeClock()
    claims = Claims(store, wall=clock)
    first = claims.claim("lease/x", ttl=10, holder="a")
    assert first is not None and first.expires_at == clock.now + 10
    clock.now += 9.999
    assert claims.claim("lease/x", ttl=10, holder="b") is None
    assert claims.held("lease/x")
    clock.now += 0.002
    assert not claims.held("lease/x")
    second = claims.claim("lease/x", ttl=10, holder="b")
    assert second is not None and second.holder == "b"
    assert claims.current("lease/x")["holder"] == "b"


def test_release_frees_the_claim_and_never_deletes_someone_elses(store: Store) -> None:
    clock = FakeClock()
    claims = Claims(store, wall=clock)
    first = claims.claim("lease/y", ttl=10)
    assert first is not None
    claims.release(first)
    assert not claims.held("lease/y")
    second = claims.claim("lease/y", ttl=10)
    assert second is not None
    claims.release(first)  # a late release of an old claim whose key was reused
    assert claims.current("lease/y")["token"] == second.token


def test_a_claim_without_ttl_never_expires(store: Store) -> None:
    clock = FakeClock()
    claims = Claims(store, wall=clock)
    assert claims.claim("tomb/z", holder="a", data={"why": "deleted"}) is not None
    clock.now += 10 * 365 * 86400
    assert claims.claim("tomb/z", holder="b") is None
    assert claims.current("tomb/z")["data"] == {"why": "deleted"}


def test_renewal_extends_a_claim_and_fails_once_it_was_taken_over(store: Store) -> None:
    clock = FakeClock()
    claims = Claims(store, wall=clock)
    mine = claims.claim("lease/r", ttl=10)
    assert mine is not None
    clock.now += 8
    renewed = claims.renew(mine, 10)
    assert renewed is not None and renewed.expires_at == clock.now + 10
    clock.now += 8  # past the first expiry, inside the renewed one
    assert claims.claim("lease/r", ttl=10) is None
    clock.now += 3
    taker = claims.claim("lease/r", ttl=10)
    assert taker is not None
    assert claims.renew(renewed, 10) is None  # we were too slow: the claim is the taker's now


def test_keep_alive_renews_while_the_block_runs(store: Store) -> None:
    clock = FakeClock()
    claims = Claims(store, wall=clock)
    mine = claims.claim("lease/k", ttl=10)
    assert mine is not None
    with claims.keep_alive(mine, 10, every=0.01):
        clock.now += 100
        deadline = time.monotonic() + 30  # waits for an event (a renewal), not for a duration
        while claims.current("lease/k") is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert claims.current("lease/k")["expires_at"] > clock.now
    claims.release(mine)
    assert not claims.held("lease/k")


def test_corrupt_or_foreign_records_do_not_block_forever(store: Store) -> None:
    claims = Claims(store)
    store.put("lease/c/00000000.json", b"{not json")
    store.put("lease/c/readme.txt", b"not a generation")
    won = claims.claim("lease/c", ttl=10)
    assert won is not None and won.generation == 1


HOLDER = """
import sys, time
from bailian_fc.store.claims import Claims
from bailian_fc.store import FileStore
claims = Claims(FileStore(sys.argv[1]))
claim = claims.claim("lease/killed", ttl=float(sys.argv[2]), holder="doomed")
assert claim is not None
with claims.keep_alive(claim, float(sys.argv[2])):
    print("held", flush=True)
    time.sleep(600)
"""


def test_a_sigkilled_holder_blocks_only_until_its_claim_expires(tmp_path: Path) -> None:
    """A real process holds and renews a claim, is SIGKILLed, and the next claimer takes over."""
    store = FileStore(tmp_path / "store")
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "store"), "600"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    clock = FakeClock(time.time())
    claims = Claims(store, wall=clock)
    assert claims.claim("lease/killed", ttl=5) is None  # the orphan is still live
    orphan = claims.current("lease/killed")
    assert orphan is not None and orphan["holder"] == "doomed"
    clock.now = float(orphan["expires_at"]) + 0.001
    taker = claims.claim("lease/killed", ttl=5, holder="next")
    assert taker is not None and taker.generation == 1
    assert store.get(generation_key("lease/killed", 0)) is None
