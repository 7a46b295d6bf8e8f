"""Answers follow the data (issue 25), through the apps function's HTTP handler over the embedded
dataset: live figures with data_as_of, model answers keyed by the data and its source, a lagged
insight only within APP_INSIGHT_MAX_LAG_SECONDS, and no model call without data."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from test_apps_function import AUTH, MANAGER, build, call, env  # noqa: F401 - env is a fixture

from bailian_fc.apps import function as apps_function
from bailian_fc.apps.service import AppsService
from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc.http.fc_event import http_handler
from bailian_fc.venue.finance import FinanceStore
from bailian_fc_tools.emulator import EmulatorThread

APP2 = "emu-app2_finance"
TODAY = {"range": "today"}


class SteppedClock:
    """The cache's wall clock: moves when the test says so, or by the poll interval when code sleeps."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def emu():
    with EmulatorThread() as emulator:
        yield emulator


@pytest.fixture
def world(emu, env, tmp_path):  # noqa: F811 - env is the fixture imported above
    """The runtime, its handler and the cache's injected wall clock."""
    rt = build(emu, tmp_path)
    wall = SteppedClock()
    cache = rt.service.cache
    cache.wall = cache.claims.wall = wall
    cache.sleep = wall.sleep
    apps_function.configure(rt)
    yield rt, http_handler(rt.router(), max_body_bytes=65536), wall
    apps_function.configure(None)
    rt.service.upstream.close()


def post(handler: Any, body: dict[str, Any], key: str = "app2_finance", token: str = MANAGER) -> Any:
    status, answer = call("POST", f"/apps/{key}", body, token=token, handler=handler)
    assert status == 200, answer
    return answer


def bump_today(rt: Any, site_id: str, extra: float, loaded_at: dt.datetime) -> float:
    """An ETL load of today's rows with the first area's table revenue raised: the new revenue."""
    finance = FinanceStore(rt.store)
    today = rt.clock.business_date(site_id)
    rows = finance.read(site_id, today, today, upper_bound=today)
    changed = [rows[0].model_copy(update={"table_revenue": rows[0].table_revenue + int(extra)}), *rows[1:]]
    finance.write_day(site_id, today, changed, loaded_at=loaded_at)
    return float(sum(r.table_revenue + r.goods_revenue for r in changed))


def current_key(rt: Any, key: str, body: dict[str, Any], site_id: str = "site-001") -> str:
    service: AppsService = rt.service
    spec = CATALOGUE[key]
    data = spec.input_model.model_validate(body)
    reading = service.clock.reading(site_id)
    return service.answer_key(spec, data, site_id, reading, service.basis(spec, data, site_id, reading))


def test_identical_data_is_one_upstream_call(world, emu):
    _rt, handler, _ = world
    first, again = post(handler, TODAY), post(handler, TODAY)
    assert first["cached"] is False and again["cached"] is True and again["result"] == first["result"]
    assert len(emu.requests_for(APP2)) == 1


def test_changed_data_shows_live_figures_and_a_lagged_insight_only_within_the_lag(world, emu):
    rt, handler, wall = world
    first = post(handler, TODAY)
    assert first["insight_data_as_of"] == first["data_as_of"] is not None
    later = dt.datetime.fromisoformat(first["data_as_of"]) + dt.timedelta(minutes=15)
    revenue = bump_today(rt, "site-001", 1000, later)

    # Another instance is computing the answer for the new data: this request is not queued behind it.
    computing = rt.service.cache.try_lease(current_key(rt, "app2_finance", TODAY))
    assert computing is not None
    lagged = post(handler, TODAY)
    assert lagged["figures"]["current"]["revenue"] == revenue != first["figures"]["current"]["revenue"]
    assert lagged["data_as_of"] == later.isoformat() > first["data_as_of"]
    assert lagged["insight_data_as_of"] == first["data_as_of"]  # the insight says what it read
    assert lagged["result"] == first["result"] and lagged["cached"] is True and "refresh" not in lagged
    assert len(emu.requests_for(APP2)) == 1

    # Past the lag the older insight is never served: the request waits the holder out and computes.
    wall.now += rt.settings.app_insight_max_lag_seconds + 1
    fresh = post(handler, TODAY)
    assert fresh["insight_data_as_of"] == fresh["data_as_of"] == later.isoformat()
    assert fresh["cached"] is False and len(emu.requests_for(APP2)) == 2
    assert fresh["figures"]["current"]["revenue"] == revenue


def test_without_a_holder_changed_data_is_recomputed_at_once(world, emu):
    rt, handler, _ = world
    first = post(handler, TODAY)
    later = dt.datetime.fromisoformat(first["data_as_of"]) + dt.timedelta(minutes=15)
    bump_today(rt, "site-001", 500, later)
    again = post(handler, TODAY)
    assert again["cached"] is False and again["insight_data_as_of"] == later.isoformat()
    assert len(emu.requests_for(APP2)) == 2


class OtherSource:
    """The same rows behind another data source's identity (a PostgreSQL DWS)."""

    kind = "postgresql"
    url = "postgresql://reader:s3cret@dws.internal:5432/venue?sslmode=verify-full"

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_an_answer_from_another_data_source_is_never_served(world, emu):
    rt, handler, _ = world
    embedded = rt.service
    post(handler, TODAY)
    other = AppsService(
        rt.settings, rt.store, rt.clock, cache=embedded.cache, venue=OtherSource(embedded.venue)
    )
    assert other.source.startswith("postgresql-") and "s3cret" not in other.source
    assert "reader" not in other.source and other.source != embedded.source
    rt.service = other
    # even with its answer's computation in flight, the embedded answer is not shown instead
    spec, data = CATALOGUE["app2_finance"], CATALOGUE["app2_finance"].input_model.model_validate(TODAY)
    reading = other.clock.reading("site-001")
    assert (
        other._earlier(spec, data, "site-001", reading, other.basis(spec, data, "site-001", reading), 0)
        is None
    )
    answer = post(handler, TODAY)
    assert answer["cached"] is False and len(emu.requests_for(APP2)) == 2
    rt.service = embedded
    assert post(handler, TODAY)["cached"] is True and len(emu.requests_for(APP2)) == 2


def test_no_business_day_in_the_range_is_no_data_without_the_model(world, emu):
    _rt, handler, _ = world
    empty_site = AUTH.mint("mgr-9", "site-009", "manager")  # a site with no finance rows at all
    answer = post(handler, TODAY, token=empty_site)
    assert answer["no_data"] is True and answer["result"]["insights"] == []
    assert answer["figures"]["days_with_data"] == 0 and answer["figures"]["current"]["revenue"] == 0
    assert answer["usage"] == {"input_tokens": 0, "output_tokens": 0, "tokens_used": 0}
    digest = post(handler, TODAY, key="app2a_finance_digest", token=empty_site)
    assert digest["no_data"] is True and digest["result"] is None
    assert emu.requests == []  # zero upstream calls, zero tokens


def test_a_customer_without_history_is_no_data_without_the_model(world, emu):
    rt, handler, _ = world
    from bailian_fc.venue.embedded import EmbeddedVenueData
    from bailian_fc.venue.models import Customer, CustomerDetail

    new = Customer(customer_id="cu-001-999", name="新客", registered_date=rt.clock.business_date())
    EmbeddedVenueData(rt.store).write_customer(CustomerDetail(site_id="site-001", customer=new))
    answer = post(handler, {"customer_id": "cu-001-999"}, key="app7_customer_insight")
    assert answer["no_data"] is True and answer["result"] is None
    assert answer["meta"]["visits"] == answer["meta"]["clues"] == 0
    assert emu.requests_for("emu-app7_customer_insight") == []
