"""The App2 prewarm on each site's business day, with injected clocks.

* a timer run between midnight and the day start leaves the site waiting (it would fill the
  closing business day); a site whose sandbox is past its day start is prewarmed meanwhile;
* just after the day start it fills today and recomputes yesterday's ranges (the day has closed);
* the seeded schedule follows ``BUSINESS_DAY_START``; an operator's early cron edit is saved and
  answered with a warning (the console shows it: test_console.py covers the page).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
from support import SECRET
from test_admin import ADMIN, Wall, build, call

from bailian_fc.admin import function as admin_function
from bailian_fc.apps.service import AppsService
from bailian_fc.clock import BusinessCalendar, SandboxClock, SandboxContext
from bailian_fc.jobs.day_start import before_day_start, early_fire_warnings
from bailian_fc.jobs.dispatcher import JobRun
from bailian_fc.jobs.seed import default_jobs
from bailian_fc.jobs.store import Job
from bailian_fc.scheduled.app2 import App2Prewarm
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore
from bailian_fc.venue.finance import FinanceStore
from bailian_fc.venue.ranges import RANGES
from bailian_fc_tools.demo.finance import generate
from bailian_fc_tools.emulator import EmulatorThread

TZ = dt.timezone(dt.timedelta(hours=8))
DAY = dt.date(2026, 3, 2)
APP2 = "emu-app2_finance"
CAL = BusinessCalendar("Asia/Shanghai", "08:00")


def local(day: dt.date, hh: int, mm: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=TZ)


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture
def world(tmp_path, monkeypatch):
    with EmulatorThread() as emu:
        monkeypatch.setenv("BAILIAN_APP_ID_APP2_FINANCE", "emu-app2_finance")
        settings = Settings(
            dashscope_api_key="k",
            dashscope_base_url=emu.base_url,
            store_url=f"file://{tmp_path}",
            auth_jwt_secret=SECRET,
            bailian_backoff_base_seconds=0.01,
        )
        store = FileStore(tmp_path)
        generate(store, sites=2, days=40, end=DAY)
        wall = Clock(local(DAY, 7, 30))
        clock = SandboxClock(store, CAL, wall=wall, cache_seconds=0)
        service = AppsService(settings, store, clock)
        yield service, wall, emu
        service.upstream.close()


def tick(service: AppsService, trigger: str = "timer", **payload: Any) -> dict[str, Any]:
    run = JobRun(
        job="app2_prewarm",
        slot=service.clock.wall_now(),
        payload={"apps": ["app2_finance"], **payload},
        deadline=time.monotonic() + 120,
        trigger=trigger,
    )
    return App2Prewarm(service, FinanceStore(service.store), concurrency=4, qps=1000)(run)


def filters(service: AppsService, site: str) -> int:
    return len(RANGES) * (1 + len(FinanceStore(service.store).areas(site)))


def metas(service: AppsService) -> list[dict[str, Any]]:
    """One meta per answer: each is kept under its data's key and as the newest for its input."""
    entries = {
        json.dumps(service.store.get_json(k), sort_keys=True)
        for k in service.store.list("cache/app2_finance/")
    }
    return [json.loads(e)["meta"] for e in sorted(entries)]


def test_a_timer_run_before_day_start_waits_and_fills_nothing(world: Any) -> None:
    service, _wall, emu = world
    summary = tick(service)
    opens = local(DAY, 8, 0).isoformat()
    assert summary["waiting"] == {"site-001": opens, "site-002": opens}
    assert summary["total"] == 0 and summary["computed"] == 0 and summary["outcome"] == "ok"
    assert emu.requests_for(APP2) == [] and metas(service) == []
    # The operator's explicit "run now" does what it is asked, at any hour.
    manual = tick(service, trigger="manual", site_id="site-001")
    assert "waiting" not in manual and manual["computed"] == filters(service, "site-001")


def test_each_site_on_its_own_clock(world: Any) -> None:
    """site-002 under a sandbox already past its day start is prewarmed while site-001 waits."""
    service, wall, _ = world
    service.clock.set_context(
        SandboxContext(
            mode="fixed",
            fixed_at=local(DAY - dt.timedelta(days=5), 9, 0),
            scope="site",
            site_id="site-002",
            expires_at=wall.at + dt.timedelta(hours=2),
            reason="r",
            set_by="a",
            set_at=wall.at,
        ),
        "a",
    )
    summary = tick(service)
    assert set(summary["waiting"]) == {"site-001"} and summary["sites"] == ["site-002"]
    assert summary["computed"] == filters(service, "site-002")
    assert {m["business_date"] for m in metas(service)} == {(DAY - dt.timedelta(days=5)).isoformat()}


def test_after_day_start_today_is_filled_and_yesterday_recomputed(world: Any) -> None:
    service, wall, emu = world
    wall.at = local(DAY - dt.timedelta(days=1), 12, 0)  # business day DAY-1, mid-day
    first = tick(service, site_id="site-001")
    k = filters(service, "site-001")
    assert first["computed"] == k

    wall.at = local(DAY, 8, 5)  # the seeded slot: DAY has started, DAY-1 has closed
    second = tick(service, site_id="site-001")
    assert "waiting" not in second and second["computed"] == k and second["skipped"] == 0, (
        "yesterday's ranges (and every other) are recomputed for the new business day"
    )
    today = [m for m in metas(service) if m["business_date"] == DAY.isoformat()]
    assert len(today) == k
    periods = {(m["period"]["start"], m["period"]["end"]) for m in today}
    assert (DAY.isoformat(), DAY.isoformat()) in periods  # today
    yesterday = (DAY - dt.timedelta(days=1)).isoformat()
    assert (yesterday, yesterday) in periods  # yesterday, now a closed day

    wall.at = local(DAY, 9, 0)
    third = tick(service, site_id="site-001")
    assert third["computed"] == 0 and third["skipped"] == k
    assert len(emu.requests_for(APP2)) == 2 * k


@pytest.mark.parametrize(
    ("day_start", "cron"), [("08:00", "0 5 8 * * *"), ("06:30", "0 35 6 * * *"), ("10:58", "0 3 11 * * *")]
)
def test_the_seed_follows_day_start(day_start: str, cron: str) -> None:
    (prewarm,) = [j for j in default_jobs("Asia/Tokyo", day_start) if j["name"] == "app2_prewarm"]
    assert (prewarm["cron"], prewarm["tz"]) == (cron, "Asia/Tokyo")
    calendar = BusinessCalendar("Asia/Tokyo", day_start)
    job = Job(name="app2_prewarm", cron=prewarm["cron"], tz=prewarm["tz"])
    assert early_fire_warnings(job, calendar, after=dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)) == []


def test_functions_seed_the_settings_day_start(tmp_path: Any) -> None:
    rt = build(tmp_path, Wall(), business_day_start="06:30", business_tz="Asia/Tokyo")
    job = rt.jobs.get("app2_prewarm")
    assert job is not None and (job.cron, job.tz) == ("0 35 6 * * *", "Asia/Tokyo")


def test_before_day_start_is_midnight_to_day_start() -> None:
    assert before_day_start(local(DAY, 0, 0), CAL) and before_day_start(local(DAY, 7, 59), CAL)
    assert not before_day_start(local(DAY, 8, 0), CAL) and not before_day_start(local(DAY, 23, 59), CAL)


@pytest.fixture
def admin_rt(tmp_path):
    runtime = build(tmp_path, Wall())
    admin_function.configure(runtime)
    yield runtime
    admin_function.configure(None)


@pytest.mark.parametrize(
    ("patch", "early"),
    [
        ({"cron": "0 30 7 * * *"}, "07:30"),  # the old seed
        ({"cron": "0 0 2 * * *"}, "02:00"),
        ({"cron": "0 30 23 * * *", "tz": "UTC"}, "07:30"),  # 23:30 UTC is 07:30 in Shanghai
        ({"cron": "0 30 7 * * 1"}, "07:30"),  # early on Mondays only
        ({"cron": "CRON_TZ=Asia/Shanghai 0 59 7 * * *"}, "07:59"),
        ({"cron": "0 10 8 * * *"}, None),
        ({"cron": "0 30 0 * * *", "tz": "UTC"}, None),  # 08:30 in Shanghai
        ({"cron": "0 0 20 * * *"}, None),
    ],
)
def test_an_early_cron_edit_is_saved_with_a_warning(admin_rt: Any, patch: dict[str, str], early: str | None):
    status, body = call("PUT", "/admin/triggers/app2_prewarm", patch, token=ADMIN)
    assert status == 200, body
    assert body["cron"] == patch["cron"], "the edit is saved either way"
    if early is None:
        assert body["warnings"] == []
    else:
        (warning,) = body["warnings"]
        assert (
            f"fires at {early} Asia/Shanghai" in warning and "08:00" in warning and "0 5 8 * * *" in warning
        )
    listed = {j["name"]: j for j in call("GET", "/admin/triggers", token=ADMIN)[1]["jobs"]}
    assert listed["app2_prewarm"]["warnings"] == body["warnings"]


def test_other_jobs_get_no_day_start_warning(admin_rt: Any) -> None:
    status, body = call("PUT", "/admin/triggers/cache_housekeeping", {"cron": "0 0 4 * * *"}, token=ADMIN)
    assert status == 200 and body["warnings"] == []
