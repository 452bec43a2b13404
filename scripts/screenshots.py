"""Screenshots of every dashboard page at 390 and 1280 px into docs/img/.

Starts its own ``trackers serve --sandbox`` on a free loopback port, signs in as the demo
player, adds a tracker, refreshes it twice (so the chart has three points), has the bot sync a
guild and take two numbers pulls (one member overridden in the second, so the diff shows a
move) and photographs each page in the system Chromium.
Run: ``.venv/bin/python scripts/screenshots.py``.
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

from entrypoints.sandbox import DEMO_PLAYER, DEMO_STAFF  # noqa: E402

OUT = ROOT / "docs" / "img"
PROFILE = STEAM.format("76561198000000042")
GUILD = "300000000000000003"
ROLE = "400000000000000004"


def demo_guild(base_url: str) -> None:
    """The bot syncs a guild (demo-staff holds its admin role, demo-player is a member) and
    changes two of its settings (for the settings history)."""
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
    settings = {"notifications": {"minRatingChange": 10}, "flags": {"staleDays": 5}}
    url = f"{base_url}/internal/guilds/{GUILD}/settings"
    httpx.patch(url, json=settings, headers=headers, timeout=10).raise_for_status()


def take_pull(base_url: str, name: str) -> str:
    """The bot takes a numbers pull of the demo guild; its id."""
    headers = {"Authorization": f"Bearer {BOT_KEY}"}
    url = f"{base_url}/internal/guilds/{GUILD}/pulls"
    response = httpx.post(url, json={"name": name}, headers=headers, timeout=10)
    response.raise_for_status()
    pull_id: str = response.json()["id"]
    return pull_id


def override(base_url: str, pull_id: str, user_id: str) -> None:
    """Staff (through the bot) override a member's MMR in a pull, so that the diff shows a move."""
    headers = {"Authorization": f"Bearer {BOT_KEY}"}
    url = f"{base_url}/internal/guilds/{GUILD}/pulls/{pull_id}/members/{user_id}/override"
    body = {"mmr": 1650, "reason": "placed by staff after review", "actorId": DEMO_STAFF}
    httpx.put(url, json=body, headers=headers, timeout=10).raise_for_status()


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
        first = take_pull(server.base_url, "Placement")
        second = take_pull(server.base_url, "Week 1")
        override(server.base_url, second, DEMO_PLAYER)
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
            guild = f"{server.base_url}/guilds/{GUILD}"
            staff_shots = {
                "roster": f"{server.base_url}/guilds/{GUILD}",
                "settings": f"{server.base_url}/guilds/{GUILD}/formula?formula=twos*2%2Bones",
                "schedules": f"{server.base_url}/guilds/{GUILD}/schedules",
                "league": f"{server.base_url}/guilds/{GUILD}/league",
                "pulls": f"{server.base_url}/guilds/{GUILD}/pulls",
                "pull": f"{server.base_url}/guilds/{GUILD}/pulls/{second}",
                "diff": f"{guild}/pulls/diff?before={first}&after={second}",
                "flags": f"{server.base_url}/guilds/{GUILD}/flags",
                "history": f"{guild}/settings/history",
                "manual": f"{server.base_url}/guilds/{GUILD}/members/{DEMO_PLAYER}/manual-ratings",
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
