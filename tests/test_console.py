"""The browser console end to end: real headless Chromium against `bailian-fc dev`.

One dev server for the module (the prewarm timer ticks every 2 s so "run now" finishes while
the page waits); each test opens its own browser context and signs in through the printed link.
Screenshots of every page go to tests/artifacts/console/ (git-ignored).
"""

from __future__ import annotations

import fnmatch
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from console_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    banner_token,
    console_link,
    new_page,
    shot,
    sign_in,
)
from playwright.sync_api import expect, sync_playwright
from support import SECRET, running_dev

from bailian_fc.auth import Authenticator
from bailian_fc.jobs import JobStore
from bailian_fc.store import FileStore

ROOT = Path(__file__).resolve().parents[1]
UI = ROOT / "shared" / "bailian_fc" / "admin" / "ui"
WAIT_MS = 30_000
# JSON that fails App3's schema, and carries a token-looking string the run log must redact.
BAD_REPLY = '{"profile_summary": "王先生常在周末来", "intent_level": "maybe", "note": "Bearer abc.def.ghi"}'


@pytest.fixture(scope="module")
def dev(tmp_path_factory: Any) -> Any:
    store = tmp_path_factory.mktemp("console") / "store"
    with running_dev(store, "--tick-seconds", "2") as (base, banner, proc):
        emulator = re.search(r"emulator at (http://127\.0\.0\.1:\d+)", banner)
        assert emulator, banner
        yield {
            "base": base,
            "link": console_link(banner),
            "admin": banner_token(banner, "admin token"),
            "user": banner_token(banner, r"token \(dev-user"),
            "emulator": emulator.group(1),
            "proc": proc,
            "store": store,
        }


@pytest.fixture(scope="module")
def browser() -> Any:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def api(dev: dict[str, Any], method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token or dev['admin']}"}
    return httpx.request(method, dev["base"] + path, headers=headers, timeout=30, **kw)


def no_page_errors(page: Any) -> None:
    assert page.errors == [], page.errors


def test_sign_in_link_and_dashboard_charts_drawn_from_real_run_logs(dev, browser):
    for rng in ("today", "yesterday", "last_7_days"):
        assert api(dev, "POST", "/apps/app2_finance", dev["user"], json={"range": rng}).status_code == 200
    assert (
        api(dev, "POST", "/apps/app2_finance", dev["user"], json={"range": "today"}).json()["cached"] is True
    )
    with httpx.stream(
        "POST",
        dev["base"] + "/chat/messages",
        json={"message": "今晚八点还有包厢吗？"},
        headers={"Authorization": f"Bearer {dev['user']}"},
        timeout=30,
    ) as r:
        assert b"event: done" in r.read()
    expected = api(dev, "GET", "/admin/dashboard?days=1").json()["total"]["calls"]
    assert expected >= 5

    page = new_page(browser)
    sign_in(page, dev["link"])
    assert "token=" not in page.url
    assert page.evaluate("sessionStorage.getItem('bailian-fc.admin-token')") == dev["admin"]
    page.click("[data-days='1']")
    expect(page.locator("#totals")).to_have_attribute("data-calls", str(expected), timeout=WAIT_MS)
    calls_chart = page.locator("svg[data-chart='calls']")
    expect(calls_chart.locator("g[data-series='app2_finance'] circle").first).to_be_visible()
    expect(calls_chart.locator("g[data-series='app1_chat'] circle").first).to_be_visible()
    for chart in ("tokens", "p50", "p95", "hit", "errors"):
        assert int(page.locator(f"svg[data-chart='{chart}']").get_attribute("data-points")) > 0, chart
    expect(page.locator("#per-app")).to_contain_text("董事会财务洞察")  # the catalogue title, not the key
    expect(page.locator(".legend [data-series='app2_finance']")).to_have_text("董事会财务洞察")
    shot(page, "dashboard-desktop")
    no_page_errors(page)


def test_run_logs_filter_and_a_failures_detail(dev, browser):
    scripted = httpx.post(
        dev["emulator"] + "/_emulator/script",
        timeout=10,
        json={"app_id": "emu-app3_clue_detail", "behaviours": [{"kind": "text", "text": BAD_REPLY}] * 3},
    )
    assert scripted.status_code == 200
    failed = api(dev, "POST", "/apps/app3_clue_detail", dev["user"], json={"clue_id": "cl-001-001"})
    assert failed.status_code == 422, failed.text
    assert api(dev, "POST", "/apps/app2_finance", dev["user"], json={"range": "this_week"}).status_code == 200

    page = new_page(browser)
    sign_in(page, dev["link"])
    page.click("a[data-page='runlogs']")
    rows = page.locator("#runlog-table tbody tr")
    expect(rows.first).to_be_visible(timeout=WAIT_MS)
    page.select_option("#runlog-filters select[name=app]", "app3_clue_detail")
    page.select_option("#runlog-filters select[name=status]", "error")
    page.fill("#runlog-filters input[name=site]", "site-001")
    page.click("#runlog-filters button[type=submit]")
    expect(rows).to_have_count(1, timeout=WAIT_MS)
    expect(rows.first).to_have_attribute("data-status", "error")
    expect(rows.first).to_contain_text("OutputInvalid")
    rows.first.click()
    detail = page.locator("#runlog-detail")
    expect(detail.locator("#failure-reason")).to_contain_text("OutputInvalid")
    expect(detail).to_contain_text("Attempts")
    expect(detail.locator("dd").nth(6)).to_have_text("3")  # attempts: the whole retry budget
    expect(detail).to_contain_text("Prompt version")
    expect(detail.locator("dt:text-is('· 上游') + dd")).to_contain_text("ms")  # the failure's latency split
    excerpt = detail.locator("#reply-excerpt")
    expect(excerpt).to_be_visible()
    assert "王先生常在周末来" in excerpt.inner_text() and len(excerpt.inner_text()) <= 600
    assert "abc.def.ghi" not in excerpt.inner_text() and "[redacted]" in excerpt.inner_text()
    assert dev["user"] not in detail.inner_text() and dev["admin"] not in detail.inner_text()
    shot(page, "runlogs-failure-detail")
    page.select_option("#runlog-filters select[name=status]", "ok")
    page.select_option("#runlog-filters select[name=app]", "")
    page.click("#runlog-filters button[type=submit]")
    expect(rows.first).to_have_attribute("data-status", "ok", timeout=WAIT_MS)
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.status)")) == {"ok"}
    no_page_errors(page)


def test_cron_edit_validates_previews_and_saves(dev, browser):
    page = new_page(browser)
    sign_in(page, dev["link"])
    page.click("a[data-page='triggers']")
    card = page.locator("[data-job='cache_housekeeping']")
    cron = card.locator("input[name=cron]")
    cron.fill("61 * * * * *")
    expect(card.locator("[data-role=cron-error]")).to_contain_text("InvalidCron", timeout=WAIT_MS)
    expect(card.locator("[data-role=save]")).to_be_disabled()
    cron.fill("0 15 3 * * *")
    preview = card.locator("[data-role=preview] li")
    expect(preview).to_have_count(5, timeout=WAIT_MS)
    expect(preview.first).to_contain_text("03:15:00")
    card.locator("[data-role=save]").click()
    expect(card.locator("[data-role=saved]")).to_contain_text("0 15 3 * * *", timeout=WAIT_MS)
    saved = api(dev, "GET", "/admin/triggers/cache_housekeeping").json()
    assert saved["cron"] == "0 15 3 * * *" and saved["updated_by"] == "dev-admin"
    shot(page, "triggers-cron-edit")
    page.reload()
    expect(page.locator("[data-job='cache_housekeeping'] input[name=cron]")).to_have_value(
        "0 15 3 * * *", timeout=WAIT_MS
    )
    toggle = page.locator("[data-job='cache_housekeeping'] [data-role=toggle]")
    was = api(dev, "GET", "/admin/triggers/cache_housekeeping").json()["enabled"]
    toggle.click()  # asks first: cancelling changes nothing
    page.click("[data-role=confirm-cancel]")
    expect(page.locator("[data-role=confirm-message]")).to_have_count(0)
    assert api(dev, "GET", "/admin/triggers/cache_housekeeping").json()["enabled"] is was
    toggle.click()
    expect(page.locator("[data-role=confirm-message]")).to_contain_text("cache_housekeeping")
    page.click("[data-role=confirm-ok]")
    expect(page.locator("[data-job='cache_housekeeping']")).to_have_attribute(
        "data-enabled", str(not was).lower(), timeout=WAIT_MS
    )
    expect(page.locator("[data-job='cache_housekeeping'] [data-role=toggle]")).to_contain_text(
        "启用" if was else "停用"
    )
    assert api(dev, "GET", "/admin/triggers/cache_housekeeping").json()["enabled"] is (not was)
    no_page_errors(page)


def test_a_prewarm_cron_before_day_start_shows_the_servers_warning(dev, browser):
    """The save answers with the day-start check; the card shows it, and it goes with a fixed cron."""
    page = new_page(browser)
    sign_in(page, dev["link"])
    page.click("a[data-page='triggers']")
    card = page.locator("[data-job='app2_prewarm']")
    original = api(dev, "GET", "/admin/triggers/app2_prewarm").json()["cron"]
    expect(card.locator("[data-role=day-start-warning]")).to_have_count(0, timeout=WAIT_MS)
    try:
        card.locator("input[name=cron]").fill("0 30 7 * * *")
        expect(card.locator("[data-role=preview] li")).to_have_count(5, timeout=WAIT_MS)
        card.locator("[data-role=save]").click()
        warning = card.locator("[data-role=day-start-warning]")
        expect(warning).to_contain_text("07:30", timeout=WAIT_MS)
        expect(warning).to_contain_text("08:00")
        shot(page, "triggers-day-start-warning")
        card.locator("input[name=cron]").fill("0 10 8 * * *")
        expect(card.locator("[data-role=preview] li").first).to_contain_text("08:10", timeout=WAIT_MS)
        card.locator("[data-role=save]").click()
        expect(card.locator("[data-role=saved]")).to_contain_text("0 10 8 * * *", timeout=WAIT_MS)
        expect(card.locator("[data-role=day-start-warning]")).to_have_count(0)
    finally:
        api(dev, "PUT", "/admin/triggers/app2_prewarm", json={"cron": original})
    no_page_errors(page)


def test_run_now_starts_the_job_and_shows_the_runs_result(dev, browser):
    page = new_page(browser)
    sign_in(page, dev["link"])
    page.click("a[data-page='triggers']")
    card = page.locator("[data-job='runlog_rollup']")
    card.locator("[data-role=run]").click()
    result = card.locator("[data-role=run-result]")
    expect(card.locator("[data-role=started]").or_(result)).to_be_visible(
        timeout=WAIT_MS
    )  # dev runs it in-process
    expect(result).to_be_visible(timeout=90_000)
    expect(result).to_have_attribute("data-status", "ok")
    expect(card.locator("tr[data-run]").first).to_contain_text("手动")
    # "By" is the admin who asked (the token's sub), not the FC request id
    expect(card.locator("tr[data-run] td[data-label='操作人']").first).to_have_text("dev-admin")
    expect(card.locator("[data-role=last]")).to_contain_text("手动", timeout=WAIT_MS)
    shot(page, "triggers-run-now")
    assert (
        api(dev, "POST", "/apps/app2_finance", dev["user"], json={"range": "last_30_days"}).status_code == 200
    )
    page.click("a[data-page='operations']")
    expect(page.locator("h2", has_text="Run-now queue")).to_be_visible()
    expect(page.locator("[data-role=queue-empty]")).to_have_text("队列为空。", timeout=WAIT_MS)
    expect(page.locator("select[name=app] option[value='app2_finance']")).to_have_count(1, timeout=WAIT_MS)
    page.select_option("select[name=app]", "app2_finance")
    page.fill("input[name=site]", "site-001")
    page.click("button[type=submit]")
    expect(page.locator("[data-role=confirm-message]")).to_contain_text("董事会财务洞察")
    page.click("[data-role=confirm-ok]")
    purged = page.locator("[data-role=purged]")
    expect(purged).to_be_visible(timeout=WAIT_MS)
    assert int(purged.get_attribute("data-deleted")) >= 1
    again = api(dev, "POST", "/apps/app2_finance", dev["user"], json={"range": "last_30_days"}).json()
    assert again["cached"] is False  # the purge really emptied the cache
    shot(page, "operations")
    no_page_errors(page)


def test_prewarm_runs_show_progress_and_per_item_failures(dev, browser):
    """A prewarm run record as the prewarm job writes it (what a tick with failing filters leaves)."""
    failed = [
        {
            "app": "app2_finance",
            "site_id": "site-001",
            "range": "today",
            "area": "A区",
            "code": "Throttling",
            "message": "Requests rate limit exceeded",
        },
        {
            "app": "app2a_finance_digest",
            "site_id": "site-001",
            "range": "last_week",
            "area": "all",
            "code": "OutputInvalid",
            "message": "reply does not match",
        },
    ]
    summary = {
        "event": "prewarm.summary",
        "done": 30,
        "total": 48,
        "computed": 28,
        "skipped": 0,
        "failures": 2,
        "complete": False,
        "failed": failed,
        "sites": ["site-001"],
        "force": False,
    }
    JobStore(FileStore(dev["store"])).record_run(
        "app2_prewarm", datetime.now(timezone.utc), summary, status="incomplete", trigger="timer", by="e2e"
    )
    page = new_page(browser)
    sign_in(page, dev["link"])
    page.click("a[data-page='triggers']")
    card = page.locator("[data-job='app2_prewarm']")
    expect(card.locator("tr[data-run]").first).to_contain_text("完成 30/48", timeout=WAIT_MS)
    failures = card.locator("tr.failure")
    expect(failures).to_have_count(2)
    expect(failures.first).to_contain_text("app2_finance site-001 今天（today） A区: Throttling")
    expect(failures.nth(1)).to_contain_text("OutputInvalid")
    page.click("a[data-page='operations']")
    bar = page.locator(".progress > div").first
    expect(bar).to_have_attribute("style", re.compile(r"width: 63%"), timeout=WAIT_MS)
    expect(page.locator("text=continues next tick").first).to_be_visible()
    shot(page, "operations-prewarm-progress")
    no_page_errors(page)


def test_site_sandbox_clock_moves_get_clock_and_the_chat_playground(dev, browser):
    page = new_page(browser)
    sign_in(page, dev["link"])
    page.click("a[data-page='runtime']")
    form = page.locator("#context-form")
    form.locator("select[name=scope]").select_option("site")
    form.locator("input[name=site_id]").fill("site-001")
    form.locator("select[name=mode]").select_option("fixed")
    form.locator("input[name=fixed_at]").fill("2025-01-15T10:30:00")
    form.locator("input[name=reason]").fill("e2e 沙箱")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-role=context-saved]")).to_be_visible(timeout=WAIT_MS)
    row = page.locator("#contexts tr[data-scope='site'][data-site='site-001']")
    expect(row).to_contain_text("2025-01-15 10:30:00")
    countdown = row.locator("[data-role=countdown]")
    first = countdown.inner_text()
    assert re.fullmatch(r"\d+:\d\d:\d\d", first), first
    expect(countdown).not_to_have_text(first, timeout=WAIT_MS)  # it counts down
    expect(page.locator("#audit")).to_contain_text("dev-admin")
    shot(page, "runtime-context")

    deadline = time.monotonic() + 30
    while True:  # the apps function caches contexts for up to 5 s
        clock = api(dev, "GET", "/clock").json()
        if clock["sandbox"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert clock["business_date"] == "2025-01-15" and clock["sandbox"] is True, clock
    page.click("a[data-page='chat']")
    expect(page.locator("#chat-clock #clock")).to_have_attribute("data-date", "2025-01-15", timeout=WAIT_MS)
    expect(page.locator("#chat-clock")).to_contain_text("沙箱")
    shot(page, "chat-sandbox-clock")

    assert api(dev, "DELETE", "/admin/runtime-context?scope=site&site_id=site-001").status_code == 204
    expect(page.locator("#chat-clock #clock")).to_have_attribute("data-sandbox", "false", timeout=WAIT_MS)
    no_page_errors(page)


def test_chat_playground_streams_an_answer_and_shows_errors_like_the_miniprogram(dev, browser):
    page = new_page(browser)
    sign_in(page, dev["link"])
    page.click("a[data-page='chat']")
    page.fill("#chat-input", "周末有什么活动？")
    page.click("#chat-send")
    answer = page.locator(".bubble.bot[data-state='done']")
    expect(answer).to_have_count(1, timeout=WAIT_MS)
    assert len(answer.inner_text()) > 0
    expect(page.locator("#conversations button[data-id]").first).to_contain_text("周末有什么活动？")
    conversations = api(dev, "GET", "/chat/conversations").json()["conversations"]
    stored = api(dev, "GET", f"/chat/conversations/{conversations[0]['conversation_id']}").json()
    assert stored["turns"][-1]["answer"] == answer.inner_text()
    # the done event's usage.tokens_used (typed from types/chat-events.d.ts) is the stored turn's total
    tokens = stored["turns"][-1]["usage"]["tokens_used"]
    assert tokens > 0
    expect(answer).to_have_attribute("data-tokens", str(tokens))

    scripted = httpx.post(
        dev["emulator"] + "/_emulator/script",
        timeout=10,
        json={
            "app_id": "emu-app1_chat",
            "behaviours": [{"kind": "http_error", "status": 403, "code": "App.AccessDenied"}],
        },
    )
    assert scripted.status_code == 200
    page.fill("#chat-input", "再问一次")
    page.click("#chat-send")
    failure = page.locator(".bubble.fail").last
    expect(failure).to_be_visible(timeout=WAIT_MS)
    expect(failure).to_contain_text("App.AccessDenied")
    page.click("#chat-send")  # an empty message: the server's 400, shown the same way
    expect(page.locator(".bubble.fail[data-code='ValidationError']")).to_contain_text("消息不符合要求")
    shot(page, "chat-desktop")
    no_page_errors(page)


def test_app_form_generated_from_its_schema_runs_the_app(dev, browser):
    page = new_page(browser)
    sign_in(page, dev["link"])
    page.click("a[data-page='apps']")
    page.select_option("#app-picker", "app2_finance")
    page.select_option("#app-form select[name=range]", "last_month")
    page.click("#app-run")
    result = page.locator("#app-result")
    expect(result.locator("#result-json")).to_contain_text("insights", timeout=WAIT_MS)
    expect(result).to_contain_text("fresh")
    expect(result.locator("#usage")).to_contain_text("tokens")
    page.click("#app-run")
    expect(result).to_contain_text("cached", timeout=WAIT_MS)
    page.select_option("#app-picker", "app4_relationship")
    form = page.locator("#app-form")
    form.locator("input[name=customer_id]").fill("cu-001-001")  # dev's demo data: loaded server-side
    page.click("#app-run")
    expect(result.locator("#result-json")).to_contain_text("next_actions", timeout=WAIT_MS)
    shot(page, "apps-desktop")
    form.locator("input[name=customer_id]").fill("")
    page.click("#app-run")
    expect(result.locator(".error")).to_contain_text("ValidationError", timeout=WAIT_MS)
    no_page_errors(page)


def test_a_site_admin_lands_on_its_own_sites_dashboard_and_the_platform_picks_a_site(dev, browser):
    auth = Authenticator(SECRET, "bailian-fc", "bailian-fc")
    site_admin = auth.mint("adm-site-002", "site-002", "admin")
    manager_b = auth.mint("mgr-site-002", "site-002", "manager")
    for rng in ("today", "yesterday"):
        assert api(dev, "POST", "/apps/app2_finance", manager_b, json={"range": rng}).status_code == 200
    assert api(dev, "POST", "/apps/app2_finance", dev["user"], json={"range": "today"}).status_code == 200
    assert (
        api(dev, "POST", "/apps/app3_clue_detail", manager_b, json={"clue_id": "cl-none"}).status_code == 404
    )
    own = api(dev, "GET", "/admin/dashboard?days=1", site_admin).json()
    every = api(dev, "GET", "/admin/dashboard?days=1").json()
    assert own["site"] == "site-002" and own["total"]["rejected_codes"].get("ClueNotFound", 0) >= 1
    assert every["total"]["calls"] > own["total"]["calls"] >= 3, "site-001 has calls too: the views differ"

    page = new_page(browser)
    page.goto(f"{dev['base']}/admin/ui/#token={site_admin}")  # the same link dev prints, for this token
    page.wait_for_url(re.compile(r"#/dashboard$"))
    page.click("[data-days='1']")
    totals = page.locator("#totals")
    expect(totals).to_have_attribute("data-site", "site-002", timeout=WAIT_MS)
    expect(totals).to_have_attribute("data-calls", str(own["total"]["calls"]), timeout=WAIT_MS)
    expect(page.locator("#origin-split")).to_have_attribute(
        "data-user", str(own["by_origin"]["user"]["calls"])
    )
    expect(page.locator("#site-scope")).to_contain_text("site-002")
    expect(page.locator("#who")).to_contain_text("site-002")
    assert page.locator("#site-select").count() == 0 and page.locator("#per-site").count() == 0
    expect(page.locator("#per-app")).to_contain_text("ClueNotFound")
    shot(page, "dashboard-site-admin")
    # Another site's purge is a 403 shown on its page: the site admin stays signed in.
    page.click("a[data-page='operations']")
    page.fill("div[data-page=operations] input[name=site]", "site-001")
    page.click("#purge-form button[type=submit]")
    page.click("[data-role=confirm-ok]")  # the purge asks first
    expect(page.locator("div[data-page=operations]")).to_contain_text("没有权限", timeout=WAIT_MS)
    assert page.locator("[data-page=signin]").count() == 0
    page.click("a[data-page='dashboard']")
    expect(page.locator("#totals")).to_have_attribute("data-site", "site-002", timeout=WAIT_MS)
    assert page.evaluate("sessionStorage.getItem('bailian-fc.admin-token')") == site_admin
    no_page_errors(page)

    page = new_page(browser)
    sign_in(page, dev["link"])  # the platform admin of the banner
    page.click("[data-days='1']")
    expect(page.locator("#totals")).to_have_attribute("data-site", "all", timeout=WAIT_MS)
    expect(page.locator("#per-site tr[data-site='site-002']")).to_be_visible()
    page.select_option("#site-select", "site-002")
    expect(page.locator("#totals")).to_have_attribute("data-site", "site-002", timeout=WAIT_MS)
    expect(page.locator("#totals")).to_have_attribute(
        "data-calls", str(own["total"]["calls"]), timeout=WAIT_MS
    )
    page.select_option("#site-select", "")
    expect(page.locator("#totals")).to_have_attribute("data-site", "all", timeout=WAIT_MS)
    no_page_errors(page)


def test_rejected_or_non_admin_tokens_go_back_to_sign_in_with_a_reason(dev, browser):
    page = new_page(browser)
    page.goto(dev["base"] + "/admin/ui/")
    expect(page.locator("[data-page=signin]")).to_be_visible()
    shot(page, "signin")
    page.fill("[data-page=signin] textarea", "not-a-token")
    page.click("#signin-button")
    expect(page.locator("#auth-message")).to_contain_text("rejected", timeout=WAIT_MS)
    page.fill("[data-page=signin] textarea", dev["user"])
    page.click("#signin-button")
    expect(page.locator("#auth-message")).to_contain_text("not an admin token", timeout=WAIT_MS)
    page.fill("[data-page=signin] textarea", dev["admin"])
    page.click("#signin-button")
    expect(page.locator("div[data-page=dashboard]")).to_be_visible(timeout=WAIT_MS)
    page.evaluate("sessionStorage.setItem('bailian-fc.admin-token', 'expired.token.value')")
    page.click("a[data-page='runlogs']")
    expect(page.locator("#auth-message")).to_contain_text("sign in again", timeout=WAIT_MS)
    no_page_errors(page)


def test_every_console_file_is_package_data():
    line = re.search(r"^bailian_fc = \[(.*)\]$", (ROOT / "pyproject.toml").read_text(), re.M)
    assert line, "pyproject.toml has no package-data line for bailian_fc"
    globs = re.findall(r'"([^"]+)"', line.group(1))
    package = ROOT / "shared" / "bailian_fc"
    for path in UI.rglob("*"):
        if path.is_file():
            rel = path.relative_to(package).as_posix()
            assert any(fnmatch.fnmatch(rel, g) and rel.count("/") == g.count("/") for g in globs), rel


def test_chat_playground_opens_a_long_conversation_a_page_at_a_time(dev, browser):
    from support import parse_frames

    first = parse_frames(api(dev, "POST", "/chat/messages", json={"message": "第0问"}).content)
    conv = first[0].data["conversation_id"]
    for i in range(1, 21):
        reply = api(dev, "POST", "/chat/messages", json={"message": f"第{i}问", "conversation_id": conv})
        assert reply.status_code == 200
    page = new_page(browser)
    sign_in(page, dev["link"])
    page.click("a[data-page='chat']")
    page.click(f"#conversations button[data-id='{conv}']")
    users = page.locator("#messages .bubble.user")
    expect(users).to_have_count(20, timeout=WAIT_MS)  # the newest page only
    expect(users.first).to_have_text("第1问")
    expect(users.last).to_have_text("第20问")
    page.click("#earlier-turns")
    expect(users).to_have_count(21, timeout=WAIT_MS)
    expect(users.first).to_have_text("第0问")
    expect(page.locator("#earlier-turns")).to_have_count(0)
