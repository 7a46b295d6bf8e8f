"""An answer belongs to one business day and one clock, in process with an injected wall clock.

The live clock (no sandbox: the context tag stays ``live``) walks across the day start, so these
prove the business date alone splits the cache; the per-instance finance memo follows the same
rule for the date and for the clock. The same walk through HTTP is in test_business_day_http.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from support import SECRET

from bailian_fc.apps.service import AppsService
from bailian_fc.auth import Authenticator
from bailian_fc.cache import cache_key
from bailian_fc.catalogue.inputs import FinanceFilter
from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc.clock import LIVE, BusinessCalendar, Reading, SandboxClock, SandboxContext, context_tag
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore
from bailian_fc_tools.demo.finance import generate
from bailian_fc_tools.emulator import EmulatorThread

AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
MANAGER = AUTH.authenticate(f"Bearer {AUTH.mint('mgr-1', 'site-001', 'manager')}")
TZ = dt.timezone(dt.timedelta(hours=8))
DAY = dt.date(2026, 3, 2)


class Wall:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture
def emu():
    with EmulatorThread() as emulator:
        yield emulator


@pytest.fixture
def world(emu, tmp_path, monkeypatch):
    monkeypatch.setenv("BAILIAN_APP_ID_APP2_FINANCE", "emu-app2_finance")
    settings = Settings(
        dashscope_api_key="k",
        dashscope_base_url=emu.base_url,
        store_url=f"file://{tmp_path}/store",
        auth_jwt_secret=SECRET,
        bailian_backoff_base_seconds=0.01,
    )
    store = FileStore(tmp_path / "store")
    generate(store, sites=1, days=70, end=DAY)
    wall = Wall(dt.datetime.combine(DAY, dt.time(7, 59, 30), tzinfo=TZ))
    clock = SandboxClock(store, BusinessCalendar("Asia/Shanghai", "08:00"), wall=wall, cache_seconds=0)
    service = AppsService(settings, store, clock)
    yield service, wall, emu
    service.upstream.close()


@pytest.mark.parametrize("range_", ["today", "yesterday", "this_month"])
def test_the_live_clock_across_day_start_is_a_new_answer(world: Any, range_: str) -> None:
    service, wall, emu = world
    first = service.run(MANAGER, "app2_finance", {"range": range_})
    assert first["meta"]["business_date"] == (DAY - dt.timedelta(days=1)).isoformat()
    assert service.run(MANAGER, "app2_finance", {"range": range_})["cached"] is True
    asked = len(emu.requests_for("emu-app2_finance"))

    wall.at = dt.datetime.combine(DAY, dt.time(8, 0, 30), tzinfo=TZ)  # 60 s later: the next business day
    second = service.run(MANAGER, "app2_finance", {"range": range_})
    assert second["cached"] is False and second["meta"]["business_date"] == DAY.isoformat()
    assert len(emu.requests_for("emu-app2_finance")) == asked + 1
    assert service.is_fresh(CATALOGUE["app2_finance"], FinanceFilter(range=range_), "site-001")


def test_keys_differ_by_business_date_and_by_clock() -> None:
    now = dt.datetime(2026, 3, 2, 4, tzinfo=dt.timezone.utc)
    live = Reading("s", now, DAY, LIVE)
    keys = {
        cache_key("app2_finance", "v1", "s", {"range": "today"}, r)
        for r in (
            live,
            Reading("s", now, DAY + dt.timedelta(days=1), LIVE),
            Reading("s", now, DAY, "sbx-a"),
            Reading("s", now, DAY, "sbx-b"),
        )
    }
    assert len(keys) == 4
    assert cache_key("app2_finance", "v1", "s", {"range": "today"}, live).split("/")[3:6] == [
        "s",
        DAY.isoformat(),
        LIVE,
    ]


def test_a_sandbox_set_again_is_another_clock() -> None:
    """Identity and version: re-setting the same instant (a new ``set_at``) is a new tag."""
    base = {
        "mode": "fixed",
        "fixed_at": "2026-03-02T08:00:30+08:00",
        "scope": "site",
        "site_id": "site-001",
        "expires_at": "2026-03-03T00:00:00+00:00",
        "reason": "r",
        "set_by": "a",
    }
    one = SandboxContext.model_validate({**base, "set_at": "2026-03-01T00:00:00+00:00"})
    two = SandboxContext.model_validate({**base, "set_at": "2026-03-01T00:00:01+00:00"})
    other_site = SandboxContext.model_validate(
        {**base, "site_id": "site-002", "set_at": "2026-03-01T00:00:00+00:00"}
    )
    tags = {context_tag(None), context_tag(one), context_tag(two), context_tag(other_site)}
    assert len(tags) == 4 and context_tag(None) == LIVE
    assert context_tag(one) == context_tag(SandboxContext.model_validate(one.model_dump(mode="json")))


def test_the_finance_memo_is_keyed_by_business_date_and_clock(world: Any) -> None:
    """One memo hit per (range, day, clock): a sandbox on the same business day reads its own rows,
    clearing it goes back to the live rows, and the day start is a new read."""
    service, wall, _ = world
    service.context.memo_seconds = service.context.PREWARM_MEMO_SECONDS  # the prewarm's memo
    reads: list[tuple[str, dt.date]] = []
    real_read = service.venue.read

    def counted(site_id: str, start: dt.date, end: dt.date, *, upper_bound: dt.date) -> list[Any]:
        reads.append((site_id, upper_bound))
        return real_read(site_id, start, end, upper_bound=upper_bound)

    service.venue.read = counted  # type: ignore[method-assign]

    def view(data: FinanceFilter, site_id: str) -> Any:
        return service.context.load(CATALOGUE["app2_finance"], data, site_id)

    data = FinanceFilter(range="last_7_days")
    view(data, "site-001")
    view(data, "site-001")
    assert len(reads) == 1, "the memo serves the same day and clock"

    ctx = SandboxContext(
        mode="offset",
        offset_seconds=0.0,
        scope="site",
        site_id="site-001",
        expires_at=wall.at + dt.timedelta(hours=1),
        reason="r",
        set_by="a",
        set_at=wall.at,
    )
    service.clock.set_context(ctx, "a")
    assert service.clock.business_date("site-001") == DAY - dt.timedelta(days=1)  # the same day ...
    view(data, "site-001")
    assert len(reads) == 2, "... under a sandbox is another clock: live rows are not reused"
    service.clock.clear_context("site", "site-001", "a")
    view(data, "site-001")
    assert len(reads) == 2, "live again: the live rows are still the live day's"

    wall.at = dt.datetime.combine(DAY, dt.time(8, 0, 30), tzinfo=TZ)
    view(data, "site-001")
    assert reads[-1] == ("site-001", DAY) and len(reads) == 3
