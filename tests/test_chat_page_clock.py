"""Chat gets the clock and the page (issue 25): the emulator's recorded request carries the site's
business date and now (a sandbox's under a sandbox) and the page context; an id another site owns
is a 404 before any upstream call or stored turn."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
from support import CHAT_APP_ID, make_settings, parse_frames, serve_app

from bailian_fc.chat.function import create_app
from bailian_fc.clock import BusinessCalendar, SandboxClock, SandboxContext
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore
from bailian_fc_tools.demo.finance import generate


def _store(tmp_path: Any) -> FileStore:
    store = FileStore(tmp_path / "store")
    if not store.list("finance/", limit=1):
        today = BusinessCalendar.from_settings(Settings()).business_date(dt.datetime.now(dt.timezone.utc))
        generate(store, sites=2, days=40, end=today)
    return store


async def _post(base: str, token: str, body: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(timeout=20) as http:
        return await http.post(
            f"{base}/chat/messages",
            content=json.dumps(body),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )


async def test_a_sandbox_clock_reaches_the_model_with_the_page(emulator, tmp_path, auth):
    store = _store(tmp_path)
    wall = dt.datetime.now(dt.timezone.utc)
    past = wall - dt.timedelta(days=20)
    clock = SandboxClock.from_settings(store, Settings())
    clock.set_context(
        SandboxContext(
            mode="fixed",
            fixed_at=past,
            scope="site",
            site_id="site-001",
            expires_at=wall + dt.timedelta(hours=1),
            reason="回放",
            set_by="adm-1",
            set_at=wall,
        ),
        actor="adm-1",
    )
    sandbox_day = clock.business_date("site-001")
    token = auth.mint("user-1", "site-001", "staff")
    async with serve_app(create_app(make_settings(emulator, tmp_path), store=store)) as base:
        resp = await _post(
            base,
            token,
            {
                "message": "本周为什么下滑？",
                "context": {"page": "finance", "range": "this_week", "area": "all"},
            },
        )
    assert parse_frames(resp.content)[-1].event == "done"
    (sent,) = emulator.requests_for(CHAT_APP_ID)
    params = sent.body["input"]["biz_params"]["user_prompt_params"]
    assert (
        params["business_date"] == sandbox_day.isoformat() != clock.calendar.business_date(wall).isoformat()
    )
    assert abs(dt.datetime.fromisoformat(params["now"]) - past) < dt.timedelta(minutes=5)
    assert {k: params[k] for k in ("page", "range", "area", "site_id")} == {
        "page": "finance",
        "range": "this_week",
        "area": "all",
        "site_id": "site-001",
    }


async def test_a_chat_about_another_sites_clue_is_a_404_without_an_upstream_call(emulator, tmp_path, auth):
    store = _store(tmp_path)
    other = auth.mint("user-2", "site-002", "staff")
    async with serve_app(create_app(make_settings(emulator, tmp_path), store=store)) as base:
        clue = await _post(
            base, other, {"message": "?", "context": {"page": "clue", "clue_id": "cl-001-001"}}
        )
        customer = await _post(
            base, other, {"message": "?", "context": {"page": "customer", "customer_id": "cu-001-001"}}
        )
        mixed = await _post(  # its own clue beside another site's customer: still a 404
            base,
            other,
            {
                "message": "?",
                "context": {"page": "clue", "clue_id": "cl-002-001", "customer_id": "cu-001-001"},
            },
        )
        own = await _post(base, other, {"message": "?", "context": {"page": "clue", "clue_id": "cl-002-001"}})
    assert clue.status_code == 404 and clue.json()["error"]["code"] == "ClueNotFound"
    assert customer.status_code == 404 and customer.json()["error"]["code"] == "CustomerNotFound"
    assert mixed.status_code == 404 and mixed.json()["error"]["code"] == "CustomerNotFound"
    assert own.status_code == 200 and len(emulator.requests_for(CHAT_APP_ID)) == 1  # only its own clue
    assert [k for k in store.list("chat/") if "site-002" in k and k.endswith(".json")]  # the one turn


async def test_the_page_context_is_strict(emulator, tmp_path, auth):
    store = _store(tmp_path)
    token = auth.mint("user-1", "site-001", "staff")
    bad = [
        {"page": "board"},  # not a page
        {"page": "clue"},  # a clue page names its clue
        {"page": "clue", "customer_id": "cu-001-001"},  # ... not only its customer
        {"page": "customer", "clue_id": "cl-001-001"},  # a customer page names no clue
        {"page": "chat", "clue_id": "cl-001-001"},  # a clue id belongs to the clue page
        {"page": "finance", "range": "next_year"},
        {"page": "finance", "range": 7},  # no coercion
        {"page": "clue", "clue_id": "../x"},
    ]
    async with serve_app(create_app(make_settings(emulator, tmp_path), store=store)) as base:
        replies = [await _post(base, token, {"message": "?", "context": c}) for c in bad]
        area = await _post(base, token, {"message": "?", "context": {"page": "finance", "area": "火星区"}})
    assert [r.status_code for r in replies] == [400] * len(bad)
    assert area.status_code == 400 and area.json()["error"]["code"] == "UnknownArea"
    assert emulator.requests_for(CHAT_APP_ID) == []
