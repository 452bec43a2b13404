"""``trackers serve`` in the embedded mode (``entrypoints.runtime.serve``), run in the test
process: the HTTP server, the background workers and scheduler, the wake-up lock and signal.

The e2e tests start ``trackers serve`` as a process of its own; here ``serve_embedded`` runs in
the test's main thread (SQLite under the test's folder, a fake fetcher) while a helper thread
uses it as a CLI command would: it reads the server's pid in the lock, queues a tracker, wakes
the server with SIGUSR1, waits for the scrape, and stops the server with SIGTERM. The signals
are real and sent to this process only while the server's handlers are installed
(``signal_guard`` restores the previous handlers).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from tests.builders import page
from tests.fakes import FakeFetcher
from tests.signal_guard import Unhandled, signal_guard

from entrypoints.config import load_settings
from entrypoints.container import EmbeddedContainer, container_for, is_embedded
from entrypoints.runtime import serve as runtime_serve
from entrypoints.runtime import wakeup
from entrypoints.shared_metrics import MULTIPROC_ENV
from tracker_core.model import TrackerStatus
from tracker_core.use_cases.queries import Viewer
from tracker_core.use_cases.trackers import RegisterTrackers

__all__ = ["signal_guard"]  # fixtures used by this module
pytestmark = pytest.mark.timeout(30)

USER = "123456789012345678"
OPERATOR = Viewer("test-operator", is_system_admin=True)
URL = "https://rocketleague.tracker.network/rocket-league/profile/steam/alice/overview"


def wait_for(check: Callable[[], Any], what: str, seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class CliCommand:
    """What a CLI command does to a running embedded server, run on a thread of its own."""

    def __init__(self, container: EmbeddedContainer, data_dir: Path, records: list[Any]) -> None:
        self.container = container
        self.data_dir = data_dir
        self.records = records
        self.seen: dict[str, Any] = {}
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="cli-command")

    def _listening_port(self) -> int | None:
        for record in list(self.records):
            if record.getMessage().startswith("Tracker Service listening on"):
                port: int = record.args[1]
                return port
        return None

    def _logged(self, start: str) -> bool:
        return any(r.getMessage().startswith(start) for r in list(self.records))

    def _run(self) -> None:
        try:
            port = wait_for(self._listening_port, "the server to listen")
            base = f"http://127.0.0.1:{port}"
            self.seen["health"] = httpx.get(f"{base}/health", timeout=10).status_code
            self.seen["pid"] = wakeup.server_pid(self.data_dir)
            (tracker,) = self.container.command_use_cases().register_trackers(
                RegisterTrackers(user_id=USER, urls=(URL,))
            )
            self.seen["queued"] = tracker.scraping_status
            self.seen["woken"] = wakeup.wake_server(self.seen["pid"])
            view = self.container.use_cases().get_tracker_status
            ended = (TrackerStatus.COMPLETED, TrackerStatus.FAILED)
            self.seen["final"] = wait_for(
                lambda: (s := view(OPERATOR, tracker.id).status) in ended and s,
                "the scrape the wake-up started",
            )
            wait_for(lambda: self._logged("woken by a CLI command"), "the wake-up's log line")
        except BaseException as exc:
            self.error = exc
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # stop the server, also after a failure
            # serve_forever looks at its stop flag between polls: a request wakes it
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"http://127.0.0.1:{self._listening_port()}/health", timeout=2)


@pytest.mark.xdist_group("timing")
def test_serve_embedded_answers_is_woken_by_a_cli_command_and_stops_on_sigterm(
    tmp_path: Path, signal_guard: Unhandled, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    settings = load_settings({}, data_dir=tmp_path / "var", bot_api_key="bot-key")
    container = container_for(settings)
    assert is_embedded(container)
    fetcher = FakeFetcher()
    fetcher.pages[("steam/alice", None)] = page(available=(34,))
    container.fetcher.override(providers.Object(fetcher))
    command = CliCommand(container, settings.data_dir, caplog.records)
    before = set(threading.enumerate())
    command.thread.start()

    runtime_serve.serve_embedded(container, settings, "127.0.0.1", 0)

    command.thread.join(10)
    if command.error is not None:
        raise command.error
    assert command.seen == {
        "health": 200,
        "pid": os.getpid(),  # the serving process holds the lock …
        "queued": TrackerStatus.PENDING,  # … the command only left the tracker PENDING …
        "woken": True,
        "final": TrackerStatus.COMPLETED,  # … and the woken server scraped it
    }
    assert fetcher.calls == [("steam/alice", None)]
    lines = [r.getMessage() for r in caplog.records if r.name == "trackers.serve"]
    assert "woken by a CLI command: 1 tracker(s) queued" in lines
    assert "received SIGTERM, stopping" in lines
    assert not any("BOT_API_KEY" in line for line in lines)  # it was set
    assert signal_guard.signals == []  # each signal reached the server's own handler
    # Stopped: the lock is free, the handlers are given back, no background thread is left
    assert wakeup.server_pid(settings.data_dir) is None
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
        assert signal.getsignal(signum) == signal_guard.handler
    left = [t.name for t in set(threading.enumerate()) - before if t.is_alive()]
    assert not [name for name in left if name == "scheduler" or name.startswith("scrape-")]


def test_stop_signals_are_not_taken_off_the_main_thread(signal_guard: Unhandled) -> None:
    restores: list[Callable[[], None]] = []
    thread = threading.Thread(
        target=lambda: restores.append(runtime_serve.on_stop_signals(lambda: None))
    )
    thread.start()
    thread.join(5)
    (restore,) = restores
    assert signal.getsignal(signal.SIGTERM) == signal_guard.handler
    restore()  # nothing to give back
    assert signal.getsignal(signal.SIGTERM) == signal_guard.handler


def test_a_stop_signal_calls_the_handler_until_restored(
    signal_guard: Unhandled, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    calls: list[str] = []
    restore = runtime_serve.on_stop_signals(lambda: calls.append("stop"))
    signal.raise_signal(signal.SIGINT)
    signal.raise_signal(signal.SIGTERM)
    restore()
    signal.raise_signal(signal.SIGTERM)
    assert calls == ["stop", "stop"]
    assert signal_guard.signals == [signal.SIGTERM]  # after the restore
    assert [r.getMessage() for r in caplog.records] == [
        "received SIGINT, stopping",
        "received SIGTERM, stopping",
    ]


def test_a_gunicorn_worker_that_exited_has_its_live_gauges_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    for pid in (4242, 4343):
        (tmp_path / f"gauge_livesum_{pid}.db").write_bytes(b"")
        (tmp_path / f"counter_{pid}.db").write_bytes(b"")
    runtime_serve._child_exit(object(), SimpleNamespace(pid=4242))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "counter_4242.db",  # counters outlive their process
        "counter_4343.db",
        "gauge_livesum_4343.db",
    ]
