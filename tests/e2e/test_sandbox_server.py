"""The README's Quick start against a real ``trackers serve --sandbox`` process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.support import (
    USER_ID,
    assert_template_seasons,
    clean_env,
    free_port,
    processes,
    register_and_read,
    wait_for_health,
)

pytestmark = [pytest.mark.timeout(90), pytest.mark.xdist_group("timing")]


def test_sandbox_server_scrapes_a_registered_tracker(tmp_path: Path) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # Time-compressed: the demo's seeded first scrapes share the request budget with the one
    # registered here (60 a minute by default, so it waited for them for seconds).
    env = clean_env(TRACKERS_DATA_DIR=str(tmp_path / "var"), TRN_RATE_LIMIT_PER_MINUTE="600")
    with processes(tmp_path, env) as group:
        group.start("serve", "serve", "--sandbox", "--port", str(port))
        health = wait_for_health(base_url, group)
        assert "sandbox" in str(health).lower()
        token = group.run("dev-token", "--user", USER_ID, "--username", "alice").strip()
        tracker = register_and_read(base_url, token, group)
        assert_template_seasons(tracker)
        assert tracker["userId"] == USER_ID
        rows = json.loads(group.run("export", "--json"))  # with the seeded demo trackers
        (row,) = [r for r in rows if r["id"] == tracker["id"]]
        assert row["season"] == 34
        assert "SANDBOX MODE" in (tmp_path / "serve.log").read_text()
