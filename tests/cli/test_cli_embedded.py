"""Embedded mode: queued work starts at once (the server is woken, or the CLI scrapes)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import attrs
import pytest

from entrypoints.cli import embedded
from entrypoints.cli.services import Services
from entrypoints.config import Settings
from entrypoints.container import Container, set_container
from entrypoints.runtime import wakeup
from tests.builders import page
from tests.cli.conftest import USER, FakeServer, Invoke, make_container, register_one, steam_url
from tests.fakes import FakeFetcher, FakeQueue, FakeUnitOfWork, FixedClock
from tracker_core.errors import FetchNetworkError, ProfileNotFoundError
from tracker_core.model import TrackerStatus

API_PATH = "steam/alice"


def test_a_running_server_is_woken_instead_of_waiting_for_its_reconciler(
    run: Invoke, server: FakeServer, fetcher: FakeFetcher
) -> None:
    result = run("register", "--user", USER, steam_url("alice"))
    assert result.exit_code == 0, result.stderr
    assert server.woken == 1
    assert "Woke the running `trackers serve` (pid 4242)" in result.stderr
    assert fetcher.calls == []  # the server scrapes, not the command


def test_without_a_server_the_command_scrapes_itself(
    run: Invoke, server: FakeServer, fetcher: FakeFetcher, uow: FakeUnitOfWork
) -> None:
    server.running = False
    fetcher.pages[(API_PATH, None)] = page(available=(34,))
    result = run("register", "--user", USER, steam_url("alice"))
    assert result.exit_code == 0, result.stderr
    assert "scraping here" in result.stderr and "Scraped here: 1 COMPLETED" in result.stderr
    (tracker,) = uow.committed.trackers.values()
    assert tracker.scraping_status == TrackerStatus.COMPLETED
    assert (tracker.id, 34) in uow.committed.seasons
    assert server.woken == 0


def test_refresh_wait_without_a_server_completes_in_the_command(
    run: Invoke,
    server: FakeServer,
    fetcher: FakeFetcher,
    uow: FakeUnitOfWork,
    clock: FixedClock,
    settings: Settings,
) -> None:
    # the embedded mode's own command queue: trackers are left PENDING in the database
    set_container(make_container(settings, uow=uow, clock=clock, fetcher=fetcher))
    fetcher.pages[(API_PATH, None)] = page(available=(34,))
    tracker_id = register_one(run)  # a server is running: it is only woken
    assert server.woken == 1 and fetcher.calls == []
    server.running = False  # … and gone before the refresh
    uow.committed.trackers[tracker_id].scraping_status = TrackerStatus.COMPLETED
    data = json.loads(run("refresh", tracker_id, "--wait", "--json").stdout)
    assert data["enqueued"] is True and data["final"] == {"COMPLETED": 1}
    assert fetcher.calls == [(API_PATH, None)]


def test_a_failed_scrape_in_the_command_exits_1_with_wait(
    run: Invoke, server: FakeServer, fetcher: FakeFetcher
) -> None:
    tracker_id = register_one(run)
    server.running = False
    fetcher.pages[(API_PATH, None)] = ProfileNotFoundError("no such player")
    result = run("batch-refresh", tracker_id, "--wait")
    assert result.exit_code == 1
    assert "1 tracker(s) FAILED" in result.stderr


def test_production_mode_neither_wakes_nor_scrapes(
    settings: Settings,
    uow: FakeUnitOfWork,
    queue: FakeQueue,
    clock: FixedClock,
    fetcher: FakeFetcher,
    server: FakeServer,
    run: Invoke,
) -> None:
    production = attrs.evolve(settings, redis_url="redis://127.0.0.1:1/0")
    set_container(make_container(production, uow=uow, queue=queue, clock=clock, fetcher=fetcher))
    server.running = False
    result = run("register", "--user", USER, steam_url("alice"))
    assert result.exit_code == 0, result.stderr
    assert len(queue.jobs) == 1 and fetcher.calls == [] and server.woken == 0


def test_the_lock_names_the_serving_process_while_held(tmp_path: Path) -> None:
    assert wakeup.server_pid(tmp_path) is None
    lock = wakeup.hold_server_lock(tmp_path)
    try:
        assert lock.held
        assert wakeup.server_pid(tmp_path) == os.getpid()
        assert not wakeup.hold_server_lock(tmp_path).held  # a second server does not get it
    finally:
        lock.release()
    assert wakeup.server_pid(tmp_path) is None  # the file stays, the claim is gone


def test_a_stale_pid_file_is_no_server(tmp_path: Path) -> None:
    wakeup.lock_path(tmp_path).write_text("999999")
    assert wakeup.server_pid(tmp_path) is None


@pytest.mark.skipif(wakeup.WAKE_SIGNAL is None, reason="no SIGUSR1 on this platform")
def test_the_wake_signal_runs_a_reconcile() -> None:
    done = threading.Event()
    restore = wakeup.on_wake_signal(done.set)
    try:
        assert wakeup.wake_server(os.getpid())
        assert done.wait(10)
    finally:
        restore()
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL


# Scraping in the command itself: deleted trackers, retries within --wait, and the sandbox


def test_a_tracker_deleted_before_the_command_scrapes_it_counts_as_deleted(
    run: Invoke, server: FakeServer, fetcher: FakeFetcher, container: Container
) -> None:
    tracker_id = register_one(run)  # a server runs: the command only wakes it
    container.command_use_cases().delete_tracker(USER, tracker_id)
    svc = Services(container, container.settings())
    assert embedded.scrape_here(svc, [tracker_id], None) == {"DELETED": 1}
    assert fetcher.calls == []


@pytest.fixture
def compressed_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The command's sleeps before a retry, which take no time (the test moves its clock)."""
    sleeps: list[float] = []
    monkeypatch.setattr(embedded, "sleep", sleeps.append)
    return sleeps


def test_with_wait_a_retry_due_before_the_deadline_is_made_in_the_command(
    run: Invoke,
    server: FakeServer,
    fetcher: FakeFetcher,
    uow: FakeUnitOfWork,
    clock: FixedClock,
    compressed_sleep: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tracker_id = register_one(run)
    server.running = False
    fetcher.pages[(API_PATH, None)] = FetchNetworkError("connection reset")

    def time_passes(seconds: float) -> None:  # tracker.gg answers again meanwhile
        compressed_sleep.append(seconds)
        clock.advance(seconds=seconds)
        fetcher.pages[(API_PATH, None)] = page(available=(34,))

    monkeypatch.setattr(embedded, "sleep", time_passes)
    result = run("refresh", tracker_id, "--wait", "--timeout", "600")

    assert result.exit_code == 0, result.stderr
    assert "Scraped here: 1 COMPLETED" in result.stderr
    assert fetcher.calls == [(API_PATH, None)] * 2
    tracker = uow.committed.trackers[tracker_id]
    assert tracker.scraping_status == TrackerStatus.COMPLETED
    (slept,) = compressed_sleep
    assert 0 < slept < 600  # the policy's retry delay, spent here


def test_with_wait_a_retry_after_the_deadline_is_left_to_the_server(
    run: Invoke,
    fetcher: FakeFetcher,
    uow: FakeUnitOfWork,
    container: Container,
    compressed_sleep: list[float],
) -> None:
    tracker_id = register_one(run)
    fetcher.pages[(API_PATH, None)] = FetchNetworkError("connection reset")
    svc = Services(container, container.settings())
    ended = embedded.scrape_here(svc, [tracker_id], deadline=time.monotonic() + 1)
    assert ended == {"PENDING": 1}
    assert compressed_sleep == [] and fetcher.calls == [(API_PATH, None)]
    assert uow.committed.trackers[tracker_id].next_attempt_at is not None


def test_retries_in_the_command_are_bounded_by_the_attempts_allowed(
    run: Invoke,
    fetcher: FakeFetcher,
    container: Container,
    compressed_sleep: list[float],
) -> None:
    """A retry the clock never reaches (it stands still here) is tried at most max attempts."""
    tracker_id = register_one(run)
    fetcher.pages[(API_PATH, None)] = FetchNetworkError("connection reset")
    svc = Services(container, container.settings())
    ended = embedded.scrape_here(svc, [tracker_id], deadline=time.monotonic() + 3600)
    assert ended == {"PENDING": 1}
    attempts = container.policy().max_scraping_attempts
    assert len(compressed_sleep) == attempts
    assert fetcher.calls == [(API_PATH, None)]  # the later attempts found it not due yet


def test_in_the_sandbox_the_command_scrapes_the_built_in_simulator(
    run: Invoke,
    server: FakeServer,
    settings: Settings,
    uow: FakeUnitOfWork,
    clock: FixedClock,
) -> None:
    sandbox = attrs.evolve(settings, sandbox=True, trn_rate_limit_per_minute=6000)
    container = make_container(sandbox, uow=uow, clock=clock)  # the real fetcher
    set_container(container)
    server.running = False
    result = run("register", "--user", USER, steam_url("alice"))
    assert result.exit_code == 0, result.stderr
    assert "Scraped here: 1 COMPLETED" in result.stderr
    (tracker,) = uow.committed.trackers.values()
    assert tracker.scraping_status == TrackerStatus.COMPLETED
    assert sorted(n for t, n in uow.committed.seasons if t == tracker.id) == [31, 32, 33, 34]
    # the simulator's address was the command's only: the settings are as before
    assert container.settings().trn_api_base_url == sandbox.trn_api_base_url
