"""What the back office sees of the AI (issue 28): traces with cost, ratings, budgets — over the
functions' HTTP entry points, the real SDK against the emulator, a file store."""

from __future__ import annotations

from typing import Any

import pytest
from support import SECRET, fc_call
from test_apps_function import build

from bailian_fc.admin import function as admin_function
from bailian_fc.admin.function import AdminFunction
from bailian_fc.apps import function as apps_function
from bailian_fc.auth import Authenticator
from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc.runlog.cost import Price, cost_of
from bailian_fc.runlog.mask import mask
from bailian_fc.runlog.trace import bounded_payload
from bailian_fc_tools.emulator import Behaviour, EmulatorThread

AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
STAFF = AUTH.mint("staff-1", "site-001", "staff")
STAFF_2 = AUTH.mint("staff-2", "site-001", "staff")
OTHER = AUTH.mint("staff-9", "site-002", "staff")
ADMIN_1 = AUTH.mint("adm-1", "site-001", "admin")
ADMIN_2 = AUTH.mint("adm-2", "site-002", "admin")
PLATFORM = AUTH.mint("root", "site-001", "admin", platform=True)
APP7 = {"customer_id": "cu-001-001"}
PRICES = {"bailian_price_qwen_plus_input": 0.8, "bailian_price_qwen_plus_output": 2.0}


@pytest.fixture
def world(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Apps and admin functions on one store, prices set for qwen-plus (the emulator's model)."""
    for key in CATALOGUE:
        monkeypatch.setenv(f"BAILIAN_APP_ID_{key.upper()}", f"emu-{key}")
    with EmulatorThread() as emu:
        apps = build(emu, tmp_path, **PRICES)
        admin = AdminFunction.build(apps.settings, apps.store)
        apps_function.configure(apps)
        admin_function.configure(admin)
        yield apps, admin, emu
        apps_function.configure(None)
        admin_function.configure(None)
        apps.service.upstream.close()


def app(path: str, body: Any, token: str = STAFF) -> tuple[int, Any]:
    return fc_call(apps_function.handler, "POST", path, body=body, token=token)


def admin(path: str, token: str = ADMIN_1, query: dict[str, str] | None = None, **kw: Any) -> tuple[int, Any]:
    method = kw.pop("method", "GET")
    return fc_call(admin_function.handler, method, path, token=token, query=query, **kw)


def test_an_app7_call_leaves_a_trace_with_input_output_tokens_cost_and_user(world: Any) -> None:
    _, _, emu = world
    emu.script("emu-app7_customer_insight", Behaviour(input_tokens=1000, output_tokens=500))
    status, answer = app("/apps/app7_customer_insight", APP7)
    assert status == 200, answer
    status, found = admin(f"/admin/runlogs/{answer['request_id']}")
    assert status == 200, found
    record = found["record"]
    assert (
        record["user"] == "staff-1"
        and record["site_id"] == "site-001"
        and record["app"] == "app7_customer_insight"
    )
    assert record["tokens"]["input_tokens"] == 1000 and record["tokens"]["output_tokens"] == 500
    assert record["model"] == "qwen-plus" and record["unpriced_tokens"] == 0
    assert record["cost_cny"] == pytest.approx(1000 * 0.8 / 1000 + 500 * 2.0 / 1000)
    assert record["prompt_version"] == answer["prompt_version"]
    assert found["input"] == APP7 and found["output"]["result"] == answer["result"]
    assert found["ratings"] == [] and found["conversation"] is None


def test_another_sites_admin_gets_404_and_the_platform_admin_sees_it(world: Any) -> None:
    _, answer = app("/apps/app7_customer_insight", APP7)
    status, body = admin(f"/admin/runlogs/{answer['request_id']}", token=ADMIN_2)
    assert status == 404 and body["error"]["code"] == "RunlogNotFound"
    assert admin(f"/admin/runlogs/{answer['request_id']}", token=PLATFORM)[0] == 200
    assert admin("/admin/runlogs/no-such-request")[0] == 404


def test_phone_numbers_in_what_is_kept_are_masked(world: Any) -> None:
    note = "王先生 13812345678 下周想带同事团建，邮箱 wang@example.com。"
    status, answer = app("/apps/app6_note_analysis", {"note": note})
    assert status == 200, answer
    _, found = admin(f"/admin/runlogs/{answer['request_id']}")
    kept = found["input"]["note"]
    assert "13812345678" not in kept and "138****5678" in kept and "w***@example.com" in kept


def test_the_list_finds_a_request_and_a_user(world: Any) -> None:
    _, mine = app("/apps/app7_customer_insight", APP7)
    app("/apps/app6_note_analysis", {"note": "明天下午来看场地"}, token=STAFF_2)
    status, page = admin("/admin/runlogs", query={"request_id": mine["request_id"]})
    assert status == 200 and [i["request_id"] for i in page["items"]] == [mine["request_id"]]
    _, page = admin("/admin/runlogs", query={"user": "staff-2"})
    assert {i["user"] for i in page["items"]} == {"staff-2"} and len(page["items"]) == 1


def test_a_rating_round_trip_to_the_trace_and_the_dashboard(world: Any) -> None:
    _, answer = app("/apps/app7_customer_insight", APP7)
    rid = answer["request_id"]
    status, rated = app("/apps/feedback", {"request_id": rid, "rating": "up"})
    assert status == 200 and rated["replaced"] is False
    status, rated = app("/apps/feedback", {"request_id": rid, "rating": "down", "comment": "不准"})
    assert status == 200 and rated["replaced"] is True
    assert app("/apps/feedback", {"request_id": rid, "rating": "up"}, token=STAFF_2)[0] == 200
    _, found = admin(f"/admin/runlogs/{rid}")
    by_user = {r["user"]: r for r in found["ratings"]}
    assert by_user["staff-1"]["rating"] == "down" and by_user["staff-1"]["comment"] == "不准"
    assert by_user["staff-1"]["revisions"] == 2 and by_user["staff-2"]["rating"] == "up"
    _, page = admin("/admin/runlogs", query={"rating": "down"})
    assert [i["request_id"] for i in page["items"]] == [rid]
    _, dashboard = admin("/admin/dashboard", query={"days": "1"})
    assert dashboard["feedback"]["app7_customer_insight"] == {"up": 1, "down": 1, "down_share": 0.5}


def test_another_sites_answer_cannot_be_rated_and_bad_ratings_are_400(world: Any) -> None:
    _, answer = app("/apps/app7_customer_insight", APP7)
    status, body = app("/apps/feedback", {"request_id": answer["request_id"], "rating": "up"}, token=OTHER)
    assert status == 404 and body["error"]["code"] == "AnswerNotFound"
    for bad in (
        {"request_id": answer["request_id"], "rating": "meh"},
        {"request_id": answer["request_id"], "rating": "up", "comment": "x" * 501},
        {"request_id": answer["request_id"], "rating": "up", "extra": 1},
        {"request_id": "../x", "rating": "up"},
    ):
        assert app("/apps/feedback", bad)[0] == 400, bad


def test_a_tiny_budget_refuses_the_next_uncached_call_and_still_serves_the_cache(world: Any) -> None:
    _, _, emu = world
    emu.default = Behaviour(input_tokens=1000, output_tokens=1000)
    assert app("/apps/app7_customer_insight", APP7)[0] == 200  # ¥2.8, cached now
    status, view = admin(
        "/admin/budgets/site-001", token=PLATFORM, method="PUT", body={"daily_budget_cny": 1}
    )
    assert status == 200 and view["spent_cny"] == pytest.approx(2.8) and view["share"] > 1
    world[0].service.budgets._overrides.clear()  # a warm instance sees the edit within 30 s
    calls = len(emu.requests_for("emu-app6_note_analysis"))
    status, body = app("/apps/app6_note_analysis", {"note": "周六的包厢"})
    assert status == 429 and body["error"]["code"] == "BudgetExceeded", body
    assert len(emu.requests_for("emu-app6_note_analysis")) == calls == 0
    status, cached = app("/apps/app7_customer_insight", APP7)
    assert status == 200 and cached["cached"] is True


def test_a_user_limit_counts_only_upstream_calls(world: Any) -> None:
    admin("/admin/budgets/site-001", token=PLATFORM, method="PUT", body={"user_daily_app_calls": 1})
    assert app("/apps/app7_customer_insight", APP7)[0] == 200
    assert app("/apps/app7_customer_insight", APP7)[0] == 200  # a cache hit does not count
    status, body = app("/apps/app6_note_analysis", {"note": "周六的包厢"})
    assert status == 429 and body["error"]["code"] == "UserLimitExceeded"
    assert app("/apps/app6_note_analysis", {"note": "周六的包厢"}, token=STAFF_2)[0] == 200


def test_a_site_admin_reads_its_budget_but_cannot_change_it(world: Any) -> None:
    status, body = admin("/admin/budgets")
    assert status == 200 and body["budgets"][0]["site_id"] == "site-001"
    assert admin("/admin/budgets/site-001", method="PUT", body={"daily_budget_cny": 99})[0] == 403


def test_mask_keeps_ids_and_masks_personal_fields() -> None:
    value = {"customer_id": "cu-001-001", "phone": "021-5555-1234", "text": "call 13912345678", "n": 3}
    assert mask(value) == {
        "customer_id": "cu-001-001",
        "phone": "********",
        "text": "call 139****5678",
        "n": 3,
    }
    assert mask(["110101199003071234"]) == ["1101************34"]


def test_cost_prices_known_models_and_counts_the_rest_as_unpriced() -> None:
    tokens = {
        "models": {
            "qwen-plus": {"input_tokens": 100, "output_tokens": 50},
            "x-new": {"input_tokens": 7, "output_tokens": 3},
        },
        "tokens_used": 170,
    }
    cost = cost_of(tokens, {"qwen-plus": Price(1.0, 2.0)})
    assert (
        cost.cost_cny == pytest.approx(0.2) and cost.unpriced_tokens == 10 + 10 and cost.model == "qwen-plus"
    )


def test_a_payload_is_cut_to_its_cap() -> None:
    kept = bounded_payload({"q": "a" * 100}, {"answer": "长" * 20_000}, 4096)
    import json

    assert kept["truncated"] is True and len(json.dumps(kept, ensure_ascii=False).encode()) <= 4096
