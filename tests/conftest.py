"""Fixtures shared by every test package: the in-memory fakes of tests/fakes.py.

Importing ``tests.profiles`` loads the hypothesis profile (``ci`` when ``CI`` is true, else
``dev``) before any test module builds its settings.
"""

from __future__ import annotations

import pytest

import tests.profiles  # noqa: F401  (loads the hypothesis profile first)
from tests.fakes import FakeFetcher, FakeQueue, FakeUnitOfWork, FixedClock, RecordingNotifier
from tracker_core.policy import Policy


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def queue() -> FakeQueue:
    return FakeQueue()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def policy() -> Policy:
    return Policy()


@pytest.fixture
def fetcher() -> FakeFetcher:
    return FakeFetcher()


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()
