"""For tests that send signals to their own process (the code under test handles them).

The ``signal_guard`` fixture saves the handlers of SIGTERM, SIGINT and SIGUSR1, puts a
recording handler in their place (a signal that reaches no handler of the code under test is
recorded, instead of ending the test process), and restores the saved handlers afterwards: the
worker, RQ and the server install handlers of their own and leave them behind.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from types import FrameType

import pytest

GUARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1)


class Unhandled:
    """The signals the guard itself received (none when the code under test took them)."""

    def __init__(self) -> None:
        self.signals: list[int] = []

    def handler(self, signum: int, _frame: FrameType | None) -> None:
        self.signals.append(signum)


@pytest.fixture
def signal_guard() -> Iterator[Unhandled]:
    saved = {signum: signal.getsignal(signum) for signum in GUARDED}
    unhandled = Unhandled()
    for signum in GUARDED:
        signal.signal(signum, unhandled.handler)
    try:
        yield unhandled
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
