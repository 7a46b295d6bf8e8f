"""An answer belongs to one business day and one clock, through real HTTP on `bailian-fc dev`.

The sandbox clock is walked across the site's day start (07:59:30 → 08:00:30) for App2's
today/yesterday/this_month; then past and future sandboxes are set and cleared for App2 and
App3: no answer computed under one clock (live, or one sandbox) is served under another.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import httpx
from support import SECRET, running_dev

from bailian_fc.auth import Authenticator
from bailian_fc.store import FileStore
from bailian_fc.venue.embedded import EmbeddedVenueData, clue_key
from bailian_fc.venue.models import ClueDetail

AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
SITE = "site-001"
ADMIN = {"Authorization": f"Bearer {AUTH.mint('adm-1', SITE, 'admin')}"}
MANAGER = {"Authorization": f"Bearer {AUTH.mint('mgr-1', SITE, 'manager')}"}
TZ = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai, the dev default (no DST)
CLOCK_WAIT_SECONDS = 30.0  # instances cache a runtime context for 5 s


class Dev:
    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=60)

    def clock(self) -> dict[str, Any]:
        resp = self.http.get("/clock", headers=MANAGER)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def sandbox(self, at: dt.datetime) -> dict[str, Any]:
        """Fix the site's clock at ``at``; return /clock once the apps function sees it."""
        body = {
            "mode": "fixed",
            "fixed_at": at.isoformat(),
            "scope": "site",
            "site_id": SITE,
            "ttl_seconds": 900,
            "reason": "test: business day",
        }
        resp = self.http.put("/admin/runtime-context", headers=ADMIN, json=body)
        assert resp.status_code == 200, resp.text
        return self.wait(lambda c: c["sandbox"] and c["now"] == at.astimezone(dt.timezone.utc).isoformat())

    def clear(self) -> dict[str, Any]:
        resp = self.http.delete(
            "/admin/runtime-context", headers=ADMIN, params={"scope": "site", "site_id": SITE}
        )
        assert resp.status_code in (200, 204), resp.text
        return self.wait(lambda c: not c["sandbox"])

    def wait(self, ok: Any) -> dict[str, Any]:
        deadline = time.monotonic() + CLOCK_WAIT_SECONDS
        while not ok(clock := self.clock()):
            assert time.monotonic() < deadline, f"the apps function never saw the change: {clock}"
            time.sleep(0.25)
        return clock

    def app(self, key: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(f"/apps/{key}", headers=MANAGER, json=body)

    def app2(self, range_: str) -> dict[str, Any]:
        resp = self.app("app2_finance", {"range": range_})
        assert resp.status_code == 200, resp.text
        return resp.json()


def _day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def test_app2_walks_across_the_day_start_and_sandboxes_never_leak(tmp_path: Path) -> None:
    with running_dev(tmp_path / "data") as (base, _banner, _proc):
        dev = Dev(base)
        live_day = _day(dev.clock()["business_date"])
        d = live_day - dt.timedelta(days=2)  # inside the demo data, and not the live day
        ranges = ("today", "yesterday", "this_month")

        # 07:59:30 on D is still business day D-1.
        dev.sandbox(dt.datetime.combine(d, dt.time(7, 59, 30), tzinfo=TZ))
        before = {r: dev.app2(r) for r in ranges}
        for r, answer in before.items():
            assert answer["meta"]["business_date"] == (d - dt.timedelta(days=1)).isoformat(), (r, answer)
            again = dev.app2(r)
            assert again["cached"] is True and again["generated_at"] == answer["generated_at"], r

        # 08:00:30 on D: business day D. Nothing computed for D-1 is served, fresh or not.
        dev.sandbox(dt.datetime.combine(d, dt.time(8, 0, 30), tzinfo=TZ))
        for r in ranges:
            after = dev.app2(r)
            assert after["meta"]["business_date"] == d.isoformat(), (r, after)
            assert after["cached"] is False, f"{r}: served the previous business day's answer"
            assert after["generated_at"] != before[r]["generated_at"]
        today = dev.app2("today")["meta"]["period"]
        assert today["start"] == today["end"] == d.isoformat()
        assert dev.app2("yesterday")["meta"]["period"]["start"] == (d - dt.timedelta(days=1)).isoformat()

        # Cleared: live traffic gets none of the sandbox's answers, and computes its own day.
        dev.clear()
        live = {r: dev.app2(r) for r in ranges}
        for r, answer in live.items():
            assert answer["meta"]["business_date"] == live_day.isoformat() and answer["cached"] is False, r

        # A past sandbox (−30 d) never sees the live answer (computed from later days) ...
        now = dt.datetime.fromisoformat(dev.clock()["now"])
        dev.sandbox((now - dt.timedelta(days=30)).replace(microsecond=0))
        under_past = dev.app2("this_month")
        assert under_past["cached"] is False
        assert _day(under_past["meta"]["business_date"]) < live_day - dt.timedelta(days=28)
        assert _day(under_past["meta"]["period"]["end"]) <= _day(under_past["meta"]["business_date"])
        # ... and, cleared, live traffic is served its own (still fresh) answer, not the sandbox's.
        dev.clear()
        back = dev.app2("this_month")
        assert back["cached"] is True and back["generated_at"] == live["this_month"]["generated_at"]
        assert back["meta"]["business_date"] == live_day.isoformat()

        # The same business day under a sandbox is still another clock: no sharing either way.
        same_day = dev.sandbox(dt.datetime.fromisoformat(dev.clock()["now"]).replace(microsecond=0))
        assert same_day["business_date"] == live_day.isoformat()
        sandboxed = dev.app2("today")
        assert sandboxed["cached"] is False, "a live answer was served under a sandbox"
        dev.clear()
        assert dev.app2("today")["generated_at"] == live["today"]["generated_at"], (
            "a sandbox's answer was served to live traffic"
        )


def _future_clue(store_dir: Path, tomorrow: dt.date) -> str:
    """A copy of one demo clue of the site, dated tomorrow (as an ETL would write it ahead of time)."""
    store = FileStore(str(store_dir))
    source = next(k for k in store.list(f"clues/{SITE}/"))
    detail = ClueDetail.model_validate(store.get_json(source))
    clue = detail.clue.model_copy(update={"clue_id": "cl-001-900", "business_date": tomorrow})
    future = detail.model_copy(update={"clue": clue})
    EmbeddedVenueData(store).write_clue(future)
    assert store.get_json(clue_key(SITE, "cl-001-900")) is not None
    return "cl-001-900"


def test_app3_future_and_past_sandboxes_then_cleared(tmp_path: Path) -> None:
    with running_dev(tmp_path / "data") as (base, _banner, _proc):
        dev = Dev(base)
        clock = dev.clock()
        live_day, now = _day(clock["business_date"]), dt.datetime.fromisoformat(clock["now"])
        clue_id = _future_clue(tmp_path / "data", live_day + dt.timedelta(days=1))

        assert dev.app("app3_clue_detail", {"clue_id": clue_id}).status_code == 404, "tomorrow's clue, live"
        dev.sandbox((now + dt.timedelta(days=1)).replace(microsecond=0))
        ahead = dev.app("app3_clue_detail", {"clue_id": clue_id})
        assert ahead.status_code == 200, ahead.text
        assert ahead.json()["meta"]["business_date"] == (live_day + dt.timedelta(days=1)).isoformat()
        assert dev.app("app3_clue_detail", {"clue_id": clue_id}).json()["cached"] is True

        dev.clear()
        gone = dev.app("app3_clue_detail", {"clue_id": clue_id})
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "ClueNotFound", (
            "the +1 d sandbox's answer stayed visible to live traffic"
        )

        # The newest clue before today: live answers it; a sandbox set before that clue existed must
        # not be served that answer.
        store = FileStore(str(tmp_path / "data"))
        recent = max(
            (ClueDetail.model_validate(store.get_json(k)) for k in store.list(f"clues/{SITE}/")),
            key=lambda c: c.clue.business_date if c.clue.clue_id != clue_id else dt.date.min,
        )
        live = dev.app("app3_clue_detail", {"clue_id": recent.clue.clue_id})
        assert live.status_code == 200, live.text
        dev.sandbox(
            dt.datetime.combine(recent.clue.business_date - dt.timedelta(days=1), dt.time(12), tzinfo=TZ)
        )
        past = dev.app("app3_clue_detail", {"clue_id": recent.clue.clue_id})
        assert past.status_code == 404, f"a live answer was served under a past sandbox: {past.text}"
        dev.clear()
        again = dev.app("app3_clue_detail", {"clue_id": recent.clue.clue_id})
        assert again.status_code == 200 and again.json()["cached"] is True
        assert again.json()["generated_at"] == live.json()["generated_at"]
