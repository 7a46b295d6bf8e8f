"""App4, App5, App7 and App8 take an id and load the customer from the venue data: the prompt holds
what the store holds (as of the business date), and an id the site lacks is a 404 before any
upstream call."""

from __future__ import annotations

from typing import Any

import pytest
from test_apps_function import MANAGER, OTHER_SITE, STAFF, build, call

from bailian_fc.apps import function as apps_function
from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc_tools.emulator import EmulatorThread

BY_ID = {
    "app4_relationship": {},
    "app5_tactics": {"goal": "邀请参加周末比赛"},
    "app7_customer_insight": {},
    "app8_clue_consolidation": {},
}


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


@pytest.mark.parametrize("key", list(BY_ID))
def test_the_prompt_is_built_from_the_customer_the_store_holds(apps: Any, key: str) -> None:
    rt, emu = apps
    today = rt.clock.business_date("site-001")
    profile = rt.service.venue.customer_profile("site-001", "cu-001-002", upper_bound=today)
    assert profile is not None and profile.clues and profile.visits
    status, answer = call("POST", f"/apps/{key}", {"customer_id": "cu-001-002", **BY_ID[key]}, token=STAFF)
    assert status == 200, answer
    assert answer["prompt_version"] == "v2" and answer["meta"]["customer_id"] == "cu-001-002"
    assert answer["meta"]["clues"] == len(profile.clues) and answer["meta"]["visits"] == len(profile.visits)
    prompt = emu.requests_for(f"emu-{key}")[0].body["input"]["prompt"]
    assert profile.customer.name in prompt and f"截至营业日 {today.isoformat()}" in prompt
    if key == "app7_customer_insight":
        assert all(f'"amount": {p.amount}' in prompt for p in profile.purchases)
    if key in ("app8_clue_consolidation", "app4_relationship"):
        assert all(r.clue.content in prompt for r in profile.clues)
        assert all(f.content in prompt for r in profile.clues for f in r.follow_ups)
    if key == "app4_relationship":
        assert all(s.name in prompt for s in profile.staff)


@pytest.mark.parametrize("key", list(BY_ID))
@pytest.mark.parametrize(
    ("customer_id", "token"),
    [("cu-404", MANAGER), ("cu-001-001", OTHER_SITE)],  # missing; another site's customer
)
def test_an_id_the_site_lacks_is_a_404_before_any_upstream_call(
    apps: Any, key: str, customer_id: str, token: str
) -> None:
    _, emu = apps
    status, body = call("POST", f"/apps/{key}", {"customer_id": customer_id, **BY_ID[key]}, token=token)
    assert status == 404 and body["error"]["code"] == "CustomerNotFound", body
    assert emu.requests_for(f"emu-{key}") == []


def test_app5_clue_must_be_one_of_the_customers(apps: Any) -> None:
    rt, emu = apps
    today = rt.clock.business_date("site-001")
    mine = rt.service.venue.customer_profile("site-001", "cu-001-002", upper_bound=today)
    other = rt.service.venue.customer_profile("site-001", "cu-001-003", upper_bound=today)
    assert mine and other and other.clues
    body = {"customer_id": "cu-001-002", "goal": "回访", "clue_id": other.clues[0].clue.clue_id}
    status, answer = call("POST", "/apps/app5_tactics", body, token=STAFF)
    assert status == 404 and answer["error"]["code"] == "ClueNotFound"
    assert emu.requests_for("emu-app5_tactics") == []
    focus = mine.clues[0].clue
    status, answer = call("POST", "/apps/app5_tactics", {**body, "clue_id": focus.clue_id}, token=STAFF)
    assert status == 200, answer
    assert focus.content in emu.requests_for("emu-app5_tactics")[0].body["input"]["prompt"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"customer_id": ""},
        {"customer_id": "../cu-001-001"},
        {"customer_id": "cu-001-001", "purchases": []},  # the old client-supplied shape: refused
    ],
)
def test_a_bad_id_is_a_400(apps: Any, body: dict[str, Any]) -> None:
    status, answer = call("POST", "/apps/app7_customer_insight", body, token=STAFF)
    assert status == 400 and answer["error"]["code"] == "ValidationError", answer
