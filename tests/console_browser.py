"""Helpers for the console's browser tests: the system Chromium under Playwright, sign-in, shots."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
# Playwright's own browser download cannot work offline: drive Debian's chromium, quietly.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "console"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def console_link(banner: str) -> str:
    match = re.search(r"console\s*:\s*(http://\S+/admin/ui/#token=\S+)", banner)
    assert match, f"dev did not print the console link:\n{banner}"
    return match.group(1)


def banner_token(banner: str, label: str) -> str:
    match = re.search(label + r"[^\n]*:\s*\n\s*(\S+)", banner)
    assert match, banner
    return match.group(1)


def new_page(browser: Any, viewport: dict[str, int] = DESKTOP) -> Any:
    context = browser.new_context(viewport=viewport, timezone_id="Asia/Shanghai", locale="zh-CN")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    return page


def sign_in(page: Any, link: str) -> None:
    """Open the link dev prints: the token moves from the fragment into sessionStorage."""
    page.goto(link)
    page.wait_for_url(re.compile(r"#/dashboard$"))


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky header is drawn where the page was scrolled
    page.screenshot(path=str(path), full_page=True)
    return path


def go(page: Any, name: str) -> None:
    """Open a console page as a person would: from the header, or on a phone through its menu."""
    menu = page.locator("#menu")
    if menu.is_visible():
        menu.click()
    page.locator(f"#nav a[data-page='{name}']").click()


def overflow(page: Any) -> list[int]:
    """[scrollWidth, innerWidth]: the first may not exceed the second (no sideways scrolling)."""
    return page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
