"""Screenshots of every dashboard page at 390 and 1280 px into docs/img/.

Starts its own ``trackers serve --sandbox`` on a free loopback port, signs in as the demo
player, adds a tracker, refreshes it twice (so the chart has three points) and photographs
each page in the system Chromium. Run: ``.venv/bin/python scripts/screenshots.py``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402
from tests.browser.support import (  # noqa: E402
    BOT_KEY,
    STEAM,
    WIDTHS,
    chromium,
    new_context,
    sandbox_server,
    sign_in,
    wait_for_status,
)

from entrypoints.http.dashboard.signin import DEMO_PLAYER, DEMO_STAFF  # noqa: E402

OUT = ROOT / "docs" / "img"
PROFILE = STEAM.format("76561198000000042")
GUILD = "300000000000000003"
ROLE = "400000000000000004"


def demo_guild(base_url: str) -> None:
    """The bot syncs a guild: demo-staff holds its admin role, demo-player is a member."""
    body = {
        "guild": {"id": GUILD, "name": "Demo League", "ownerId": DEMO_STAFF},
        "roles": {"admin": [{"id": ROLE, "name": "Staff"}]},
        "members": [
            {"userId": DEMO_STAFF, "roles": [ROLE], "username": "demo-staff"},
            {"userId": DEMO_PLAYER, "roles": [], "username": "demo-player"},
        ],
    }
    headers = {"Authorization": f"Bearer {BOT_KEY}"}
    url = f"{base_url}/internal/guilds/{GUILD}/sync"
    httpx.post(url, json=body, headers=headers, timeout=10).raise_for_status()


def refresh(page: Page) -> None:
    button = page.locator("main form.inline button")
    expect(button).to_be_enabled(timeout=10_000)
    button.click()
    page.wait_for_load_state()
    wait_for_status(page, "COMPLETED")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as folder,
        sandbox_server(Path(folder)) as server,
        chromium() as browser,
    ):
        setup = new_context(browser, 1280).new_page()
        sign_in(setup, server.base_url)
        setup.goto(f"{server.base_url}/trackers/new")
        setup.fill("#url", PROFILE)
        expect(setup.locator("#preview code")).to_be_visible()
        setup.click("#add-form button")
        setup.wait_for_url("**/trackers/c*")
        detail = setup.url
        wait_for_status(setup, "COMPLETED")
        refresh(setup)
        refresh(setup)
        demo_guild(server.base_url)
        for width in WIDTHS:
            page = new_context(browser, width).new_page()
            page.goto(f"{server.base_url}/sign-in")
            page.screenshot(path=OUT / f"dashboard-sign-in-{width}.png")
            sign_in(page, server.base_url)
            shots = {
                "trackers": f"{server.base_url}/",
                "add": f"{server.base_url}/trackers/new?url={PROFILE}",
                "tracker": detail,
                "docs": f"{server.base_url}/docs",
            }
            for name, url in shots.items():
                page.goto(url)
                page.screenshot(
                    path=OUT / f"dashboard-{name}-{width}.png", full_page=name != "docs"
                )
            staff = new_context(browser, width).new_page()
            sign_in(staff, server.base_url, "staff")
            staff_shots = {
                "roster": f"{server.base_url}/guilds/{GUILD}",
                "settings": f"{server.base_url}/guilds/{GUILD}/formula?formula=twos*2%2Bones",
                "schedules": f"{server.base_url}/guilds/{GUILD}/schedules",
            }
            for name, url in staff_shots.items():
                staff.goto(url)
                staff.screenshot(path=OUT / f"dashboard-{name}-{width}.png", full_page=True)
            admin = new_context(browser, width).new_page()
            sign_in(admin, server.base_url, "admin")
            admin.goto(f"{server.base_url}/admin")
            admin.screenshot(path=OUT / f"dashboard-admin-{width}.png", full_page=True)
            count = len(shots) + len(staff_shots) + 2
            print(f"{width} px: {count} screenshots in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
