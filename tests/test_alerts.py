"""Alerts to a group robot, and the prewarm's budget stop: the prewarm function against the emulator,
a local HTTP sink as ``ALERT_WEBHOOK_URL``."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from support import SECRET
from test_prewarm import run_of

from bailian_fc.catalogue.registry import CATALOGUE
from bailian_fc.jobs.seed import default_jobs
from bailian_fc.runlog.budget import BudgetPatch, Budgets
from bailian_fc.scheduled.alerts import Alert, payload, webhook_kind
from bailian_fc.scheduled.app2 import App2Prewarm
from bailian_fc.scheduled.function import ScheduledFunction
from bailian_fc.settings import Settings
from bailian_fc.store import FileStore
from bailian_fc.venue.finance import FinanceStore
from bailian_fc_tools.demo.finance import generate
from bailian_fc_tools.emulator import Behaviour, EmulatorThread
from bailian_fc_tools.local.fc_context import fake_context

TIMER = {"triggerTime": "2026-01-05T00:05:00Z", "triggerName": "tick", "payload": '{"source":"timer"}'}


class Sink:
    """A group robot on 127.0.0.1: records each JSON body; answers ``errcode`` from ``replies``."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.failing = 0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                status, answer = (
                    (500, {"errcode": 1}) if sink.failing else (200, {"errcode": 0, "errmsg": "ok"})
                )
                sink.failing = max(0, sink.failing - 1)
                if status == 200:
                    sink.bodies.append(json.loads(raw))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/robot/send?access_token=t"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Sink:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def world(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    for key in CATALOGUE:
        monkeypatch.setenv(f"BAILIAN_APP_ID_{key.upper()}", f"emu-{key}")
    with EmulatorThread() as emu, Sink() as sink:

        def build(**overrides: Any) -> ScheduledFunction:
            settings = Settings(
                dashscope_api_key="k",
                dashscope_base_url=emu.base_url,
                auth_jwt_secret=SECRET,
                store_url=f"file://{tmp_path}",
                bailian_backoff_base_seconds=0.01,
                prewarm_qps=1000,
                alert_webhook_url=sink.url,
                **overrides,
            )
            store = FileStore(tmp_path)
            rt = ScheduledFunction.build(settings, store)
            rt.jobs.seed(default_jobs(settings.business_tz, settings.business_day_start))
            if not store.list("finance/", limit=1):
                generate(store, sites=2, days=70, end=rt.service.clock.business_date())
            return rt

        yield build, emu, sink


def test_a_refused_key_sends_one_dingtalk_message_per_condition_then_nothing(world: Any) -> None:
    build, emu, sink = world
    emu.default = Behaviour(kind="http_error", status=401, code="InvalidApiKey")
    rt = build()
    first = rt.handle({"job": "app2_prewarm", "site_id": "site-001"}, fake_context())
    assert first["alerts"]["kind"] == "dingtalk" and not first["alerts"]["failed"]
    assert {b["msgtype"] for b in sink.bodies} == {"markdown"}
    assert all(set(b["markdown"]) == {"title", "text"} for b in sink.bodies)
    titles = sorted(b["markdown"]["title"] for b in sink.bodies)
    assert titles == ["定时任务 app2_prewarm failed", "百炼拒绝了 API Key"], titles
    assert "InvalidApiKey" in next(
        b["markdown"]["text"] for b in sink.bodies if "API Key" in b["markdown"]["title"]
    )
    for _ in range(2):
        again = rt.handle(TIMER, fake_context())
        assert again["alerts"]["sent"] == []
    assert len(sink.bodies) == 2


def test_a_failing_webhook_is_retried_on_the_next_tick(world: Any) -> None:
    build, emu, sink = world
    emu.default = Behaviour(kind="http_error", status=401, code="InvalidApiKey")
    rt = build()
    sink.failing = 10
    first = rt.handle({"job": "app2_prewarm", "site_id": "site-001"}, fake_context())
    assert first["alerts"]["sent"] == [] and len(first["alerts"]["failed"]) == 2 and sink.bodies == []
    sink.failing = 0
    assert len(rt.handle(TIMER, fake_context())["alerts"]["sent"]) == 2
    assert rt.handle(TIMER, fake_context())["alerts"]["sent"] == []


def test_the_prewarm_stops_a_site_at_its_budget_and_says_so(world: Any) -> None:
    build, emu, _ = world
    emu.default = Behaviour(input_tokens=1000, output_tokens=1000)
    rt = build(bailian_price_qwen_plus_input=1.0, bailian_price_qwen_plus_output=1.0, prewarm_concurrency=1)
    Budgets(rt.settings, rt.store).set_override("site-001", BudgetPatch(daily_budget_cny=5), "root")
    prewarm = App2Prewarm(rt.service, FinanceStore(rt.store), concurrency=1, qps=1000)
    summary = prewarm(run_of({"site_id": "site-001", "apps": ["app2_finance"]}))
    calls = len(emu.requests_for("emu-app2_finance"))
    assert calls == 3  # ¥2 each: the 4th check sees ¥6 ≥ ¥5 (in flight: one at a time here)
    exhausted = summary["budget_exhausted"]["site-001"]
    assert exhausted["items_not_run"] == summary["total"] - calls and "budget" in exhausted["message"]
    assert summary["outcome"] == "partial" and summary["failures"] == 0
    alerts = rt.handle(TIMER, fake_context())["alerts"]
    assert any(c.startswith("budget100:site-001:") for c in alerts["sent"]), alerts


def test_the_webhook_kind_is_told_by_the_host_and_wecom_gets_content() -> None:
    alert = Alert("c", "2026-01-05", "标题", ["一行"])
    assert webhook_kind("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", None) == "wecom"
    assert webhook_kind("https://oapi.dingtalk.com/robot/send?access_token=t", None) == "dingtalk"
    assert webhook_kind("https://example.com/hook", "wecom") == "wecom"
    assert payload(alert, "wecom") == {"msgtype": "markdown", "markdown": {"content": "#### 标题\n- 一行"}}
