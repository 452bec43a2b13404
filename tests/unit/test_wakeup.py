"""The embedded server's lock and wake-up signal (``entrypoints.runtime.wakeup``): failures and
platforms without ``fcntl`` or ``SIGUSR1``. The lock's and the signal's everyday use is in
tests/cli/test_cli_embedded.py and tests/integration/test_serve_in_process.py."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.signal_guard import Unhandled, signal_guard

from entrypoints.runtime import wakeup

__all__ = ["signal_guard"]  # fixtures used by this module

NO_SUCH_PID = 2**31 - 1  # above any pid_max


def test_releasing_twice_is_harmless(tmp_path: Path) -> None:
    lock = wakeup.hold_server_lock(tmp_path)
    assert lock.held
    lock.release()
    lock.release()
    assert not lock.held
    assert wakeup.server_pid(tmp_path) is None


def test_without_fcntl_there_is_no_lock_and_no_server_to_find(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wakeup, "fcntl", None)
    assert not wakeup.hold_server_lock(tmp_path).held
    assert not wakeup.lock_path(tmp_path).exists()
    wakeup.lock_path(tmp_path).write_text(str(os.getpid()))  # even a pid file is no server
    assert wakeup.server_pid(tmp_path) is None


def test_without_a_wake_signal_nothing_is_sent_or_installed(
    monkeypatch: pytest.MonkeyPatch, signal_guard: Unhandled
) -> None:
    monkeypatch.setattr(wakeup, "WAKE_SIGNAL", None)
    assert not wakeup.wake_server(os.getpid())
    restore = wakeup.on_wake_signal(lambda: None)
    restore()
    assert signal.getsignal(signal.SIGUSR1) == signal_guard.handler
    assert signal_guard.signals == []


def test_a_server_that_is_gone_cannot_be_woken(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="trackers.wakeup"):
        assert not wakeup.wake_server(NO_SUCH_PID)
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith(f"could not wake `trackers serve` (pid {NO_SUCH_PID}): ")
    assert "No such process" in line


def test_the_wake_signal_is_not_taken_off_the_main_thread(signal_guard: Unhandled) -> None:
    restores: list[Callable[[], None]] = []
    thread = threading.Thread(target=lambda: restores.append(wakeup.on_wake_signal(lambda: None)))
    thread.start()
    thread.join(5)
    (restore,) = restores
    assert signal.getsignal(signal.SIGUSR1) == signal_guard.handler
    restore()
    assert signal.getsignal(signal.SIGUSR1) == signal_guard.handler


def test_a_failing_reconcile_on_wake_up_is_logged_and_the_next_wake_up_runs(
    signal_guard: Unhandled, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def reconcile() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("database gone")

    caplog.set_level(logging.INFO, logger="trackers.wakeup")
    restore = wakeup.on_wake_signal(reconcile)
    try:
        signal.raise_signal(signal.SIGUSR1)
        wait_until(lambda: len(caplog.records) == 1)
        signal.raise_signal(signal.SIGUSR1)
        wait_until(lambda: len(calls) == 2)
    finally:
        restore()
    (failed,) = caplog.records
    assert failed.getMessage() == "reconcile on wake-up failed"
    assert failed.exc_info is not None and str(failed.exc_info[1]) == "database gone"
    assert signal_guard.signals == []


def wait_until(check: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)
