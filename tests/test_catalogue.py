"""The catalogue: one registry, golden prompts, exported types that cannot drift."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bailian_fc.catalogue import inputs as i
from bailian_fc.catalogue.outputs import APP_KEYS, OUTPUT_MODELS
from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc.dev import export_types as export
from bailian_fc.venue.models import ClueDetail

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"

CUSTOMER = {"customer_id": "cu-88", "name": "王先生", "member_level": "金卡", "tags": ["夜场常客"]}
FINANCE_VIEW = {
    "site_id": "site-001",
    "day_start": "08:00",
    "days_with_data": 7,
    "period": {"start": "2026-11-21", "end": "2026-11-27"},
    "previous": {"start": "2026-11-14", "end": "2026-11-20"},
    "current": {
        "table_revenue": 52340.5,
        "goods_revenue": 8120.0,
        "recharge": 30000.0,
        "consumption": 21000.0,
        "discount": 3100.0,
        "table_hours": 1320.5,
        "orders": 912,
        "customers": 640,
    },
    "previous_totals": {
        "table_revenue": 48100.0,
        "goods_revenue": 8400.0,
        "recharge": 22000.0,
        "consumption": 19800.0,
        "discount": 2900.0,
        "table_hours": 1250.0,
        "orders": 870,
        "customers": 602,
    },
    "changes": {
        "table_revenue": {"delta": 4240.5, "pct": 8.8},
        "goods_revenue": {"delta": -280.0, "pct": -3.3},
        "recharge": {"delta": 8000.0, "pct": 36.4},
        "consumption": {"delta": 1200.0, "pct": 6.1},
        "discount": {"delta": 200.0, "pct": 6.9},
        "table_hours": {"delta": 70.5, "pct": 5.6},
        "orders": {"delta": 42, "pct": 4.8},
        "customers": {"delta": 38, "pct": None},
    },
    "areas": {
        "大厅": {"table_revenue": 30000.0, "table_hours": 800.0},
        "包厢区": {"table_revenue": 22340.5, "table_hours": 520.5},
    },
}
INSIGHT = {
    "summary": "本周台费增长",
    "insights": [{"title": "台费上升", "detail": "台费环比 +8.8%", "level": "positive"}],
    "suggestions": ["加推夜场套餐"],
}

CASES = {
    "app2_finance": (i.FinanceFilter(range="last_7_days"), FINANCE_VIEW),
    "app2a_finance_digest": (i.FinanceFilter(range="last_7_days", area="包厢区"), INSIGHT),
    "app3_clue_detail": (
        i.ClueRef(clue_id="cl-001-007"),
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
    "app4_relationship": (
        i.RelationshipInput.model_validate(
            {
                "customer": CUSTOMER,
                "interactions": [
                    {"at": "2026-11-25", "channel": "wechat", "summary": "询问包厢"},
                    {"at": "2026-11-01", "summary": "办卡"},
                ],
            }
        ),
        None,
    ),
    "app5_tactics": (i.TacticsInput.model_validate({"customer": CUSTOMER, "goal": "邀请参加周末比赛"}), None),
    "app6_note_analysis": (
        i.NoteInput(note="王先生说下周带公司同事来团建，想要三个包厢，问能不能打折。"),
        None,
    ),
    "app7_customer_insight": (
        i.ConsumptionInput.model_validate(
            {
                "customer_id": "cu-88",
                "member_since": "2025-03-01",
                "balance": 320.0,
                "purchases": [
                    {"date": "2026-10-02", "amount": 120, "category": "table"},
                    {"date": "2026-09-12", "amount": 500, "category": "recharge"},
                ],
            }
        ),
        None,
    ),
    "app8_clue_consolidation": (
        i.LeadsInput.model_validate(
            {
                "customer_id": "cu-88",
                "leads": [
                    {
                        "lead_id": "a",
                        "category": "团建",
                        "content": "下周团建要包厢",
                        "created_at": "2026-11-20",
                    },
                    {
                        "lead_id": "b",
                        "category": "团建",
                        "content": "团建需要三个包厢",
                        "created_at": "2026-11-22",
                    },
                ],
            }
        ),
        None,
    ),
}


def test_registry_is_the_single_source_of_app_types():
    """Every key has one entry, and single-turn entries use the output models the emulator answers with."""
    assert tuple(CATALOGUE) == APP_KEYS
    for key, model in OUTPUT_MODELS.items():
        assert CATALOGUE[key].output_model is model and CATALOGUE[key].mode == "single"
    assert CATALOGUE["app1_chat"].mode == "stream"
    assert CATALOGUE["app2_finance"].prompt_version == "v5.1"
    assert {spec.app_id_setting for spec in CATALOGUE.values()} == {
        f"BAILIAN_APP_ID_{k.upper()}" for k in APP_KEYS
    }


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

    listed = app_titles(None, None, None)["apps"]  # type: ignore[arg-type]  # reads only the catalogue
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
