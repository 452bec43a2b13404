"""Fixtures shared by every test package: the in-memory fakes of tests/fakes.py."""

from __future__ import annotations

import pytest

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
