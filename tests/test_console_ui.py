"""The console as its users see it, in real headless Chromium at a phone's and a laptop's size.

Every page fits the viewport (the document is exactly as wide as the window), every nav target is
reachable, chart labels are at least 11 CSS px, no visible label is English only (checked against
the message table, lib/i18n.js), a cancelled purge changes nothing, answers render as cards, and a
job created and removed through the page lands in the job audit. Screenshots of every page at both
sizes go to tests/artifacts/console/ (git-ignored).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest
from console_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    banner_token,
    console_link,
    go,
    new_page,
    shot,
    sign_in,
)
from playwright.sync_api import expect, sync_playwright
from support import running_dev

from bailian_fc.catalogue.registry import CATALOGUE

WAIT_MS = 30_000
PAGES = ["dashboard", "runlogs", "triggers", "operations", "runtime", "chat", "apps"]
SIZES = {"phone": PHONE, "desktop": DESKTOP}

# Every visible label-like element whose own text (the English secondary line removed) must have
# a Han character, unless the message table lists it as NEUTRAL (units, metric names).
ENGLISH_ONLY = """async () => {
  const { NEUTRAL } = await import('/admin/ui/lib/i18n.js');
  const han = /[\\u3400-\\u9fff\\uff01-\\uff5e]/;
  const sel = 'h1,h2,h3,th,label,button,legend,summary,nav a,dt,.badge,option,.tile small,.brand,p.muted';
  const bad = [];
  for (const el of document.querySelectorAll(sel)) {
    if (el.tagName !== 'OPTION' && !el.getClientRects().length) continue;  // not rendered
    const clone = el.cloneNode(true);
    clone.querySelectorAll('small.en, select, input, textarea, code').forEach((n) => n.remove());
    const text = clone.textContent.replace(/\\s+/g, ' ').trim();
    if (!text || han.test(text) || NEUTRAL.includes(text) || /^[\\d\\s.,:%*—+\\-/()×]+$/.test(text)) continue;
    bad.push(`${el.tagName.toLowerCase()}: ${text}`);
  }
  return bad;
}"""

# The rendered size of each chart label: its font size times the SVG's scale on screen.
LABEL_SIZES = """() => [...document.querySelectorAll('svg.chart')].flatMap((svg) => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll('text')].map((t) => parseFloat(getComputedStyle(t).fontSize) * scale);
})"""


@pytest.fixture(scope="module")
def dev(tmp_path_factory: Any) -> Any:
    store = tmp_path_factory.mktemp("console-ui") / "store"
    with running_dev(store, "--tick-seconds", "2") as (base, banner, _proc):
        yield {
            "store": store,
            "base": base,
            "link": console_link(banner),
            "admin": banner_token(banner, "admin token"),
            "user": banner_token(banner, r"token \(dev-user"),
        }


@pytest.fixture(scope="module")
def browser() -> Any:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def traffic(dev: dict[str, Any]) -> None:
    """Some calls, so the dashboard has lines and the run logs have rows."""
    for rng in ("today", "yesterday", "last_month"):
        assert api(dev, "POST", "/apps/app2_finance", dev["user"], json={"range": rng}).status_code == 200


def api(dev: dict[str, Any], method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token or dev['admin']}"}
    return httpx.request(method, dev["base"] + path, headers=headers, timeout=30, **kw)


def open_page(browser: Any, dev: dict[str, Any], size: str, name: str) -> Any:
    page = new_page(browser, SIZES[size])
    sign_in(page, dev["link"])
    go(page, name)
    expect(page.locator(f"div[data-page='{name}'] h1")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("p.muted", has_text="加载中")).to_have_count(0, timeout=WAIT_MS)
    return page


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("name", PAGES)
def test_every_page_fits_and_reads_chinese(dev, browser, traffic, name, size):
    page = open_page(browser, dev, size, name)
    if name == "runlogs":
        expect(page.locator("#runlog-table tbody tr").first).to_be_visible(timeout=WAIT_MS)
        page.locator("#runlog-table tbody tr").first.click()  # the detail too
        expect(page.locator("#runlog-detail dl")).to_be_visible()
    if name == "triggers":
        expect(page.locator("[data-job='app2_prewarm']")).to_be_visible(timeout=WAIT_MS)
        page.click("#job-create summary")
    if name == "apps":
        expect(page.locator("#app-form select[name=range]")).to_be_visible(timeout=WAIT_MS)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] == width[1], f"{name} is {width[0]}px wide in a {width[1]}px window"
    assert page.evaluate(ENGLISH_ONLY) == [], name
    shot(page, f"{name}-{size}")
    assert page.errors == [], page.errors


@pytest.mark.parametrize("size", list(SIZES))
def test_every_nav_target_is_visible_or_one_tap_away_and_the_header_is_one_line(dev, browser, size):
    page = open_page(browser, dev, size, "dashboard")
    viewport = SIZES[size]["width"]
    phone = size == "phone"
    header = page.locator("header.top").bounding_box()
    assert header and header["height"] <= (56 if phone else 64), header  # one line, not a 208 px block
    for name in PAGES:
        link = page.locator(f"#nav a[data-page='{name}']")
        if phone:  # hidden until the one menu button is tapped; then every target is in view at once
            expect(link).to_be_hidden()
            page.click("#menu")
        for other in PAGES:
            box = page.locator(f"#nav a[data-page='{other}']").bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport, (other, box)
            assert box["y"] + box["height"] <= SIZES[size]["height"], (other, box)
        if phone:
            shot(page, "nav-menu-phone")
        link.click()
        expect(page.locator(f"div[data-page='{name}']")).to_be_visible(timeout=WAIT_MS)
        if phone:
            expect(link).to_be_hidden()  # the menu closes on a choice
        else:
            active = page.locator("#nav a.active").bounding_box()
            assert active["x"] >= 0 and active["x"] + active["width"] <= viewport, name
    assert page.evaluate("document.documentElement.scrollWidth") == viewport


@pytest.mark.parametrize("size", list(SIZES))
def test_chart_labels_are_readable_and_values_show_on_hover_or_tap(dev, browser, traffic, size):
    page = open_page(browser, dev, size, "dashboard")
    chart = page.locator("svg[data-chart='calls']")
    expect(chart.locator("circle").first).to_be_visible(timeout=WAIT_MS)
    page.wait_for_timeout(300)  # ResizeObserver redraws at the box's width
    sizes = page.evaluate(LABEL_SIZES)
    assert sizes and min(sizes) >= 11, f"chart labels as small as {min(sizes):.1f}px"
    box = chart.bounding_box()
    page.mouse.move(box["x"] + box["width"] - 20, box["y"] + box["height"] / 2)
    readout = chart.locator("[data-role=readout]")
    expect(readout).to_be_visible()
    assert "董事会财务洞察" in (
        readout.text_content() or ""
    )  # series named by catalogue title, with the value
    # One point: a bigger dot with its value written next to it, not a lone speck.
    single = page.evaluate("""async () => {
      const { lineChart } = await import('/admin/ui/lib/charts.js');
      const box = lineChart({ id: 'one', title: 'one', labels: ['11-28'], series: [{ name: 'a', values: [42] }] });
      document.querySelector('main').append(box);
      await new Promise((r) => setTimeout(r, 100));
      const svg = box.querySelector('svg');
      return { r: svg.querySelector('circle').getAttribute('r'), value: svg.querySelector('text.value')?.textContent };
    }""")
    assert single == {"r": "5", "value": "42"}
    shot(page, f"dashboard-chart-{size}")


def test_a_cancelled_purge_changes_nothing(dev, browser):
    body = {"range": "yesterday"}
    api(dev, "POST", "/apps/app2_finance", dev["user"], json=body)
    assert api(dev, "POST", "/apps/app2_finance", dev["user"], json=body).json()["cached"] is True
    page = open_page(browser, dev, "phone", "operations")
    expect(page.locator("select[name=app] option[value='app2_finance']")).to_have_count(1, timeout=WAIT_MS)
    page.select_option("select[name=app]", "app2_finance")
    page.fill("input[name=site]", "site-001")
    page.click("#purge-form button[type=submit]")
    expect(page.locator("[data-role=confirm-message]")).to_contain_text("site-001")
    shot(page, "operations-purge-confirm-phone")
    page.click("[data-role=confirm-cancel]")
    expect(page.locator("[data-role=confirm-message]")).to_have_count(0)
    page.wait_for_timeout(500)
    expect(page.locator("[data-role=purged]")).to_have_count(0)
    assert api(dev, "POST", "/apps/app2_finance", dev["user"], json=body).json()["cached"] is True
    assert page.errors == [], page.errors


def test_a_job_created_and_removed_through_the_page_is_audited(dev, browser):
    page = open_page(browser, dev, "desktop", "triggers")
    page.click("#job-create summary")
    form = page.locator("#job-create-form")
    form.locator("input[name=name]").fill("prewarm_site2")
    form.locator("select[name=kind]").select_option("app2_prewarm")
    form.locator("input[name=cron]").fill("0 0 6 * * *")
    form.locator("textarea[name=payload]").fill('{"sites": 2}')
    form.locator("button[type=submit]").click()
    error = form.locator(".error")
    expect(error).to_contain_text("输入不符合要求", timeout=WAIT_MS)  # checked against the kind's schema
    expect(error.locator("li[data-field='payload.sites']")).to_contain_text("不允许的字段")
    form.locator("textarea[name=payload]").fill('{"site_id": "site-002"}')
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-role=created]")).to_contain_text("prewarm_site2", timeout=WAIT_MS)
    card = page.locator("[data-job='prewarm_site2']")
    expect(card).to_contain_text("App2 财务洞察预热", timeout=WAIT_MS)
    assert api(dev, "GET", "/admin/triggers/prewarm_site2").json()["payload"] == {"site_id": "site-002"}
    # Editing the payload is a form from the kind's schema, with Chinese labels, starting from the value.
    editor = card.locator("[data-role=payload]")
    expect(editor.locator("[data-field=site_id] label")).to_contain_text("门店")
    expect(editor.locator("input[name=site_id]")).to_have_value("site-002")
    expect(editor.locator("select[name='apps[0]']")).to_have_count(0)  # optional list: starts empty
    editor.locator("[data-field=apps] button", has_text="添加").click()
    editor.locator("select[name='apps[0]']").select_option("app2a_finance_digest")
    expect(editor.locator("select[name='apps[0]'] option:checked")).to_have_text("财务洞察一句话标题")
    editor.locator("input[name=force]").check()
    card.locator("[data-role=payload-save]").click()
    expect(card.locator("[data-role=payload-saved]")).to_be_visible(timeout=WAIT_MS)
    assert api(dev, "GET", "/admin/triggers/prewarm_site2").json()["payload"] == {
        "site_id": "site-002",
        "apps": ["app2a_finance_digest"],
        "force": True,
    }

    card.locator("[data-role=remove]").click()
    page.click("[data-role=confirm-cancel]")  # cancelled: still there
    assert api(dev, "GET", "/admin/triggers/prewarm_site2").status_code == 200
    card.locator("[data-role=remove]").click()
    page.click("[data-role=confirm-ok]")
    expect(page.locator("[data-role=removed]")).to_contain_text("prewarm_site2", timeout=WAIT_MS)
    assert api(dev, "GET", "/admin/triggers/prewarm_site2").status_code == 404

    audit = page.locator("#jobs-audit")
    expect(audit.locator("tr[data-action='delete'][data-audit-job='prewarm_site2']")).to_contain_text(
        "dev-admin", timeout=WAIT_MS
    )
    expect(audit.locator("tr[data-action='create'][data-audit-job='prewarm_site2']")).to_contain_text(
        "dev-admin"
    )
    records = api(dev, "GET", "/admin/jobs/audit").json()["audit"]
    assert [(r["action"], r["actor"]) for r in records if r["job"] == "prewarm_site2"] == [
        ("delete", "dev-admin"),
        ("update", "dev-admin"),
        ("create", "dev-admin"),
    ]
    shot(page, "triggers-job-audit-desktop")
    assert page.errors == [], page.errors


def test_an_answer_reads_as_cards_with_its_period_and_a_raw_json_toggle(dev, browser):
    page = open_page(browser, dev, "phone", "apps")
    page.select_option("#app-picker", "app2_finance")
    expect(page.locator("#app-form select[name=range] option[value='last_month']")).to_have_text("上月")
    expect(page.locator("#app-form [data-field=range] label")).to_contain_text("时间范围")
    page.select_option("#app-form select[name=range]", "last_month")
    page.click("#app-run")
    result = page.locator("#app-result")
    insight = result.locator("#insights .insight").first
    expect(insight).to_be_visible(timeout=WAIT_MS)
    expect(insight.locator(".badge")).to_have_text(re.compile("提示|利好|注意|严重"))
    expect(result.locator("[data-role=period]")).to_contain_text(
        re.compile(r"\d{4}-\d\d-01 至 \d{4}-\d\d-\d\d")
    )
    expect(result.locator("[data-role=previous]")).to_contain_text("至")
    expect(result.locator("[data-role=prompt]")).to_contain_text(CATALOGUE["app2_finance"].prompt_version)
    raw = result.locator("#result-json")
    expect(raw).to_be_hidden()
    result.locator("details.raw summary").click()
    expect(raw).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
    shot(page, "apps-answer-phone")

    page.select_option("#app-picker", "app5_tactics")
    form = page.locator("#app-form")
    form.locator("input[name=customer_id]").fill("C-9")
    page.click("#app-run")  # no goal: the server's 400, in Chinese, by the field's title
    item = result.locator(".error li").first
    expect(item).to_contain_text("跟进目标", timeout=WAIT_MS)
    expect(item).to_contain_text("必填")
    assert page.errors == [], page.errors


def test_a_range_without_data_shows_the_empty_state_and_no_insight_card(dev, browser):
    """No data, no model: under a clock years before the demo data, App2 answers no_data at once and
    the answer card shows the empty state, no insight cards."""
    years = -5 * 365 * 86400
    body = {"mode": "offset", "offset_seconds": years, "ttl_seconds": 600, "reason": "no-data card"}
    assert api(dev, "PUT", "/admin/runtime-context", json=body).status_code == 200
    try:
        # the apps function re-reads the context within its clock's cache period: wait until it has
        for _ in range(100):
            if api(dev, "GET", "/clock").json().get("sandbox") is True:
                break
            time.sleep(0.1)
        page = open_page(browser, dev, "desktop", "apps")
        page.select_option("#app-picker", "app2_finance")
        page.select_option("#app-form select[name=range]", "today")
        page.click("#app-run")
        result = page.locator("#app-result")
        expect(result.locator("#no-data")).to_contain_text("暂无营业数据", timeout=WAIT_MS)
        assert result.locator("#insights .insight").count() == 0
        expect(result.locator("#figures")).to_be_visible()
        assert page.errors == [], page.errors
    finally:
        assert api(dev, "DELETE", "/admin/runtime-context", params={"scope": "global"}).status_code == 204


def test_a_default_a_later_release_added_is_offered_and_added_in_one_click(dev, browser):
    # The store as a release without cache_housekeeping left it: never offered, no job, no tombstone.
    marker = dev["store"] / "jobs" / "seeded.json"
    seeded = json.loads(marker.read_text())
    marker.write_text(
        json.dumps({**seeded, "offered": [n for n in seeded["offered"] if n != "cache_housekeeping"]})
    )
    (dev["store"] / "jobs" / "defs" / "cache_housekeeping.json").unlink()
    offered = api(dev, "GET", "/admin/triggers").json()["available"]
    assert [body["name"] for body in offered] == ["cache_housekeeping"]

    page = open_page(browser, dev, "desktop", "triggers")
    row = page.locator("#jobs-available [data-available='cache_housekeeping']")
    expect(row).to_be_visible(timeout=WAIT_MS)
    row.locator("[data-role=add-default]").click()
    expect(page.locator("[data-role=created]")).to_contain_text("cache_housekeeping", timeout=WAIT_MS)
    expect(page.locator("[data-job='cache_housekeeping']")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#jobs-available")).to_have_count(0)  # offered once, added: no longer offered
    job = api(dev, "GET", "/admin/triggers/cache_housekeeping").json()
    assert job["id"].startswith("b") and job["cron"] == offered[0]["cron"]
    assert job["payload"] == offered[0]["payload"] and job["updated_by"] == "dev-admin"
    assert page.errors == [], page.errors
