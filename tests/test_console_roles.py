"""The console for each role, in real headless Chromium at a phone's and a laptop's size.

A site admin is shown no control it cannot use (the server would answer 没有权限): no enable,
disable, remove, schedule or payload save, no new job, no run-now of a job over every site, no
global clock. A platform admin sees them all. Every page fits the window, the default cache purge
succeeds for both, and a console link (``bailian-fc token --console-link``) signs in and leaves the
address bar at once; an expired one says so. Screenshots go to tests/artifacts/console/.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import os
import re
import subprocess
import sys
from typing import Any

import httpx
import pytest
from console_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    console_link,
    go,
    new_page,
    overflow,
    shot,
)
from playwright.sync_api import expect, sync_playwright
from support import SECRET, running_dev

from bailian_fc.auth import Authenticator

WAIT_MS = 30_000
PAGES = ["dashboard", "runlogs", "triggers", "operations", "runtime", "chat", "apps"]
SIZES = {"phone": PHONE, "desktop": DESKTOP}
AUTH = Authenticator(SECRET, "bailian-fc", "bailian-fc")
# Controls that need a platform admin (admin/scope.py require_platform), by their data-role.
PLATFORM_CONTROLS = ["toggle", "remove", "save", "payload-save"]
CLI = [sys.executable, "-m", "bailian_fc_tools.cli"]


@pytest.fixture(scope="module")
def dev(tmp_path_factory: Any) -> Any:
    store = tmp_path_factory.mktemp("console-roles") / "store"
    with running_dev(store) as (base, banner, _proc):
        yield {"base": base, "platform": console_link(banner)}


@pytest.fixture(scope="module")
def browser() -> Any:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def link(dev: dict[str, Any], token: str) -> str:
    return f"{dev['base']}/admin/ui/#token={token}"


def tokens(dev: dict[str, Any]) -> dict[str, str]:
    return {
        "site": link(dev, AUTH.mint("adm-site-002", "site-002", "admin")),
        "platform": dev["platform"],
    }


def signed_in(browser: Any, url: str, size: str) -> Any:
    page = new_page(browser, SIZES[size])
    page.goto(url)
    page.wait_for_url(re.compile(r"#/dashboard$"))
    return page


def visit(page: Any, name: str) -> None:
    go(page, name)
    expect(page.locator(f"div[data-page='{name}'] h1")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("p.muted", has_text="加载中")).to_have_count(0, timeout=WAIT_MS)


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("role", ["site", "platform"])
def test_each_role_sees_only_the_controls_it_can_use_and_every_page_fits(dev, browser, role, size):
    page = signed_in(browser, tokens(dev)[role], size)
    platform = role == "platform"
    for name in PAGES:
        visit(page, name)
        if name == "triggers":
            expect(page.locator("[data-job='app2_prewarm']")).to_be_visible(timeout=WAIT_MS)
            cards = page.locator("section[data-job]")
            assert cards.count() >= 2, "a per-site job and one over every site"
            for control in PLATFORM_CONTROLS:
                count = page.locator(f"section[data-job] [data-role='{control}']").count()
                assert (count > 0) == platform, (role, control, count)
            assert (page.locator("#job-create").count() > 0) == platform
            # Run-now: a site admin runs the per-site prewarm for its own site, nothing else.
            runs = page.locator("section[data-job] [data-role=run]")
            if platform:
                assert runs.count() == cards.count()
            else:
                assert runs.count() == 1
                prewarm = page.locator("[data-job='app2_prewarm']")
                expect(prewarm.locator("[data-role=run]")).to_be_visible()
                expect(prewarm.locator("input[name=site]")).to_have_value("site-002")
        if name == "runtime":
            scopes = page.locator("#context-form select[name=scope] option").evaluate_all(
                "os => os.map(o => o.value)"
            )
            assert ("global" in scopes) == platform, scopes
        if name == "operations":
            site = page.locator("#purge-form input[name=site]")
            expect(site).to_have_value("" if platform else "site-002")
            assert page.locator("#purge-form [placeholder='site-001']").count() == 0
        width, window = overflow(page)
        assert width <= window, f"{name} is {width}px wide in a {window}px window ({role})"
        shot(page, f"role-{role}-{name}-{size}")
    assert page.errors == [], page.errors


@pytest.mark.parametrize("role", ["site", "platform"])
def test_the_default_purge_succeeds(dev, browser, role):
    page = signed_in(browser, tokens(dev)[role], "phone")
    visit(page, "operations")
    if role == "platform":  # a valid default: the first app over every site
        expect(page.locator("#purge-form select[name=app] option")).not_to_have_count(1, timeout=WAIT_MS)
        expect(page.locator("#purge-form select[name=app]")).not_to_have_value("")
    page.click("#purge-form button[type=submit]")
    message = page.locator("[data-role=confirm-message]")
    expect(message).to_contain_text("全部门店" if role == "platform" else "site-002")
    page.click("[data-role=confirm-ok]")
    expect(page.locator("[data-role=purged]")).to_be_visible(timeout=WAIT_MS)
    shot(page, f"role-{role}-purged-phone")
    assert page.errors == [], page.errors


def test_everything_for_every_site_is_not_sent_but_explained(dev, browser):
    page = signed_in(browser, tokens(dev)["platform"], "desktop")
    visit(page, "operations")
    expect(page.locator("#purge-form select[name=app]")).not_to_have_value("", timeout=WAIT_MS)
    page.select_option("#purge-form select[name=app]", "")
    page.click("#purge-form button[type=submit]")
    expect(page.locator("[data-role=pick-target]")).to_be_visible()
    assert page.locator("[data-role=confirm-message]").count() == 0


def test_a_console_link_from_the_cli_signs_in_and_leaves_the_address_bar(dev, browser):
    env = dict(os.environ, AUTH_JWT_SECRET=SECRET)
    out = subprocess.run(
        [*CLI, "token", "--console-link", "--role", "admin", "--site", "site-002", "--base-url", dev["base"]],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()
    assert out.startswith(f"{dev['base']}/admin/ui/#token=ey"), out
    token = out.split("#token=", 1)[1]
    page = new_page(browser, PHONE)
    page.goto(out)
    page.wait_for_url(re.compile(r"#/dashboard$"))
    assert "token" not in page.url
    assert page.evaluate("sessionStorage.getItem('bailian-fc.admin-token')") == token
    assert token not in page.evaluate("JSON.stringify(history.state) + location.href")
    expect(page.locator("#totals")).to_have_attribute("data-site", "site-002", timeout=WAIT_MS)
    # Short-lived: the CLI gives a link 15 minutes, not the 12 hours of a plain token.
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["exp"] - claims["iat"] == 15 * 60 and claims["role"] == "admin"


def test_an_expired_link_says_it_has_expired(dev, browser):
    stale = AUTH.mint("adm-site-002", "site-002", "admin", ttl_seconds=-60)
    page = new_page(browser, DESKTOP)
    page.goto(link(dev, stale))
    message = page.locator("#auth-message")
    expect(message).to_contain_text("已过期", timeout=WAIT_MS)
    assert "token" not in page.url
    assert page.evaluate("sessionStorage.getItem('bailian-fc.admin-token')") is None
    shot(page, "signin-expired-desktop")


def test_cli_console_link_needs_an_origin_and_an_admin():
    env = {k: v for k, v in os.environ.items() if k != "BAILIAN_FC_DOMAIN"}
    env["AUTH_JWT_SECRET"] = SECRET
    base = [*CLI, "token", "--console-link"]
    no_origin = subprocess.run([*base, "--role", "admin"], capture_output=True, text=True, env=env)
    assert no_origin.returncode == 2 and "BAILIAN_FC_DOMAIN" in no_origin.stderr
    not_admin = subprocess.run([*base, "--base-url", "http://x"], capture_output=True, text=True, env=env)
    assert not_admin.returncode == 2 and "--role admin" in not_admin.stderr
    domain = subprocess.run(
        [*base, "--role", "admin"],
        capture_output=True,
        text=True,
        env={**env, "BAILIAN_FC_DOMAIN": "ops.example.cn"},
    )
    assert domain.returncode == 0 and domain.stdout.startswith("https://ops.example.cn/admin/ui/#token=ey")
    assert httpx.URL(domain.stdout.strip()).fragment.startswith("token=")


def test_a_rating_given_through_the_api_shows_in_the_trace_and_on_the_dashboard(dev, browser):
    manager = AUTH.mint("mgr-site-002", "site-002", "manager")
    headers = {"Authorization": f"Bearer {manager}"}
    answer = httpx.post(
        f"{dev['base']}/apps/app2_finance", json={"range": "today"}, headers=headers, timeout=30
    )
    assert answer.status_code == 200, answer.text
    request_id = answer.json()["request_id"]
    rated = httpx.post(
        f"{dev['base']}/apps/feedback",
        json={"request_id": request_id, "rating": "down", "comment": "营业额对不上"},
        headers=headers,
        timeout=30,
    )
    assert rated.status_code == 200, rated.text

    page = signed_in(browser, tokens(dev)["site"], "phone")
    visit(page, "runlogs")
    page.fill("#runlog-filters input[name=search]", request_id)
    page.click("#runlog-filters button[type=submit]")
    panel = page.locator("#runlog-detail")
    rating = panel.locator("[data-role=ratings] li[data-rating=down]")
    expect(rating).to_contain_text("营业额对不上", timeout=WAIT_MS)
    expect(rating).to_contain_text("mgr-site-002")
    expect(panel.locator("[data-role=output]")).to_be_visible()  # the answer it was about
    expect(panel).to_contain_text(request_id)
    width, window = overflow(page)
    assert width <= window
    page.screenshot(path=str(ARTIFACTS / "runlog-trace-rated-phone.png"))  # the sheet as the phone shows it
    page.click("#runlog-detail [data-role=close]")
    expect(panel).to_be_hidden()
    # The down-rated filter: of the site's records (another, unrated call among them), only this one.
    assert (
        httpx.post(
            f"{dev['base']}/apps/app2_finance", json={"range": "yesterday"}, headers=headers
        ).status_code
        == 200
    )
    page.fill("#runlog-filters input[name=search]", "")
    page.check("#runlog-filters input[name=down]")
    page.click("#runlog-filters button[type=submit]")
    rows = page.locator("#runlog-table tbody tr")
    expect(rows).to_have_count(1, timeout=WAIT_MS)
    rows.first.click()
    expect(panel).to_contain_text(request_id, timeout=WAIT_MS)
    page.click("#runlog-detail [data-role=close]")

    visit(page, "dashboard")
    share = page.locator("#per-app tr[data-app='app2_finance'] [data-role=down-share]")
    expect(share).to_have_text("100.0%", timeout=WAIT_MS)
    assert page.errors == [], page.errors


def test_times_entered_in_the_console_are_venue_time_whatever_the_browsers_zone(dev, browser):
    site_admin = AUTH.mint("adm-site-002", "site-002", "admin")
    context = browser.new_context(viewport=DESKTOP, timezone_id="America/New_York", locale="zh-CN")
    page = context.new_page()
    page.goto(link(dev, site_admin))
    page.wait_for_url(re.compile(r"#/dashboard$"))
    visit(page, "runtime")
    expect(page.locator("#context-form")).to_contain_text("Asia/Shanghai")
    page.select_option("#context-form select[name=mode]", "fixed")
    page.fill("#context-form input[name=fixed_at]", "2026-12-08T20:00:00")
    page.click("#context-form button[type=submit]")
    expect(page.locator("[data-role=context-saved]")).to_be_visible(timeout=WAIT_MS)
    headers = {"Authorization": f"Bearer {site_admin}"}
    contexts = httpx.get(f"{dev['base']}/admin/runtime-context", headers=headers, timeout=30).json()[
        "contexts"
    ]
    mine = [c for c in contexts if c.get("site_id") == "site-002"]
    assert len(mine) == 1 and mine[0]["fixed_at"].startswith("2026-12-08T12:00:00"), mine  # 20:00 in Shanghai
    cleared = httpx.delete(
        f"{dev['base']}/admin/runtime-context",
        params={"scope": "site", "site_id": "site-002"},
        headers=headers,
    )
    assert cleared.status_code == 204
    context.close()


def test_chart_ticks_step_at_round_numbers(dev, browser):
    page = signed_in(browser, tokens(dev)["platform"], "desktop")
    expect(page.locator("svg.chart").first).to_be_visible(timeout=WAIT_MS)
    ticks = page.evaluate(
        "[...document.querySelectorAll('svg.chart')].map(s => [...s.querySelectorAll('text[data-tick]')]"
        ".map(t => Number(t.dataset.tick)))"
    )
    assert ticks and all(len(axis) >= 2 for axis in ticks), ticks
    for axis in ticks:
        step = axis[1] - axis[0]
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert round(mantissa, 6) in (1, 2, 5), axis
        assert all(abs((b - a) - step) < 1e-9 for a, b in itertools.pairwise(axis)), axis


def test_a_platform_admin_sets_a_sites_budget_and_its_admin_reads_it(dev, browser):
    page = signed_in(browser, tokens(dev)["platform"], "desktop")
    visit(page, "operations")
    page.fill("#budget input[name=budget-site]", "site-002")
    page.click("#budget button[type=submit]")
    expect(page.locator("#budget [data-role=budget]")).to_have_attribute(
        "data-site", "site-002", timeout=WAIT_MS
    )
    page.fill("#budget-form input[name=daily_budget_cny]", "12.5")
    page.fill("#budget-form input[name=user_daily_app_calls]", "40")
    page.fill("#budget-form input[name=note]", "周末活动")
    page.click("#budget-form button[type=submit]")
    summary = page.locator("#budget [data-role=budget]")
    expect(summary).to_have_attribute("data-source", "override", timeout=WAIT_MS)
    expect(summary).to_contain_text("¥12.5")
    expect(page.locator("#budget-history")).to_contain_text("周末活动")
    assert page.errors == [], page.errors

    page = signed_in(browser, tokens(dev)["site"], "phone")
    visit(page, "operations")
    summary = page.locator("#budget [data-role=budget]")
    expect(summary).to_have_attribute("data-source", "override", timeout=WAIT_MS)
    expect(summary).to_contain_text("40")
    assert page.locator("#budget-form").count() == 0  # changing a budget is the platform's
    shot(page, "role-site-budget-phone")
    assert page.errors == [], page.errors
