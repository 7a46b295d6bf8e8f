"""The apps function end to end: FC HTTP events in, the emulator behind the real SDK, a file store."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import SECRET, fc_call

from bailian_fc.apps import function as apps_function
from bailian_fc.apps.function import AppsFunction
from bailian_fc.auth import Authenticator
from bailian_fc.catalogue.registry import CATALOGUE, output_models, single_turn
from bailian_fc.clock import SandboxContext
from bailian_fc.http.fc_event import http_handler
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore
from bailian_fc_tools.demo.finance import generate
from bailian_fc_tools.emulator import Behaviour, EmulatorThread
from bailian_fc_tools.local.fc_context import fake_context

AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
MANAGER = AUTH.mint("mgr-1", "site-001", "manager")
STAFF = AUTH.mint("staff-1", "site-001", "staff")
ADMIN = AUTH.mint("adm-1", "site-001", "admin")
OTHER_SITE = AUTH.mint("mgr-2", "site-002", "manager")

INPUTS: dict[str, dict[str, Any]] = {
    "app2_finance": {"range": "last_7_days"},
    "app2a_finance_digest": {"range": "last_7_days"},
    "app3_clue_detail": {"clue_id": "cl-001-001"},  # demo-data's first clue of site-001
    "app4_relationship": {"customer_id": "cu-001-001"},  # demo-data's first customer of site-001
    "app5_tactics": {"customer_id": "cu-001-001", "goal": "邀请参加周末比赛"},
    "app6_note_analysis": {"note": "王先生下周想带同事团建，要三个包厢。"},
    "app7_customer_insight": {"customer_id": "cu-001-001"},
    "app8_clue_consolidation": {"customer_id": "cu-001-001"},
}


@pytest.fixture
def emu():
    with EmulatorThread() as emulator:
        yield emulator


@pytest.fixture
def env(monkeypatch):
    for key in CATALOGUE:
        monkeypatch.setenv(f"BAILIAN_APP_ID_{key.upper()}", f"emu-{key}")


def build(emu, tmp_path, **overrides: Any) -> AppsFunction:
    values: dict[str, Any] = {
        "dashscope_api_key": "k",
        "dashscope_base_url": emu.base_url,
        "store_url": f"file://{tmp_path}/store",
        "auth_jwt_secret": SECRET,
        "bailian_backoff_base_seconds": 0.01,
        "apps_wait_seconds": 10,
    }
    values.update(overrides)
    settings = Settings(**values)
    store = FileStore(tmp_path / "store")
    runtime = AppsFunction.build(settings, store)
    if not store.list("finance/", limit=1):
        generate(store, sites=2, days=70, end=runtime.clock.business_date())
    return runtime


@pytest.fixture
def runtime(emu, env, tmp_path):
    rt = build(emu, tmp_path)
    apps_function.configure(rt)
    yield rt
    apps_function.configure(None)
    rt.service.upstream.close()


def key_for(app: str, site_id: str = "site-001", runtime: AppsFunction | None = None) -> str:
    """The answer's key as the runtime's clock reads now (live unless a test set a sandbox), for the
    data as it is now: the input, the data digest and the data source."""
    spec = CATALOGUE[app]
    data = spec.input_model.model_validate(INPUTS[app])
    service = (runtime or apps_function._ensure()).service
    reading = service.clock.reading(site_id)
    return service.answer_key(spec, data, site_id, reading, service.basis(spec, data, site_id, reading))


def call(
    method: str,
    path: str,
    body: Any = None,
    token: str | None = MANAGER,
    query: dict[str, str] | None = None,
    handler: Any = None,
) -> tuple[int, Any]:
    return fc_call(handler or apps_function.handler, method, path, body=body, token=token, query=query)


@pytest.mark.parametrize("key", single_turn())
def test_every_single_turn_app_answers_valid_output_and_caches_it(runtime, emu, key):
    """Each app returns its validated output; the same request again is a cache hit."""
    status, first = call("POST", f"/apps/{key}", INPUTS[key])
    assert status == 200, first
    output_models()[key].model_validate(first["result"])
    assert first["app"] == key and first["cached"] is False and first["stale"] is False
    assert first["prompt_version"] == CATALOGUE[key].prompt_version and first["usage"]["output_tokens"] > 0
    status, again = call("POST", f"/apps/{key}", INPUTS[key])
    assert status == 200 and again["cached"] is True and again["result"] == first["result"]
    assert again["usage"] == {"input_tokens": 0, "output_tokens": 0, "tokens_used": 0}
    assert len(emu.requests_for(f"emu-{key}")) == 1


def test_app2a_is_derived_from_app2_for_the_same_filter(runtime, emu):
    """The digest prompt carries App2's cached result for the same filter."""
    _, insight = call("POST", "/apps/app2_finance", {"range": "this_month"})
    status, digest = call("POST", "/apps/app2a_finance_digest", {"range": "this_month"})
    assert status == 200 and digest["result"]["headline"]
    prompt = emu.requests_for("emu-app2a_finance_digest")[0].body["input"]["prompt"]
    assert insight["result"]["summary"] in prompt
    assert len(emu.requests_for("emu-app2_finance")) == 1, "App2 came from the cache"


def test_catalogue_and_clock_routes(runtime):
    """GET /apps lists the nine apps; GET /clock tells the business date and sandbox state."""
    status, apps = call("GET", "/apps", token=STAFF)
    assert status == 200 and [a["key"] for a in apps["apps"]] == list(CATALOGUE)
    assert all(a["configured"] for a in apps["apps"])
    status, clock = call("GET", "/clock", token=STAFF)
    assert status == 200 and clock["sandbox"] is False and clock["tz"] == "Asia/Shanghai"
    assert clock["business_date"] == runtime.clock.business_date().isoformat()


def test_app2_never_reads_past_a_sandbox_clock_in_the_past(runtime, emu):
    """With the clock fixed 30 days back, App2's period ends on that business date."""
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)
    runtime.clock.set_context(
        SandboxContext(
            mode="fixed",
            fixed_at=past,
            scope="site",
            site_id="site-001",
            expires_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1),
            reason="回放上月数据",
            set_by="adm-1",
            set_at=dt.datetime.now(dt.timezone.utc),
        ),
        actor="adm-1",
    )
    sandbox_day = runtime.clock.business_date("site-001")
    status, answer = call("POST", "/apps/app2_finance", {"range": "this_week"})
    assert status == 200 and answer["meta"]["business_date"] == sandbox_day.isoformat()
    prompt = emu.requests_for("emu-app2_finance")[0].body["input"]["prompt"]
    later_days = [sandbox_day + dt.timedelta(days=n) for n in range(1, 30)]
    assert f"至 {sandbox_day.isoformat()}" in prompt
    assert not any(d.isoformat() in prompt for d in later_days)
    _, clock = call("GET", "/clock")
    assert clock["sandbox"] is True and clock["business_date"] == sandbox_day.isoformat()


def test_invalid_input_is_a_400_with_field_details(runtime, emu):
    """Bad input never reaches Bailian: 400 with the failing fields."""
    status, body = call("POST", "/apps/app6_note_analysis", {"note": ""})
    assert status == 400 and body["error"]["code"] == "ValidationError"
    assert body["error"]["details"][0]["field"] == "note"
    status, body = call("POST", "/apps/app2_finance", {"range": "last_year"})
    assert status == 400
    status, body = call("POST", "/apps/app2_finance", {"range": "today", "site_id": "site-002"})
    assert status == 400, "the site comes from the token, never from the body"
    status, body = call("POST", "/apps/app2_finance", {"range": "today", "area": "火星区"})
    assert status == 400 and body["error"]["code"] == "UnknownArea"
    status, body = call("POST", "/apps/app6_note_analysis", b"{not json")
    assert status == 400
    assert emu.requests == []


def test_unknown_and_streaming_apps_are_404(runtime):
    """Only single-turn catalogue keys are served here."""
    assert call("POST", "/apps/app9_magic", {})[0] == 404
    assert call("POST", "/apps/app1_chat", {"message": "hi"})[0] == 404


def test_output_failing_its_schema_after_retries_is_422(runtime, emu):
    """Three replies that never validate: 422, and the run log keeps the tokens spent."""
    emu.script("emu-app6_note_analysis", *[Behaviour(kind="text", text="抱歉，我不确定。")] * 3)
    status, body = call("POST", "/apps/app6_note_analysis", INPUTS["app6_note_analysis"])
    assert status == 422 and body["error"]["code"] == "OutputInvalid"
    records = [runtime.store.get_json(k) for k in runtime.store.list("runlogs/")]
    (record,) = [r for r in records if r["app"] == "app6_note_analysis"]
    assert record["status"] == "error" and record["attempts"] == 3 and record["tokens"]["output_tokens"] > 0


def test_a_reply_with_a_5000_digit_number_is_re_asked_not_a_500(runtime, emu):
    """Model output goes through the same bounded JSON parser as client input."""
    reply = '{"merged": [], "removed_duplicates": ' + "9" * 5000 + ', "summary": "x"}'
    emu.script("emu-app8_clue_consolidation", *[Behaviour(kind="text", text=reply)] * 3)
    status, body = call("POST", "/apps/app8_clue_consolidation", INPUTS["app8_clue_consolidation"])
    assert status == 422 and body["error"]["code"] == "OutputInvalid"
    assert len(emu.requests_for("emu-app8_clue_consolidation")) == 3


def test_upstream_failure_serves_a_stale_entry(runtime, emu):
    """Past its fresh TTL but inside the stale window, an entry is served when Bailian fails."""
    spec = CATALOGUE["app6_note_analysis"]
    _, first = call("POST", "/apps/app6_note_analysis", INPUTS["app6_note_analysis"])
    key = key_for("app6_note_analysis", runtime=runtime)
    entry = runtime.store.get_json(key)
    entry["generated_at"] -= spec.fresh_seconds + 60
    runtime.store.put_json(key, entry)
    emu.script(
        "emu-app6_note_analysis", *[Behaviour(kind="http_error", status=500, code="InternalError")] * 3
    )
    status, body = call("POST", "/apps/app6_note_analysis", INPUTS["app6_note_analysis"])
    assert status == 200 and body["stale"] is True and body["cached"] is True
    assert body["result"] == first["result"]


def test_upstream_failure_without_a_cached_entry_is_a_502(runtime, emu):
    """No stale entry to fall back on: the typed upstream error becomes 502 JSON."""
    emu.script(
        "emu-app7_customer_insight", *[Behaviour(kind="http_error", status=500, code="InternalError")] * 3
    )
    status, body = call("POST", "/apps/app7_customer_insight", INPUTS["app7_customer_insight"])
    assert status == 502 and body["error"]["code"] == "InternalError"


def test_a_200_reply_without_output_is_a_retried_protocol_error(runtime, emu):
    """HTTP 200 carrying only {code, message}: retried like the streamed "200 without output", never a
    final BadRequest answered as 502 with the upstream's code after one call."""
    emu.script("emu-app2_finance", *[Behaviour(kind="http_error", status=200, code="Weird")] * 3)
    status, body = call("POST", "/apps/app2_finance", INPUTS["app2_finance"])
    assert status == 502 and body["error"]["code"] == "ProtocolError"
    assert body["error"]["details"][0]["retryable"] is True
    assert len(emu.requests_for("emu-app2_finance")) == 3
    emu.script("emu-app2_finance", Behaviour(kind="http_error", status=200, code="Weird"))
    status, body = call("POST", "/apps/app2_finance", INPUTS["app2_finance"])
    assert (
        status == 200
        and body["usage"]["tokens_used"] == body["usage"]["input_tokens"] + body["usage"]["output_tokens"] > 0
    ), "the retry after one bad 200 answers"


def test_twenty_concurrent_identical_misses_make_one_upstream_call(emu, env, tmp_path):
    """20 instances missing the same key at once: one Bailian call, 20 identical answers."""
    emu.default = Behaviour(latency=0.6)
    runtimes = [build(emu, tmp_path) for _ in range(20)]
    handlers = [http_handler(rt.router(), max_body_bytes=65536) for rt in runtimes]
    results: list[tuple[int, Any]] = [None] * 20  # type: ignore[list-item]
    barrier = threading.Barrier(20)

    def one(i: int) -> None:
        barrier.wait()
        results[i] = call("POST", "/apps/app4_relationship", INPUTS["app4_relationship"], handler=handlers[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    try:
        assert all(status == 200 for status, _ in results)
        assert len({json.dumps(body["result"], sort_keys=True) for _, body in results}) == 1
        assert len(emu.requests_for("emu-app4_relationship")) == 1
        assert sum(1 for _, body in results if not body["cached"]) == 1
    finally:
        for rt in runtimes:
            rt.service.upstream.close()


class SteppedClock:
    """A wall clock that moves only when the code under test sleeps (its poll interval)."""

    def __init__(self) -> None:
        self.now = time.time()
        self.sleeps = 0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += seconds


def test_an_orphaned_lease_is_taken_over_when_it_expires_not_answered_503(emu, env, tmp_path):
    """A holder killed mid-call leaves its lease; the waiter takes over once it expires (default settings)."""
    rt = build(emu, tmp_path, apps_wait_seconds=Settings().apps_wait_seconds)
    assert (
        rt.settings.cache_lease_seconds < rt.settings.apps_wait_seconds
    )  # so an orphan can never 503 a waiter
    clock = SteppedClock()
    cache = rt.service.cache
    cache.wall = cache.claims.wall = clock
    cache.sleep = clock.sleep
    handler = http_handler(rt.router(), max_body_bytes=65536)
    orphan = cache.try_lease(
        key_for("app5_tactics", runtime=rt)
    )  # ... and its holder is SIGKILLed here: no renewal, no release
    assert orphan is not None
    try:
        status, body = call("POST", "/apps/app5_tactics", INPUTS["app5_tactics"], handler=handler)
    finally:
        rt.service.upstream.close()
    assert status == 200 and body["cached"] is False
    assert len(emu.requests_for("emu-app5_tactics")) == 1
    polls_until_expiry = rt.settings.cache_lease_seconds / cache.poll_seconds
    assert (
        polls_until_expiry - 2 <= clock.sleeps <= polls_until_expiry + 2
    )  # it waited for the expiry, no longer


def test_refresh_bypasses_the_cache_for_managers_only(runtime, emu):
    """refresh=true re-asks Bailian for a manager; staff may not force it."""
    call("POST", "/apps/app6_note_analysis", INPUTS["app6_note_analysis"], token=STAFF)
    status, body = call(
        "POST",
        "/apps/app6_note_analysis",
        INPUTS["app6_note_analysis"],
        token=STAFF,
        query={"refresh": "true"},
    )
    assert status == 403
    status, body = call(
        "POST",
        "/apps/app6_note_analysis",
        INPUTS["app6_note_analysis"],
        token=MANAGER,
        query={"refresh": "true"},
    )
    assert status == 200 and body["cached"] is False
    assert len(emu.requests_for("emu-app6_note_analysis")) == 2


def test_auth_and_cross_site_refusals(runtime, emu):
    """No token is 401, staff cannot read board finance, and sites never share cache entries."""
    assert call("POST", "/apps/app2_finance", INPUTS["app2_finance"], token=None)[0] == 401
    assert call("POST", "/apps/app2_finance", INPUTS["app2_finance"], token=STAFF)[0] == 403
    assert call("POST", "/apps/app2_finance", INPUTS["app2_finance"], token=MANAGER)[0] == 200
    status, other = call("POST", "/apps/app2_finance", INPUTS["app2_finance"], token=OTHER_SITE)
    assert status == 200 and other["cached"] is False
    prompts = [r.body["input"]["prompt"] for r in emu.requests_for("emu-app2_finance")]
    assert "site-001" in prompts[0] and "site-002" in prompts[1]


def test_every_request_writes_one_run_log_record(runtime, emu):
    """Misses and hits are logged with cache state, tokens and the latency split."""
    call("POST", "/apps/app3_clue_detail", INPUTS["app3_clue_detail"])
    call("POST", "/apps/app3_clue_detail", INPUTS["app3_clue_detail"])
    records = sorted(
        (runtime.store.get_json(k) for k in runtime.store.list("runlogs/")), key=lambda r: r["id"]
    )
    assert [r["cache"] for r in records] == ["miss", "hit"]
    miss = records[0]
    assert miss["status"] == "ok" and miss["attempts"] == 1 and miss["tokens"]["models"]
    assert miss["latency_ms"]["upstream"] > 0 and miss["latency_ms"]["overhead"] >= 0
    assert miss["prompt_version"] == "v2" and miss["site_id"] == "site-001" and miss["user"] == "mgr-1"


@pytest.fixture(scope="module")
def fuzz_runtime(tmp_path_factory):
    """One runtime for the fuzz test (hypothesis reruns the body, fixtures run once)."""
    with EmulatorThread() as emulator:
        import os

        saved = {k: os.environ.get(f"BAILIAN_APP_ID_{k.upper()}") for k in CATALOGUE}
        for key in CATALOGUE:
            os.environ[f"BAILIAN_APP_ID_{key.upper()}"] = f"emu-{key}"
        rt = build(emulator, tmp_path_factory.mktemp("fuzz"))
        try:
            yield rt
        finally:
            rt.service.upstream.close()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(f"BAILIAN_APP_ID_{key.upper()}", None)
                else:
                    os.environ[f"BAILIAN_APP_ID_{key.upper()}"] = value


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]),
    path=st.sampled_from(
        [
            "/apps",
            "/clock",
            "/apps/app2_finance",
            "/apps/app6_note_analysis",
            "/apps/x",
            "/apps/app1_chat",
            "/",
            "/apps/%E4%B8%AD",
        ]
    )
    | st.text(max_size=20).map(lambda t: "/" + t),
    body=json_values | st.binary(max_size=64),
    query=st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
)
def test_random_requests_never_get_a_5xx(fuzz_runtime, method, path, body, query):
    """Whatever a client sends to the apps function, the answer is a JSON 2xx/4xx, never a 5xx."""
    handler = http_handler(fuzz_runtime.router(), max_body_bytes=65536)
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    event = {
        "version": "v1",
        "rawPath": path,
        "headers": {"Authorization": f"Bearer {MANAGER}"},
        "queryParameters": query,
        "body": base64.b64encode(raw).decode(),
        "isBase64Encoded": True,
        "requestContext": {"requestId": "fuzz", "http": {"method": method, "path": path}},
    }
    out = handler(json.dumps(event).encode(), fake_context())
    assert 200 <= out["statusCode"] < 500, out
