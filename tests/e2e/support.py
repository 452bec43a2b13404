"""Helpers of the end-to-end tests: real ``trackers`` processes and the README's HTTP steps."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

TRACKERS = str(Path(sys.executable).with_name("trackers"))
USER_ID = "123456789012345678"
STEAM_URL = (
    "https://rocketleague.tracker.network/rocket-league/profile/steam/76561198000000042/overview"
)
EXPECTED_SEASONS = [34, 33, 32, 31]
"""The simulator's template is at season 34; a first scrape adds the 3 previous ones."""

SETTINGS = (
    "DATABASE_URL", "REDIS_URL", "JWT_PUBLIC_KEY", "JWT_PRIVATE_KEY", "BOT_API_KEY",
    "SYSTEM_ADMIN_USER_IDS", "TRN_API_BASE_URL", "FLARESOLVERR_URL", "TRACKERS_SANDBOX",
    "TRACKERS_DATA_DIR", "DISCORD_BOT_TOKEN", "TRN_RATE_LIMIT_PER_MINUTE", "TRACKERS_QUEUE_NAME",
)  # fmt: skip


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(**values: str) -> dict[str, str]:
    """This environment without any service setting, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    return env | values


def unavailable(message: str) -> None:
    """A missing service fails the test in CI and skips it elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


class Processes:
    """Child processes with their logs; each is ended by its own PID."""

    def __init__(self, folder: Path, env: Mapping[str, str]) -> None:
        self.folder = folder
        self.env = dict(env)
        self.running: list[tuple[str, subprocess.Popen[bytes]]] = []

    def run(self, *args: str, timeout: float = 60) -> str:
        """Run ``trackers <args>`` to completion; its stdout (fails the test on error)."""
        done = subprocess.run(
            [TRACKERS, *args],
            env=self.env,
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"trackers {' '.join(args)}: {done.stderr}"
        return done.stdout

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        """Start ``trackers <args>`` in the background, logging to ``<name>.log``."""
        with (self.folder / f"{name}.log").open("wb") as log:
            proc = subprocess.Popen(
                [TRACKERS, *args], env=self.env, cwd=self.folder, stdout=log, stderr=log
            )
        self.running.append((name, proc))
        return proc

    def check_alive(self) -> None:
        """Fail the test at once when a background process has exited."""
        for name, proc in self.running:
            assert proc.poll() is None, f"{name} exited early\n{self.logs()}"

    def logs(self) -> str:
        """The end of every process's log, for failure messages."""
        parts = []
        for name, proc in self.running:
            text = (self.folder / f"{name}.log").read_text(errors="replace")
            parts.append(f"--- {name} (pid {proc.pid}, exit {proc.poll()}) ---\n{text[-3000:]}")
        return "\n".join(parts)

    def stop_all(self) -> None:
        """SIGTERM each process by PID, SIGKILL it if it has not ended within 15 s."""
        for _name, proc in reversed(self.running):
            if proc.poll() is None:
                proc.terminate()
        for _name, proc in reversed(self.running):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


@contextmanager
def processes(folder: Path, env: Mapping[str, str]) -> Iterator[Processes]:
    """Processes that are always stopped at the end."""
    group = Processes(folder, env)
    try:
        yield group
    finally:
        group.stop_all()


def wait_for_health(base_url: str, group: Processes, timeout: float = 120) -> dict[str, Any]:
    """Poll ``GET /health`` until it answers 200; fail early if a process died."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        group.check_alive()
        try:
            response = httpx.get(f"{base_url}/health", timeout=2)
            if response.status_code == 200:
                body: dict[str, Any] = response.json()
                return body
            last = f"{response.status_code} {response.text[:300]}"
        except httpx.TransportError as exc:
            last = repr(exc)
        time.sleep(0.3)
    pytest.fail(f"/health not ready after {timeout} s: {last}\n{group.logs()}")


def register_and_read(
    base_url: str, token: str, group: Processes, timeout: float = 40
) -> dict[str, Any]:
    """The README's steps: register the steam profile, then read it until COMPLETED."""
    headers = {"Authorization": f"Bearer {token}"}
    created = httpx.post(
        f"{base_url}/api/trackers/register",
        json={"urls": [STEAM_URL]},
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 201, f"{created.status_code} {created.text}\n{group.logs()}"
    tracker_id = created.json()[0]["id"]
    deadline = time.monotonic() + timeout
    tracker: dict[str, Any] = {}
    while time.monotonic() < deadline:
        group.check_alive()
        response = httpx.get(f"{base_url}/api/trackers/{tracker_id}", headers=headers, timeout=10)
        assert response.status_code == 200, f"{response.status_code} {response.text}"
        tracker = response.json()
        if tracker["scrapingStatus"] in ("COMPLETED", "FAILED"):
            break
        time.sleep(0.5)
    assert tracker.get("scrapingStatus") == "COMPLETED", f"{tracker}\n{group.logs()}"
    return tracker


def assert_template_seasons(tracker: dict[str, Any]) -> None:
    """The first scrape stored the current season and the three before it."""
    seasons = tracker["seasons"]
    assert [s["seasonNumber"] for s in seasons] == EXPECTED_SEASONS
    assert seasons[0]["seasonName"] == "Season 20 (34)"
    assert isinstance(seasons[0]["playlist2v2"]["rating"], int)
    assert tracker["url"] == STEAM_URL
    assert tracker["lastScrapedAt"]


@contextmanager
def dedicated_redis_db(host: str = "127.0.0.1", port: int = 6379) -> Iterator[str]:
    """The URL of an empty Redis database index claimed for this test, flushed afterwards."""
    marker = "trackers-e2e:claimed"
    try:
        redis.Redis(host=host, port=port, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        unavailable(f"Redis not reachable at {host}:{port}: {exc}")
    for index in range(15, 0, -1):
        client = redis.Redis(host=host, port=port, db=index, socket_connect_timeout=2)
        if client.dbsize() == 0 and client.set(marker, "1", nx=True):
            try:
                yield f"redis://{host}:{port}/{index}"
            finally:
                client.flushdb()
                client.close()
            return
        client.close()
    pytest.fail("no empty Redis database index (1-15) to run the production flow in")
