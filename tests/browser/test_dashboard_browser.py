"""The dashboard in the system Chromium against a real sandbox server, at 390 and 1280 px."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from entrypoints.sandbox import DEMO_PLAYER, DEMO_STAFF
from tests.browser.support import (
    BOT_KEY,
    STEAM,
    WIDTHS,
    ConsoleErrors,
    Server,
    chromium,
    chromium_path,
    new_context,
    no_horizontal_scroll,
    sandbox_server,
    sign_in,
    wait_for_status,
)
from tests.e2e.support import free_port

pytestmark = [pytest.mark.timeout(300), pytest.mark.xdist_group("browser")]
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    chromium_path()
    with sandbox_server(tmp_path_factory.mktemp("browser")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def tracker_path(server: Server, browser: Browser) -> str:
    """A tracker registered through the form (by the 1280 px flow when it ran first)."""
    context = new_context(browser, 1280)
    page = context.new_page()
    sign_in(page, server.base_url)
    page.goto(server.base_url + "/trackers/new")
    page.fill("#url", STEAM.format("76561198000000007"))
    expect(page.locator("#preview code")).to_be_visible()
    page.click("#add-form button")
    page.wait_for_url("**/trackers/c*")
    path = page.url.removeprefix(server.base_url)
    wait_for_status(page, "COMPLETED")
    context.close()
    return path


@pytest.mark.parametrize("width", WIDTHS)
def test_register_shows_completed_tracker_with_chart_then_refresh_and_cooldown(
    server: Server, browser: Browser, width: int
) -> None:
    context = new_context(browser, width)
    page = context.new_page()
    console = ConsoleErrors(page)
    sign_in(page, server.base_url)
    page.goto(server.base_url + "/trackers/new")
    page.fill("#url", f"https://tracker.gg/rocket-league/profile/Steam/7656119800000{width:04d}/")
    canonical = STEAM.format(f"7656119800000{width:04d}")
    expect(page.locator("#preview code")).to_have_text(canonical)
    expect(page.locator("#add-form button")).to_be_enabled()
    page.click("#add-form button")
    page.wait_for_url("**/trackers/c*")
    wait_for_status(page, "COMPLETED")
    charts = page.locator("figure.chart svg")
    assert charts.count() >= 2
    expect(charts.first).to_be_visible()
    assert page.locator("figure.chart").first.locator("circle.dot").count() == 1
    assert page.locator("main time[title$='UTC']").first.get_attribute("title")
    assert no_horizontal_scroll(page)

    # The cooldown counts down, then the button refreshes and a second point is drawn.
    button = page.locator("main form.inline button")
    expect(button).to_be_enabled(timeout=8_000)
    expect(button).to_have_text("Refresh")
    button.click()
    page.wait_for_load_state()
    wait_for_status(page, "COMPLETED")
    expect(page.locator("figure.chart").first.locator("circle.dot")).to_have_count(2)
    cooldown = page.locator("main form.inline button")
    if cooldown.is_disabled():
        expect(cooldown).to_contain_text("Refresh in")
    assert console.errors == []
    context.close()


def _evil_site(folder: Path, target: str) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A page on another origin that auto-submits a form to the API."""
    (folder / "index.html").write_text(
        '<!doctype html><title>evil</title><form id="f" method="post" '
        f'action="{target}"></form><script>document.getElementById("f").submit()</script>'
    )
    port = free_port()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{port}/index.html"


def test_cross_origin_form_post_with_the_cookie_is_refused(
    server: Server, browser: Browser, tracker_path: str, tmp_path: Path
) -> None:
    tracker_id = tracker_path.rsplit("/", 1)[1]
    target = f"{server.base_url}/api/trackers/{tracker_id}/refresh"
    httpd, evil = _evil_site(tmp_path, target)
    try:
        context = new_context(browser, 1280)
        page = context.new_page()
        sign_in(page, server.base_url)
        with page.expect_response(target) as answer:
            page.goto(evil)
        response = answer.value
        assert response.status == 403
        assert "CSRF" in response.json()["message"]
        context.close()
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_has_no_console_errors_and_no_serious_axe_violations(
    server: Server, browser: Browser, tracker_path: str, width: int
) -> None:
    context = new_context(browser, width)
    page = context.new_page()
    console = ConsoleErrors(page)
    axe = Axe()
    found: dict[str, list[str]] = {}

    def scan(path: str) -> None:
        page.goto(server.base_url + path)
        assert no_horizontal_scroll(page), path
        results = axe.run(page)
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']}"
            for v in results.response["violations"]
            if v["impact"] in SERIOUS
        ]
        if bad:
            found[path] = bad

    scan("/sign-in")
    sign_in(page, server.base_url)
    for path in ("/", "/trackers/new", tracker_path, "/docs"):
        scan(path)
    assert found == {}
    assert console.errors == []
    context.close()


GUILD = "300000000000000003"
ROLE = "400000000000000004"


@pytest.fixture(scope="module")
def demo_guild(server: Server, tracker_path: str) -> str:
    """A guild synced by the bot: the demo staff user holds its admin role."""
    body = {
        "guild": {"id": GUILD, "name": "Demo League", "ownerId": DEMO_STAFF},
        "roles": {"admin": [{"id": ROLE, "name": "Staff"}]},
        "members": [
            {"userId": DEMO_STAFF, "roles": [ROLE], "username": "demo-staff"},
            {"userId": DEMO_PLAYER, "roles": [], "username": "demo-player"},
        ],
    }
    response = httpx.post(
        f"{server.base_url}/internal/guilds/{GUILD}/sync",
        json=body,
        headers={"Authorization": f"Bearer {BOT_KEY}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return GUILD


def _axe_serious(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("width", WIDTHS)
def test_staff_roster_and_live_formula_validation_then_admin_overview(
    server: Server, browser: Browser, demo_guild: str, width: int
) -> None:
    context = new_context(browser, width)
    page = context.new_page()
    console = ConsoleErrors(page)
    sign_in(page, server.base_url, "staff")
    page.click("nav >> text=Guilds")
    page.click("text=Demo League")
    expect(page.locator("h1")).to_contain_text("Demo League")
    roster = page.locator("table tbody")
    expect(roster).to_contain_text("demo-player")
    expect(roster.locator(".badge").first).to_contain_text("COMPLETED")
    assert no_horizontal_scroll(page) and _axe_serious(page) == []
    page.select_option("#sort", "name")
    page.select_option("#order", "asc")
    page.click("button:has-text('Apply')")
    expect(page.locator("table tbody tr")).to_have_count(2)
    assert "sort=name" in page.url

    page.click("button:has-text('Process this guild')")
    expect(page.locator("[role=status]")).to_contain_text("queued")
    expect(page.locator("#progress")).to_be_visible()

    page.click("text=Schedules")
    page.fill("#when", "2030-01-01T10:00")
    page.fill("#reason", f"season start {width}")
    page.click("button:has-text('Schedule')")
    row = page.locator("table tbody tr").filter(has_text=f"season start {width}").first
    expect(row).to_contain_text("PENDING")
    assert _axe_serious(page) == []
    row.locator("button:has-text('Cancel')").click()
    expect(page.locator("table tbody tr").filter(has_text=f"season start {width}")).to_contain_text(
        "CANCELLED"
    )
    page.click("text=Back to the roster")

    page.click("text=MMR settings and formula")
    # Typing before the deferred script has attached its listener would be typing into a
    # page without live checking: wait for the page's load event first.
    page.wait_for_url("**/formula", wait_until="load")
    page.fill("#formula", "twos *")
    expect(page.locator("#formula-result")).to_contain_text("Invalid formula")
    page.fill("#formula", "twos * 2 + ones")
    expect(page.locator("#formula-result")).to_contain_text("Valid formula")
    expect(page.locator("#formula-result")).to_contain_text("On the sample data it gives")
    assert no_horizontal_scroll(page) and _axe_serious(page) == []
    page.fill("#min-change", str(width))
    page.click("button:has-text('Save notifications')")
    expect(page.locator("main")).to_contain_text("Notification settings saved")
    page.click("text=Settings history")
    expect(page.locator("main")).to_contain_text(f'"minRatingChange": {width}')
    assert no_horizontal_scroll(page) and _axe_serious(page) == []
    assert console.errors == []
    context.close()

    admin_context = new_context(browser, width)
    admin = admin_context.new_page()
    admin_console = ConsoleErrors(admin)
    sign_in(admin, server.base_url, "admin")
    admin.click("nav >> text=Admin")
    expect(admin.locator("main")).to_contain_text("Queue depth")
    expect(admin.locator("main")).to_contain_text("COMPLETED")
    assert no_horizontal_scroll(admin) and _axe_serious(admin) == []
    assert admin_console.errors == []
    admin_context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_staff_take_a_pull_and_see_its_rows(
    server: Server, browser: Browser, demo_guild: str, width: int
) -> None:
    context = new_context(browser, width)
    page = context.new_page()
    console = ConsoleErrors(page)
    sign_in(page, server.base_url, "staff")
    page.goto(f"{server.base_url}/guilds/{demo_guild}")
    page.get_by_role("link", name="Pulls", exact=True).click()
    page.fill("#pull-name", f"Placement {width}")
    page.click("button:has-text('Take the pull')")
    expect(page.locator("h1")).to_contain_text(f"Placement {width}")
    rows = page.locator("table tbody")
    expect(rows).to_contain_text(DEMO_PLAYER)
    expect(rows).to_contain_text(DEMO_STAFF)
    assert no_horizontal_scroll(page) and _axe_serious(page) == []
    assert console.errors == []
    context.close()
