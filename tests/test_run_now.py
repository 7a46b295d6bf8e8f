"""Admin "run now" starts the prewarm function at once: FC 3.0 async InvokeFunction, the queue as fallback."""

from __future__ import annotations

from typing import Any

import pytest
from fc_openapi_fake import FakeFC
from support import SECRET, fc_call

from bailian_fc.admin import function as admin_function
from bailian_fc.auth import Authenticator
from bailian_fc.jobs.fc_invoke import Credentials, signed_headers
from bailian_fc.jobs.queue import list_queue

ADMIN = Authenticator(SECRET, "bailian-fc", "bailian-fc").mint("admin-1", "site-001", "admin", platform=True)
KEY, KEY_SECRET, TOKEN = "STS.fake-key-id", "fake-secret-0123456789", "fake-sts-token"


@pytest.fixture
def rt(admin_runtime):
    return admin_runtime()


@pytest.fixture
def fc(monkeypatch):
    with FakeFC(KEY, KEY_SECRET, TOKEN) as fake:
        monkeypatch.setenv("FC_OPENAPI_ENDPOINT", fake.endpoint)
        monkeypatch.setenv("PREWARM_FUNCTION_NAME", "bailian-fc-prewarm")
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY)
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", KEY_SECRET)
        monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)
        yield fake


def run_now(body: dict[str, Any]) -> tuple[int, Any]:
    return fc_call(admin_function.handler, "POST", "/admin/triggers/app2_prewarm/run", body=body, token=ADMIN)


def test_run_now_invokes_the_prewarm_function_asynchronously(rt, fc):
    status, body = run_now({"site_id": "site-002", "force": True})
    assert status == 202 and body["started"] == "now" and body["invocation_id"] == "1-fake-1", body
    assert fc.rejected == []
    [accepted] = fc.accepted
    event = accepted["event"]
    assert accepted["function"] == "bailian-fc-prewarm" and accepted["qualifier"] is None  # LATEST
    # "by": the run record names the admin who asked, not the async invocation's request id
    assert {k: event[k] for k in ("job", "force", "by", "site_id")} == {
        "job": "app2_prewarm",
        "force": True,
        "by": "admin-1",
        "site_id": "site-002",
    }
    assert event["run_id"] == body["run_id"] and event["reservation"]  # the run adopts the reservation
    assert list_queue(rt.store) == []  # started, so nothing waits for the next tick


def test_run_now_invokes_the_alias_the_timer_serves_signed_with_its_qualifier(rt, fc, monkeypatch):
    """s.yaml passes vars.alias as PREWARM_FUNCTION_QUALIFIER: "run now" runs the released code; the
    fake FC checks the signature over the query too, so an unsigned qualifier is a rejection."""
    monkeypatch.setenv("PREWARM_FUNCTION_QUALIFIER", "live")
    status, body = run_now({"site_id": "site-002", "force": True})
    assert status == 202 and body["started"] == "now", body
    assert fc.rejected == [] and [a["qualifier"] for a in fc.accepted] == ["live"]


def test_a_second_run_now_for_the_same_site_gets_the_running_run_id(rt, fc):
    _, first = run_now({"site_id": "site-002", "force": True})
    status, second = run_now({"site_id": "site-002", "force": True})
    assert status == 202 and second["started"] == "running" and second["run_id"] == first["run_id"]
    assert len(fc.accepted) == 1  # nothing else was started
    _, other_site = run_now({"site_id": "site-003", "force": True})
    assert other_site["started"] == "now" and len(fc.accepted) == 2


def test_fc_refusing_the_call_queues_the_run_instead(rt, fc):
    fc.answer = 403
    status, body = run_now({})
    assert status == 202 and body["started"] == "queued" and "403" in body["reason"]
    assert [e["id"] for e in list_queue(rt.store)] == [body["queue_id"]]


def test_a_wrong_secret_is_rejected_by_the_fake_and_the_run_still_queued(rt, fc, monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "not-the-secret")
    status, body = run_now({})
    assert status == 202 and fc.rejected == ["SignatureDoesNotMatch"] and body["started"] == "queued"


def test_without_fc_settings_the_run_is_queued_with_the_reason(rt, monkeypatch):
    monkeypatch.delenv("PREWARM_FUNCTION_NAME", raising=False)
    status, body = run_now({"site_id": "site-001"})
    assert status == 202 and body["started"] == "queued" and "PREWARM_FUNCTION_NAME" in body["reason"]
    assert len(list_queue(rt.store)) == 1


def test_the_signature_covers_the_body_and_the_security_token():
    creds = Credentials(KEY, KEY_SECRET, TOKEN)
    url = "https://123.cn-hangzhou.fc.aliyuncs.com/2023-03-30/functions/f/invocations"
    one = signed_headers("POST", url, b"{}", {}, creds, action="InvokeFunction", nonce="n")
    other_body = signed_headers("POST", url, b"{ }", {}, creds, action="InvokeFunction", nonce="n", now=None)
    assert "x-acs-security-token" in one["Authorization"] and one["x-acs-security-token"] == TOKEN
    assert one["Authorization"].split("Signature=")[1] != other_body["Authorization"].split("Signature=")[1]
    fake = FakeFC(KEY, KEY_SECRET, TOKEN)
    lowered = {k.lower(): v for k, v in one.items()}
    assert (
        fake.check("POST", "/2023-03-30/functions/f/invocations", lowered, b"{}")
        == "x-fc-invocation-type is None, not 'Async'"
    )
