"""Single flight through real HTTP: identical App requests spread over time make one upstream call.

`bailian-fc dev` serves the apps function and the bundled emulator; the emulator's request
records are the count of upstream calls. Each trial uses a new note (a new cache key) and sends
30 identical requests spread over 0.3 s, so late requests arrive while the first holder is
finishing, releasing or already done: the window where a winner that does not re-read the
cache used to make a second call.
"""

from __future__ import annotations

import re
import threading
import time

import httpx
import pytest
from support import SECRET, running_dev

from bailian_fc.auth import Authenticator

pytestmark = pytest.mark.slow

TRIALS = 12
REQUESTS = 30
SPREAD_SECONDS = 0.3


def emulator_url(banner: str) -> str:
    match = re.search(r"emulator at (http://127\.0\.0\.1:\d+)", banner)
    assert match, banner
    return match.group(1)


def test_identical_requests_spread_over_time_make_one_upstream_call_per_key(tmp_path):
    token = Authenticator(SECRET, "bailian-fc", "bailian-fc").mint("mgr-1", "site-001", "manager")
    with running_dev(tmp_path / "store", CACHE_LEASE_SECONDS="5") as (base, banner, _):
        emu = emulator_url(banner)
        # Upstream answers in ~the time the requests are spread over: late arrivals meet every phase.
        assert httpx.post(f"{emu}/_emulator/default", json={"behaviour": {"latency": 0.1}}).status_code == 200
        statuses: list[int] = []
        uncached: list[int] = []
        with httpx.Client(
            base_url=base,
            timeout=60,
            headers={"Authorization": f"Bearer {token}"},
            limits=httpx.Limits(max_connections=REQUESTS),
        ) as client:
            for trial in range(TRIALS):
                body = {"note": f"试验 {trial}: 王先生下周想带同事团建，要三个包厢。"}
                results: list[httpx.Response] = []
                lock = threading.Lock()

                def one(
                    i: int, body: dict = body, results: list = results, lock: threading.Lock = lock
                ) -> None:
                    time.sleep(i * SPREAD_SECONDS / REQUESTS)
                    response = client.post("/apps/app6_note_analysis", json=body)
                    with lock:
                        results.append(response)

                threads = [threading.Thread(target=one, args=(i,)) for i in range(REQUESTS)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(120)
                statuses += [r.status_code for r in results]
                uncached.append(sum(1 for r in results if r.status_code == 200 and not r.json()["cached"]))
        calls = [
            r
            for r in httpx.get(f"{emu}/_emulator/requests").json()
            if r["app_id"] == "emu-app6_note_analysis"
        ]
    assert statuses == [200] * (TRIALS * REQUESTS)
    assert uncached == [1] * TRIALS, uncached  # one answer per trial came from Bailian ...
    assert len(calls) == TRIALS  # ... and Bailian saw exactly one call per trial
