"""The catalogue: one registry, golden prompts, exported types that cannot drift."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bailian_fc.catalogue import inputs as i
from bailian_fc.catalogue.apps.app3_clue_detail import ClueRef
from bailian_fc.catalogue.apps.app5_tactics import TacticsInput
from bailian_fc.catalogue.apps.app6_note_analysis import NoteInput
from bailian_fc.catalogue.registry import CATALOGUE, app_keys, output_models
from bailian_fc.venue.figures import finance_figures
from bailian_fc.venue.finance import FinanceRow
from bailian_fc.venue.models import ClueDetail, CustomerProfile
from bailian_fc.venue.ranges import resolve_with_previous
from bailian_fc_tools.export import types as export

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"

CUSTOMER = {"customer_id": "cu-88", "name": "王先生", "member_level": "金卡", "tags": ["夜场常客"]}


def finance_view(range_name: str, today: dt.date, area: str = "all") -> dict[str, Any]:
    """App2's prompt view as PromptContext builds it, from a few hand-made rows in both periods."""
    period, previous = resolve_with_previous(range_name, today)

    def row(d: dt.date, name: str, table: str, goods: str, hours: float, orders: int) -> FinanceRow:
        return FinanceRow(
            site_id="site-001",
            business_date=d,
            area=name,
            table_revenue=Decimal(table),
            goods_revenue=Decimal(goods),
            recharge=Decimal("500"),
            consumption=Decimal("300"),
            discount=Decimal("20.5"),
            table_hours=hours,
            orders=orders,
            customers=orders - 2,
        )

    rows = [
        row(period.start, "大厅", "3000.00", "420.00", 80.0, 60),
        row(period.end, "大厅", "3300.50", "380.00", 86.5, 66),
        row(period.end, "包厢区", "2200.00", "610.00", 30.0, 18),
        row(previous.start, "大厅", "2800.00", "400.00", 78.0, 55),
        row(previous.end, "包厢区", "2500.00", "0.00", 32.0, 20),
        row(previous.end, "夜场区", "900.00", "120.00", 12.0, 9),  # closed since: zero this period
    ]
    figures = finance_figures(rows, period, previous, area)
    return {
        "site_id": "site-001",
        "business_date": today.isoformat(),
        "day_start": "08:00",
        "days_with_data": figures.days_with_data,
        "period": period.as_dict(),
        "previous": previous.as_dict(),
        "figures": figures.model_dump(mode="json"),
    }


INSIGHT = {
    "summary": "本周台费增长",
    "insights": [{"title": "台费上升", "detail": "台费环比 +8.8%", "level": "positive"}],
    "suggestions": ["加推夜场套餐"],
}

PROFILE = {
    "business_date": "2026-11-27",
    **CustomerProfile.model_validate(
        {
            "site_id": "site-001",
            "customer": {
                "customer_id": "cu-001-003",
                "name": "李女士",
                "gender": "female",
                "member_level": "银卡",
                "phone_tail": "0421",
                "balance": 380.0,
                "registered_date": "2026-09-02",
            },
            "visits": [
                {
                    "business_date": "2026-11-20",
                    "area": "大厅",
                    "table_type": "中式八球",
                    "duration_hours": 2.5,
                    "spend": 90.0,
                },
                {
                    "business_date": "2026-11-25",
                    "area": "包厢区",
                    "table_type": "中式八球",
                    "duration_hours": 3.0,
                    "spend": 264.0,
                },
            ],
            "purchases": [
                {"business_date": "2026-09-02", "amount": 500.0, "category": "recharge"},
                {"business_date": "2026-11-20", "amount": 90.0, "category": "table"},
                {"business_date": "2026-11-25", "amount": 264.0, "category": "table"},
            ],
            "clues": [
                {
                    "clue": {
                        "clue_id": "cl-001-002",
                        "customer_id": "cu-001-003",
                        "business_date": "2026-11-18",
                        "category": "团建",
                        "content": "下周团建要包厢",
                        "status": "following",
                        "assigned_staff_id": "st-001-2",
                    },
                    "follow_ups": [
                        {
                            "business_date": "2026-11-21",
                            "kind": "follow_up",
                            "channel": "wechat",
                            "staff_id": "st-001-2",
                            "content": "发了包厢价格",
                        },
                    ],
                },
                {
                    "clue": {
                        "clue_id": "cl-001-007",
                        "customer_id": "cu-001-003",
                        "business_date": "2026-11-22",
                        "category": "团建",
                        "content": "团建需要三个包厢",
                        "status": "open",
                        "assigned_staff_id": "st-001-2",
                    },
                    "follow_ups": [
                        {
                            "business_date": "2026-11-24",
                            "kind": "note",
                            "staff_id": "st-001-2",
                            "content": "人数确认 18 人",
                        },
                    ],
                },
            ],
            "staff": [{"staff_id": "st-001-2", "name": "阿杰", "since_date": "2025-10-01"}],
        }
    ).model_dump(mode="json", exclude={"site_id"}),
}

CASES = {
    "app2_finance": (
        i.FinanceFilter(range="last_7_days"),
        finance_view("last_7_days", dt.date(2026, 11, 27)),
    ),
    "app2a_finance_digest": (i.FinanceFilter(range="last_7_days", area="包厢区"), INSIGHT),
    "app3_clue_detail": (
        ClueRef(clue_id="cl-001-007"),
        {
            "business_date": "2026-11-27",
            **ClueDetail.model_validate(
                {
                    "site_id": "site-001",
                    "clue": {
                        "clue_id": "cl-001-007",
                        "customer_id": "cu-001-003",
                        "business_date": "2026-11-18",
                        "category": "教练课",
                        "content": "想报教练课",
                        "status": "following",
                        "assigned_staff_id": "st-001-2",
                    },
                    "customer": {
                        "customer_id": "cu-001-003",
                        "name": "李女士",
                        "gender": "female",
                        "member_level": "银卡",
                        "phone_tail": "0421",
                        "balance": 380.0,
                        "registered_date": "2026-09-02",
                    },
                    "assigned_staff": {"staff_id": "st-001-2", "name": "阿杰", "since_date": "2025-10-01"},
                    "visits": [
                        {
                            "business_date": "2026-11-20",
                            "area": "大厅",
                            "table_type": "中式八球",
                            "duration_hours": 2.5,
                            "spend": 90.0,
                        },
                        {
                            "business_date": "2026-11-25",
                            "area": "包厢区",
                            "table_type": "中式八球",
                            "duration_hours": 3.0,
                            "spend": 264.0,
                        },
                    ],
                    "purchases": [{"business_date": "2026-11-20", "amount": 90.0, "category": "table"}],
                    "follow_ups": [
                        {
                            "business_date": "2026-11-21",
                            "kind": "follow_up",
                            "channel": "wechat",
                            "staff_id": "st-001-2",
                            "content": "发了体验课价格",
                        }
                    ],
                }
            ).model_dump(mode="json", exclude={"site_id"}),
        },
    ),
    "app4_relationship": (i.CustomerRef(customer_id="cu-001-003"), PROFILE),
    "app5_tactics": (
        TacticsInput(customer_id="cu-001-003", goal="邀请参加周末比赛", clue_id="cl-001-002"),
        PROFILE,
    ),
    "app6_note_analysis": (
        NoteInput(note="王先生说下周带公司同事来团建，想要三个包厢，问能不能打折。"),
        None,
    ),
    "app7_customer_insight": (i.CustomerRef(customer_id="cu-001-003"), PROFILE),
    "app8_clue_consolidation": (i.CustomerRef(customer_id="cu-001-003"), PROFILE),
}


def test_registry_is_the_single_source_of_app_types():
    """Every key has one entry, and single-turn entries use the output models the emulator answers with."""
    assert tuple(CATALOGUE) == app_keys()
    for key, model in output_models().items():
        assert CATALOGUE[key].output_model is model and CATALOGUE[key].mode == "single"
    assert CATALOGUE["app1_chat"].mode == "stream"
    assert CATALOGUE["app2_finance"].prompt_version == "v6"
    assert {spec.app_id_setting for spec in CATALOGUE.values()} == {
        f"BAILIAN_APP_ID_{k.upper()}" for k in app_keys()
    }


def test_every_single_turn_app_has_a_golden_case():
    """A new app module's prompt is pinned too: its case here, its file in tests/golden/."""
    assert set(CASES) == {k for k, spec in CATALOGUE.items() if spec.mode == "single"}


@pytest.mark.parametrize("key", list(CASES))
def test_prompt_matches_its_golden_file(key):
    """Prompts are plain templates; any change to the text shows up here (bump the version too)."""
    data, context = CASES[key]
    prompt = CATALOGUE[key].prompt(data, context)
    golden = GOLDEN / f"{key}.txt"
    rendered = prompt.text + (
        "\n--- biz_params ---\n" + json.dumps(prompt.biz_params, ensure_ascii=False, sort_keys=True)
        if prompt.biz_params
        else ""
    )
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(rendered + "\n", encoding="utf-8")
    assert rendered + "\n" == golden.read_text(encoding="utf-8")


MONTH_CASES = {
    # February (28 days) against the whole of January (31): each labelled with its own length.
    "app2_finance.last_month": (i.FinanceFilter(range="last_month"), dt.date(2026, 3, 10)),
    # March 1..31 against February 1..28 (clipped to February's end), one area only.
    "app2_finance.this_month": (i.FinanceFilter(range="this_month", area="大厅"), dt.date(2026, 3, 31)),
}


@pytest.mark.parametrize("name", list(MONTH_CASES))
def test_app2_labels_calendar_comparison_periods_truthfully(name):
    data, today = MONTH_CASES[name]
    view = finance_view(data.range, today, data.area)
    text = CATALOGUE["app2_finance"].prompt(data, view).text
    golden = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == golden.read_text(encoding="utf-8")
    f = view["figures"]
    assert f"{f['period']['start']} 至 {f['period']['end']}，共 {f['period']['days']} 天" in text
    assert (
        f"{f['previous_period']['start']} 至 {f['previous_period']['end']}，共 {f['previous_period']['days']} 天"
        in text
    )
    assert "等长" not in text, "a calendar month is not compared with a period of the same length"


def test_app2_prompt_carries_per_area_changes_and_derived_metrics():
    view = finance_view("last_7_days", dt.date(2026, 11, 27))
    text = CATALOGUE["app2_finance"].prompt(i.FinanceFilter(range="last_7_days"), view).text
    f = view["figures"]
    hall = next(a for a in f["areas"] if a["area"] == "大厅")
    night = next(a for a in f["areas"] if a["area"] == "夜场区")
    assert hall["current"]["revenue"] == 3000 + 420 + 3300.5 + 380
    assert (
        f"营业收入 {hall['current']['revenue']:,.2f} 元（{hall['changes']['revenue']['change_pct']:+.1f}%）"
        in text
    )
    assert night["current"]["orders"] == 0 and night["changes"]["revenue"]["change_pct"] == -100.0
    assert f"客单价（元/单）：{f['current']['avg_order_value']:,.2f}" in text
    assert f"每小时台费（元）：{f['current']['table_revenue_per_hour']:,.2f}" in text


def test_exported_types_match_the_registry():
    """types/ is regenerated from the registry; run `bailian-fc export-types` when this fails."""
    for name, text in export.rendered().items():
        committed = ROOT / "types" / name
        assert committed.exists(), f"types/{name} is missing: run `bailian-fc export-types`"
        assert committed.read_text(encoding="utf-8") == text, (
            f"types/{name} drifted: run `bailian-fc export-types`"
        )


def test_typescript_declares_every_app():
    """The TypeScript union names every app and each app's input and output types."""
    ts = export.typescript()
    for key in CATALOGUE:
        assert (
            f'"{key}"' in ts and f"{export._pascal(key)}Input" in ts and f"{export._pascal(key)}Output" in ts
        )


def test_the_consoles_app_list_is_the_catalogue_and_the_exported_app_key():
    """The console names apps and filters run logs from GET /admin/apps; no page keeps its own list."""
    import re

    from bailian_fc.admin.views import app_titles

    listed = app_titles(None, None)["apps"]  # type: ignore[arg-type]  # reads only the catalogue
    assert [(a["key"], a["title"]) for a in listed] == [(k, s.title) for k, s in CATALOGUE.items()]
    union = re.search(r"export type AppKey = (.*);", (ROOT / "types" / "bailian-apps.d.ts").read_text())
    assert union and re.findall(r'"(\w+)"', union.group(1)) == [a["key"] for a in listed]
    ui = ROOT / "shared" / "bailian_fc" / "admin" / "ui"
    for path in ui.rglob("*.js"):
        if path.relative_to(ui).parts[0] == "client":
            continue  # the shared JS client (clients/js) is generic over keys
        text = path.read_text(encoding="utf-8")
        for key in CATALOGUE:
            assert not re.search(rf"['\"`]{key}['\"`]|\b{key}\s*:", text), f"{path.name} hard-codes {key}"
