"""The pickers' lists on the apps function (embedded dataset): site-scoped, bounded by the business
date, paged by an opaque cursor, filtered, and a 400 for any bad parameter."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_apps_function import OTHER_SITE, STAFF, build, call

from bailian_fc.apps import function as apps_function
from bailian_fc.clock import SandboxContext
from bailian_fc_tools.demo.venue import site_clues
from bailian_fc_tools.emulator import EmulatorThread

pytestmark = pytest.mark.usefixtures("runtime")


@pytest.fixture
def runtime(tmp_path: Any) -> Any:
    """The apps function on a file store with demo-data's two sites (the lists never ask Bailian)."""
    with EmulatorThread() as emu:
        rt = build(emu, tmp_path)
        apps_function.configure(rt)
        yield rt
        apps_function.configure(None)
        rt.service.upstream.close()


def all_pages(path: str, query: dict[str, str], token: str = STAFF) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        status, page = call(
            "GET", path, token=token, query={**query, **({"cursor": cursor} if cursor else {})}
        )
        assert status == 200, page
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the cursor never ended")


def demo(runtime: Any, site: str = "site-001") -> list[Any]:
    today = runtime.clock.business_date(site)
    return site_clues(site, end=today, days=70)


def test_areas_are_the_sites_latest_areas(runtime: Any) -> None:
    status, body = call("GET", "/apps/areas", token=STAFF)
    today = runtime.clock.business_date("site-001")
    assert status == 200 and body["business_date"] == today.isoformat() and body["site_id"] == "site-001"
    assert body["areas"] == runtime.service.venue.areas("site-001", upper_bound=today) and body["areas"]


def test_clue_pages_walk_every_clue_of_the_site_once_in_id_order(runtime: Any) -> None:
    expected = sorted(d.clue.clue_id for d in demo(runtime))
    walked = all_pages("/apps/clues", {"limit": "5"})
    assert [c["clue_id"] for c in walked] == expected
    other = all_pages("/apps/clues", {"limit": "100"}, token=OTHER_SITE)
    assert other and all(c["clue_id"].startswith("cl-002-") for c in other), "only the token's site"


def test_clue_filters_match_status_and_text(runtime: Any) -> None:
    details = demo(runtime)
    for status in ("open", "following", "won"):
        got = [c["clue_id"] for c in all_pages("/apps/clues", {"status": status, "limit": "3"})]
        assert got == sorted(d.clue.clue_id for d in details if d.clue.status == status)
    name = details[0].customer.name
    got = all_pages("/apps/clues", {"q": name})
    assert got and {c["customer_name"] for c in got} == {name}
    assert {c["clue_id"] for c in got} == {d.clue.clue_id for d in details if d.customer.name == name}


def test_customers_search_by_name_or_phone_suffix(runtime: Any) -> None:
    customers = {d.customer.customer_id: d.customer for d in demo(runtime)}
    walked = all_pages("/apps/customers", {"limit": "4"})
    assert [c["customer_id"] for c in walked] == sorted(customers)
    one = next(iter(customers.values()))
    tail = one.phone_tail[-3:]
    got = {c["customer_id"] for c in all_pages("/apps/customers", {"q": tail})}
    assert one.customer_id in got
    assert got == {k for k, c in customers.items() if tail in c.name or c.phone_tail.endswith(tail)}


def test_a_sandbox_clock_in_the_past_hides_later_clues_and_customers(runtime: Any) -> None:
    sample = demo(runtime)  # as written, up to the live business date
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40)
    now = dt.datetime.now(dt.timezone.utc)
    runtime.clock.set_context(
        SandboxContext(
            mode="fixed",
            fixed_at=past,
            scope="site",
            site_id="site-001",
            expires_at=now + dt.timedelta(hours=1),
            reason="回放",
            set_by="adm-1",
            set_at=now,
        ),
        actor="adm-1",
    )
    day = runtime.clock.business_date("site-001")
    clues = all_pages("/apps/clues", {})
    customers = all_pages("/apps/customers", {})
    assert all(c["business_date"] <= day.isoformat() for c in clues)
    assert all(c["registered_date"] <= day.isoformat() for c in customers)
    later = [d for d in sample if d.clue.business_date > day]
    assert later, "the demo sample has clues after the sandbox day"
    assert not {d.clue.clue_id for d in later} & {c["clue_id"] for c in clues}


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/apps/clues", {"limit": "0"}),
        ("/apps/clues", {"limit": "101"}),
        ("/apps/clues", {"limit": "ten"}),
        ("/apps/clues", {"status": "closed"}),
        ("/apps/clues", {"cursor": "not-ours"}),
        ("/apps/clues", {"q": "x" * 65}),
        ("/apps/customers", {"q": "a\x00b"}),
        ("/apps/customers", {"cursor": "djE6Li4vLi4"}),  # "v1:../.." base64: not an id
    ],
)
def test_bad_parameters_are_a_400_naming_the_field(path: str, query: dict[str, str]) -> None:
    status, body = call("GET", path, token=STAFF, query=query)
    assert status == 400 and body["error"]["code"] == "ValidationError", body
    assert body["error"]["details"][0]["field"] == next(iter(query))


def test_lists_need_a_token() -> None:
    assert call("GET", "/apps/clues", token=None)[0] == 401


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.dictionaries(st.sampled_from(["q", "cursor", "limit", "status"]), st.text(max_size=80)))
def test_no_query_is_a_5xx(query: dict[str, str]) -> None:
    for path in ("/apps/clues", "/apps/customers"):
        status, _ = call("GET", path, token=STAFF, query=query)
        assert status in (200, 400), (path, query, status)


def test_s_yaml_sends_the_list_paths_to_the_apps_function() -> None:
    """``bailian-fc dev`` and the deployed custom domain route by s.yaml: the first match wins."""
    from pathlib import Path

    from bailian_fc_tools.builder.manifest import load_manifest, route_matches

    manifest = load_manifest(Path(__file__).parents[1] / "s.yaml", strict=False)
    for path in ("/apps/areas", "/apps/clues", "/apps/customers"):
        owner = next(res for pattern, res in manifest.routes if route_matches(pattern, path))
        assert owner == "apps", path
