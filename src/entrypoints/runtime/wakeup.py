"""Embedded mode: how a one-shot CLI command finds the running ``trackers serve`` and wakes it.

The embedded server holds an exclusive ``flock`` on ``<data dir>/serve.lock`` (with its pid
written inside) for as long as it runs, so the lock is free again the instant it exits, even
after a crash: a stale pid file can never be mistaken for a live server. A CLI command that
queued work sends that pid ``SIGUSR1``; the server answers by reconciling at once (queuing
every due PENDING tracker) instead of at its next reconcile tick. When nobody holds the lock,
the command runs the scrapes itself (``entrypoints.cli.embedded``). POSIX only: elsewhere
``find_server`` finds nothing and the command scrapes in-process.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import IO

log = logging.getLogger("trackers.wakeup")

LOCK_NAME = "serve.lock"
LOCK_ATTEMPTS = 5
LOCK_RETRY_SECONDS = 0.1
WAKE_SIGNAL = getattr(signal, "SIGUSR1", None)

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]


def lock_path(data_dir: Path) -> Path:
    """Where the embedded server's lock lives."""
    return Path(data_dir) / LOCK_NAME


class ServerLock:
    """The embedded server's claim on its data directory (held until :meth:`release`)."""

    def __init__(self, handle: IO[str] | None) -> None:
        self._handle = handle

    @property
    def held(self) -> bool:
        """Whether this process holds the lock (False: another server does, or not POSIX)."""
        return self._handle is not None

    def release(self) -> None:
        """Give the lock up (closing the file releases the flock)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def hold_server_lock(data_dir: Path) -> ServerLock:
    """Take the lock and write this process's pid in it; not held when another server has it."""
    if fcntl is None:
        return ServerLock(None)
    path = lock_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="ascii")
    for attempt in range(LOCK_ATTEMPTS):  # a CLI may be peeking at the lock this instant
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError:
            if attempt < LOCK_ATTEMPTS - 1:
                time.sleep(LOCK_RETRY_SECONDS)
    else:
        handle.close()
        log.warning(
            "another `trackers serve` (pid %s) uses %s: CLI commands will wake that one",
            server_pid(data_dir),
            Path(data_dir).resolve(),
        )
        return ServerLock(None)
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return ServerLock(handle)


def server_pid(data_dir: Path) -> int | None:
    """The pid of the embedded server running on ``data_dir``, None when none runs."""
    if fcntl is None:
        return None
    path = lock_path(data_dir)
    try:
        handle = path.open("r", encoding="ascii")
    except FileNotFoundError:
        return None
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:  # held: a server runs
            text = handle.read().strip()
            return int(text) if text.isdigit() else None
        return None  # we could lock it: nobody serves (the shared lock goes with the file)


def wake_server(pid: int) -> bool:
    """Ask the server to reconcile now; False when it cannot be signalled."""
    if WAKE_SIGNAL is None:
        return False
    try:
        os.kill(pid, WAKE_SIGNAL)
    except OSError as exc:
        log.warning("could not wake `trackers serve` (pid %d): %s", pid, exc)
        return False
    return True


def on_wake_signal(reconcile: Callable[[], None]) -> Callable[[], None]:
    """Run ``reconcile`` on a fresh thread at each wake signal (main thread only); the restorer.

    The handler only starts a thread: a signal handler must not block the serving loop, and
    reconciling is safe alongside the scheduler's own (each claim is compare-and-set).
    """
    if WAKE_SIGNAL is None or threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=_run_logged, args=(reconcile,), name="wake", daemon=True).start()

    previous = signal.signal(WAKE_SIGNAL, on_signal)
    signal_number = WAKE_SIGNAL

    def restore() -> None:
        signal.signal(signal_number, previous)

    return restore


def _run_logged(reconcile: Callable[[], None]) -> None:
    try:
        reconcile()
    except Exception:
        log.exception("reconcile on wake-up failed")
