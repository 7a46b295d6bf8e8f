"""A new app is one spec in the registry: registered here, in the test, and nowhere else, it is
listed, routed, cached, run-logged, exported to types/ and its cache entries swept by its own windows
(docs/architecture.md, "Adding App9")."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from typing import Any

import pytest
from pydantic import Field
from support import SECRET, fc_call

from bailian_fc.apps import function as apps_function
from bailian_fc.apps.function import AppsFunction
from bailian_fc.auth import Authenticator
from bailian_fc.cache import cache_key
from bailian_fc.catalogue.customer import customer_meta, customer_view
from bailian_fc.catalogue.inputs import CustomerRef
from bailian_fc.catalogue.outputs import Output
from bailian_fc.catalogue.prompts import JSON_ONLY, Prompt, customer_facts
from bailian_fc.catalogue.registry import CATALOGUE, AppSpec
from bailian_fc.jobs.dispatcher import JobRun
from bailian_fc.scheduled.housekeeping import Housekeeping
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore
from bailian_fc_tools.demo.finance import generate
from bailian_fc_tools.emulator import Behaviour, EmulatorThread
from bailian_fc_tools.export import types as export

AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
STAFF = AUTH.mint("staff-1", "site-001", "staff")
CUSTOMER = {"customer_id": "cu-001-001"}  # demo-data's first customer of site-001
WINDOW = 60  # App9's fresh and stale seconds: far shorter than any real app's


class VisitSummary(Output):
    """app9_visit_summary: how a customer's visits went, in one line."""

    summary: str = Field(min_length=1)
    visits: int = Field(ge=0)


def visit_summary(data: CustomerRef, profile: dict[str, Any]) -> Prompt:
    return Prompt(f"总结这位客户的到店情况。\n{customer_facts(profile)}\n{JSON_ONLY}")


APP9 = AppSpec(
    "app9_visit_summary",
    "到店小结",
    "single",
    CustomerRef,
    VisitSummary,
    visit_summary,
    "v1",
    fresh_seconds=WINDOW,
    stale_seconds=WINDOW,
    context=customer_view,
    meta=customer_meta,
)
APP_ID = "emu-app9-under-test"
REPLY = {"summary": "常来，偏爱包厢", "visits": 3}


@pytest.fixture
def app9(monkeypatch):
    """App9 registered the way its registry line would: one more entry in CATALOGUE."""
    monkeypatch.setitem(CATALOGUE, APP9.key, APP9)
    monkeypatch.setenv(APP9.app_id_setting, APP_ID)
    monkeypatch.setenv("BAILIAN_APP_ID_APP7_CUSTOMER_INSIGHT", "emu-app7_customer_insight")
    return APP9


@pytest.fixture
def runtime(app9, tmp_path):
    with EmulatorThread() as emu:
        settings = Settings(
            dashscope_api_key="k",
            dashscope_base_url=emu.base_url,
            store_url=f"file://{tmp_path}/store",
            auth_jwt_secret=SECRET,
            bailian_backoff_base_seconds=0.01,
        )
        store = FileStore(tmp_path / "store")
        rt = AppsFunction.build(settings, store)
        generate(store, sites=1, days=20, end=rt.clock.business_date())
        apps_function.configure(rt)
        rt.emu = emu  # type: ignore[attr-defined]
        yield rt
        apps_function.configure(None)
        rt.service.upstream.close()


def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
    return fc_call(apps_function.handler, method, path, body=body, token=STAFF)


def run_log(store: FileStore, app: str) -> list[dict[str, Any]]:
    records = [store.get_json(key) for key in store.list("runlogs/")]
    return [r for r in records if r["app"] == app]


def present(store: FileStore, key: str) -> bool:
    return store.list(key) == [key]


def test_a_registered_spec_is_listed_routed_cached_and_run_logged(runtime):
    runtime.emu.script(APP_ID, Behaviour(kind="text", text=json.dumps(REPLY, ensure_ascii=False)))

    status, listed = call("GET", "/apps")
    assert status == 200
    assert {"key": APP9.key, "title": "到店小结", "configured": True} | {
        "app_id_setting": "BAILIAN_APP_ID_APP9_VISIT_SUMMARY"
    } == {
        k: v for k, v in listed["apps"][-1].items() if k in ("key", "title", "configured", "app_id_setting")
    }

    first = call("POST", f"/apps/{APP9.key}", CUSTOMER)
    second = call("POST", f"/apps/{APP9.key}", CUSTOMER)
    assert first[0] == second[0] == 200
    assert first[1]["result"] == second[1]["result"] == REPLY
    assert (first[1]["cached"], second[1]["cached"]) == (False, True)
    assert first[1]["meta"]["customer_id"] == "cu-001-001", "its context loader read the customer"
    requests = runtime.emu.requests_for(APP_ID)
    assert len(requests) == 1, "the second call was served from the cache"
    assert "cu-001-001" in requests[0].body["input"]["prompt"]

    assert call("POST", f"/apps/{APP9.key}", {"customer_id": "cu-404"})[0] == 404
    assert call("POST", f"/apps/{APP9.key}", {"note": "x"})[0] == 400, "its input model validates"

    logged = run_log(runtime.store, APP9.key)
    assert sorted(r["cache"] for r in logged if r["status"] == "ok") == ["hit", "miss"]
    assert {r["prompt_version"] for r in logged} == {"v1"}
    assert [r["error_code"] for r in logged if r["status"] != "ok"] == ["CustomerNotFound", "ValidationError"]


def test_a_registered_spec_is_exported_to_the_types(app9):
    schema = export.json_schema()["apps"][APP9.key]
    assert schema["output"]["properties"].keys() == {"summary", "visits"}
    assert schema["input"]["required"] == ["customer_id"]
    ts = export.typescript()
    union = re.search(r"export type AppKey = (.*);", ts)
    assert union and re.findall(r'"(\w+)"', union.group(1))[-1] == APP9.key
    assert "App9VisitSummaryInput" in ts and "App9VisitSummaryOutput" in ts
    assert export.rendered().keys()  # the files `bailian-fc export-types` writes render with it


def test_a_registered_specs_cache_entries_are_swept_by_its_own_windows(runtime):
    runtime.emu.script(APP_ID, Behaviour(kind="text", text=json.dumps(REPLY, ensure_ascii=False)))
    assert call("POST", f"/apps/{APP9.key}", CUSTOMER)[0] == 200
    assert call("POST", "/apps/app7_customer_insight", CUSTOMER)[0] == 200
    reading = runtime.clock.reading("site-001")
    app9_key = cache_key(APP9.key, "v1", "site-001", CUSTOMER, reading)
    app7 = CATALOGUE["app7_customer_insight"]
    app7_key = cache_key(app7.key, app7.prompt_version, "site-001", CUSTOMER, reading)
    assert present(runtime.store, app9_key) and present(runtime.store, app7_key)

    def sweep_at(wall: float) -> None:
        keeper = Housekeeping(runtime.store, runtime.settings, wall=lambda: wall)
        run = JobRun(
            job="cache_housekeeping", slot=datetime.now(timezone.utc), payload={"budget": 1000},
            deadline=time.monotonic() + 60, part=0, resume=None, saver=lambda _: None,
        )  # fmt: skip
        assert keeper(run)["complete"]

    sweep_at(time.time() + WINDOW + 10)  # stale but inside App9's window: an unknown app's would go
    assert present(runtime.store, app9_key), "App9's entry is judged by App9's spec"
    sweep_at(time.time() + 2 * WINDOW + 10)  # past App9's fresh + stale, well inside App7's
    assert not present(runtime.store, app9_key), "App9's entry outlived its own window"
    assert present(runtime.store, app7_key), "App7's entry is judged by App7's window"
