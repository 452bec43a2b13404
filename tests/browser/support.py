"""A real ``trackers serve --sandbox`` process and the system Chromium driven by Playwright."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.e2e.support import (
    Processes,
    clean_env,
    free_port,
    processes,
    unavailable,
    wait_for_health,
)

CHROMIUM_NAMES = ("chromium", "chromium-browser")
WIDTHS = (390, 1280)
STEAM = "https://rocketleague.tracker.network/rocket-league/profile/steam/{}/overview"
COOLDOWN_SECONDS = 3
BOT_KEY = "browser-bot-key-0123456789abcdef"
ADMIN_ID = "100000000000000009"
SCRAPE_TIMEOUT_S = 30
SANDBOX_RATE_PER_MINUTE = 600


def chromium_path() -> str:
    """The system Chromium (Debian package ``chromium``); skips locally, fails in CI."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    unavailable("system Chromium not installed (apt-get install chromium)")
    raise AssertionError("unreachable")


@attrs.frozen
class Server:
    """The sandbox server under test."""

    base_url: str
    group: Processes


@contextmanager
def sandbox_server(folder: Path) -> Iterator[Server]:
    """``trackers serve --sandbox`` on a free loopback port with a short refresh cooldown.

    Time-compressed: the sandbox's simulator takes 600 requests a minute rather than the
    default 60, so the demo's seeded first scrapes (4 requests each, in the low lane) do not
    keep the pages' own scrapes waiting for seconds each."""
    port = free_port()
    env = clean_env(
        TRACKERS_DATA_DIR=str(folder / "var"),
        TRACKER_REFRESH_COOLDOWN_SECONDS=str(COOLDOWN_SECONDS),
        TRN_RATE_LIMIT_PER_MINUTE=str(SANDBOX_RATE_PER_MINUTE),
        BOT_API_KEY=BOT_KEY,
        SYSTEM_ADMIN_USER_IDS=ADMIN_ID,
    )
    with processes(folder, env) as group:
        group.start("serve", "serve", "--sandbox", "--port", str(port))
        base_url = f"http://127.0.0.1:{port}"
        wait_for_health(base_url, group)
        yield Server(base_url, group)


@contextmanager
def chromium() -> Iterator[Browser]:
    """The system Chromium, headless."""
    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"], timeout=30_000
        )
        try:
            yield browser
        finally:
            browser.close()


class ConsoleErrors:
    """Console errors and failed requests of one page."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)


def new_context(browser: Browser, width: int) -> BrowserContext:
    """A fresh browser profile with the viewport of a phone (390) or a laptop (1280)."""
    height = 844 if width < 600 else 900
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(10_000)
    return context


def sign_in(page: Page, base_url: str, role: str = "player") -> None:
    """The sandbox sign-in page, as a user would use it."""
    page.goto(base_url + "/")
    assert re.search(r"/sign-in\?next=/$", page.url), page.url
    page.check(f"input[name=user][value={role}]")
    page.click("button:has-text('Sign in')")
    page.wait_for_url(base_url + "/")


def wait_for_status(page: Page, status: str, timeout: float = SCRAPE_TIMEOUT_S) -> None:
    """Reload the tracker page until its badge shows ``status``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        badge = page.locator("main .badge").first.inner_text()
        if status in badge:
            return
        time.sleep(0.4)
        page.reload()
    raise AssertionError(f"status {status} not reached: {page.locator('main').inner_text()}")


def no_horizontal_scroll(page: Page) -> bool:
    """The page itself is no wider than the viewport (tables may scroll inside).

    Measured once the page's ``load`` event has fired: text can be in the DOM (what a preceding
    ``expect`` waits for) before the stylesheet applies, and an unstyled table is wider."""
    page.wait_for_load_state("load")
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))
