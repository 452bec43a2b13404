"""``trackers serve --sandbox`` seeds its demo data on the first start only: the dashboard
shows charts at once, a simulated failure ends FAILED, and a restart seeds nothing again."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from entrypoints.sandbox import DEMO_ADMIN, MEMBERS
from tests.e2e.support import clean_env, free_port, processes, wait_for_health

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180), pytest.mark.xdist_group("timing")]


@contextmanager
def _signed_in(base_url: str, role: str) -> Iterator[httpx.Client]:
    """A client holding the sandbox sign-in's cookie of a demo user."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        response = client.post("/sign-in", data={"user": role}, headers={"Origin": base_url})
        assert response.status_code == 303, response.text
        yield client


def _trackers(base_url: str, token: str, status: str | None = None) -> int:
    params = {"status": status} if status else {}
    response = httpx.get(
        f"{base_url}/api/admin/trackers",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    total: int = response.json()["pagination"]["total"]
    return total


def test_first_start_seeds_charts_and_failures_once(tmp_path: Path) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = clean_env(TRACKERS_DATA_DIR=str(tmp_path / "var"))
    expected = sum(len(m.profiles) for m in MEMBERS)
    with processes(tmp_path, env) as group:
        group.start("serve", "serve", "--sandbox", "--port", str(port))
        wait_for_health(base_url, group)
        with _signed_in(base_url, "player") as player:
            mine = player.get("/")
            assert mine.status_code == 200
            (tracker,) = set(re.findall(r'href="(/trackers/c[a-z0-9]{24})"', mine.text))
            detail = player.get(tracker).text
            assert '<figure class="chart"' in detail and 'class="dot"' in detail
        token = group.run("dev-token", "--user", DEMO_ADMIN, "--username", "demo-admin").strip()
        assert _trackers(base_url, token) == expected
        deadline = time.monotonic() + 60
        while _trackers(base_url, token, "FAILED") == 0:
            assert time.monotonic() < deadline, group.logs()
            group.check_alive()
            time.sleep(0.5)
        with _signed_in(base_url, "admin") as admin:
            assert "not_found" in admin.get("/admin").text
    with processes(tmp_path, env) as again:
        again.start("again", "serve", "--sandbox", "--port", str(port))
        wait_for_health(base_url, again)
        assert _trackers(base_url, token) == expected
    logs = (tmp_path / "serve.log").read_text() + (tmp_path / "again.log").read_text()
    assert logs.count("seeded the demo guild") == 1
