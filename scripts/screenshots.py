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

from playwright.sync_api import Page, expect  # noqa: E402
from tests.browser.support import (  # noqa: E402
    STEAM,
    WIDTHS,
    chromium,
    new_context,
    sandbox_server,
    sign_in,
    wait_for_status,
)

OUT = ROOT / "docs" / "img"
PROFILE = STEAM.format("76561198000000042")


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
            print(f"{width} px: {len(shots) + 1} screenshots in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
