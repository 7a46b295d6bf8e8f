"""App2's answer carries its figures: computed from the venue rows (never by the model), the same
in a cached answer, per area, and the numbers the prompt was built from."""

from __future__ import annotations

from typing import Any

import pytest
from test_apps_function import MANAGER, build, call

from bailian_fc.apps import function as apps_function
from bailian_fc.apps.replies import app_answer
from bailian_fc.catalogue.apps.app2_finance import FinanceInsight
from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc.venue.figures import FinanceFigures, finance_figures
from bailian_fc.venue.ranges import resolve_with_previous
from bailian_fc_tools.emulator import EmulatorThread


@pytest.fixture
def apps(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    for key in CATALOGUE:
        monkeypatch.setenv(f"BAILIAN_APP_ID_{key.upper()}", f"emu-{key}")
    with EmulatorThread() as emu:
        rt = build(emu, tmp_path)
        apps_function.configure(rt)
        yield rt, emu
        apps_function.configure(None)
        rt.service.upstream.close()


@pytest.mark.parametrize("range_name", ["last_7_days", "last_month", "this_month"])
def test_app2_answer_carries_the_figures_of_the_rows(apps: Any, range_name: str) -> None:
    rt, emu = apps
    status, answer = call("POST", "/apps/app2_finance", {"range": range_name}, token=MANAGER)
    assert status == 200, answer
    app_answer("app2_finance", FinanceInsight).model_validate(answer)  # the documented, typed shape
    today = rt.clock.business_date("site-001")
    period, previous = resolve_with_previous(range_name, today)
    rows = rt.service.venue.read("site-001", min(period.start, previous.start), period.end, upper_bound=today)
    expected = finance_figures(rows, period, previous).model_dump(mode="json")
    assert answer["figures"] == expected
    figures = FinanceFigures.model_validate(answer["figures"])
    assert figures.current.revenue == round(
        sum(float(r.table_revenue + r.goods_revenue) for r in rows if r.business_date >= period.start), 2
    )
    assert {a.area for a in figures.areas} == {r.area for r in rows}
    assert "figures" not in answer["meta"]
    prompt = emu.requests_for("emu-app2_finance")[0].body["input"]["prompt"]
    assert f"{figures.current.revenue:,.2f}" in prompt
    for area in figures.areas:
        assert f"- {area.area}：营业收入 {area.current.revenue:,.2f} 元" in prompt
    _, again = call("POST", "/apps/app2_finance", {"range": range_name}, token=MANAGER)
    assert again["cached"] is True and again["figures"] == answer["figures"]


def test_other_apps_carry_no_figures(apps: Any) -> None:
    status, answer = call("POST", "/apps/app6_note_analysis", {"note": "想订包厢"}, token=MANAGER)
    assert status == 200 and "figures" not in answer


def test_single_area_figures(apps: Any) -> None:
    rt, _ = apps
    area = rt.service.venue.areas("site-001", upper_bound=rt.clock.business_date("site-001"))[0]
    status, answer = call("POST", "/apps/app2_finance", {"range": "last_7_days", "area": area}, token=MANAGER)
    assert status == 200 and answer["figures"]["area"] == area
    assert [a["area"] for a in answer["figures"]["areas"]] == [area]
    assert answer["figures"]["current"] == answer["figures"]["areas"][0]["current"]
