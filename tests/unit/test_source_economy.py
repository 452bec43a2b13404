"""Asking tracker.gg for as little as possible, over the fakes: a refresh inside the profile's
cache window is answered from storage (the refresh use case and a queued job alike), and a
first scrape interrupted by a 429 keeps the earlier seasons it fetched."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from tests.builders import page, season
from tests.fakes import FakeFetcher, FakeQueue, FakeUnitOfWork, FixedClock
from tests.unit.test_scraping import scrape, setup_tracker

from tracker_core.errors import FetchRateLimitedError, RateLimitedError
from tracker_core.model import TrackerStatus
from tracker_core.policy import Policy
from tracker_core.source import DEFAULT_CACHE_WINDOW
from tracker_core.use_cases.processing import refresh_stale
from tracker_core.use_cases.trackers import RefreshTracker, refresh_tracker

PATH = "steam/player"


def _scraped(
    uow: FakeUnitOfWork, clock: FixedClock, window: timedelta | None
) -> tuple[str, FakeFetcher]:
    """A tracker scraped once at ``clock.now()`` whose payload says it is fresh for
    ``window`` (None: the payload names neither an expiry nor a last update)."""
    tid = setup_tracker(uow, clock)
    fetcher = FakeFetcher()
    expires = None if window is None else clock.now() + window
    fetcher.pages[(PATH, None)] = attrs.evolve(page(), trn_expires_at=expires)
    assert scrape(tid, uow, fetcher, clock).result == "completed"
    fetcher.calls.clear()
    return tid, fetcher


def _refresh(uow: FakeUnitOfWork, queue: FakeQueue, clock: FixedClock, user: str | None = None):
    cmd = RefreshTracker(tracker_id=next(iter(uow.committed.trackers)), actor_id=user)
    return refresh_tracker(cmd, uow=uow, queue=queue, clock=clock, policy=Policy())


def test_a_scrape_stores_the_payload_expiry(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    tid, _ = _scraped(uow, clock, timedelta(minutes=4))
    assert uow.committed.trackers[tid].source_expires_at == clock.now() + timedelta(minutes=4)


def test_without_expiry_the_window_is_five_minutes_after_last_updated(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    tid = setup_tracker(uow, clock)
    fetcher = FakeFetcher()
    updated = clock.now() - timedelta(minutes=1)
    fetcher.pages[(PATH, None)] = attrs.evolve(page(), trn_last_updated=updated)
    scrape(tid, uow, fetcher, clock)
    assert uow.committed.trackers[tid].source_expires_at == updated + DEFAULT_CACHE_WINDOW


def test_refresh_inside_the_window_answers_from_storage_until_the_expiry(
    uow: FakeUnitOfWork, queue: FakeQueue, clock: FixedClock
) -> None:
    tid, _ = _scraped(uow, clock, timedelta(minutes=4))
    scraped_at = uow.committed.trackers[tid].last_scraped_at
    assert scraped_at is not None
    clock.advance(minutes=3, seconds=59)
    outcome = _refresh(uow, queue, clock)
    assert outcome.served_from_storage
    assert (outcome.status, outcome.enqueued) == (TrackerStatus.COMPLETED, False)
    assert outcome.fresh_until == scraped_at + timedelta(minutes=4)
    assert queue.jobs == {}
    assert uow.committed.trackers[tid].scraping_status == TrackerStatus.COMPLETED
    clock.advance(seconds=1)  # exactly at the expiry: tracker.gg has a new answer, ask
    outcome = _refresh(uow, queue, clock)
    assert (outcome.served_from_storage, outcome.enqueued) == (False, True)
    assert uow.committed.trackers[tid].scraping_status == TrackerStatus.PENDING


def test_without_a_window_every_refresh_asks(
    uow: FakeUnitOfWork, queue: FakeQueue, clock: FixedClock
) -> None:
    _scraped(uow, clock, None)
    outcome = _refresh(uow, queue, clock)
    assert (outcome.served_from_storage, outcome.enqueued) == (False, True)


def test_a_user_still_meets_the_cooldown_first(
    uow: FakeUnitOfWork, queue: FakeQueue, clock: FixedClock
) -> None:
    _scraped(uow, clock, timedelta(minutes=20))
    clock.advance(minutes=4)
    with pytest.raises(RateLimitedError):
        _refresh(uow, queue, clock, user="1")
    clock.advance(minutes=2)  # past the 5-minute cooldown, still inside tracker.gg's window
    outcome = _refresh(uow, queue, clock, user="1")
    assert outcome.served_from_storage and queue.jobs == {}


def test_a_job_inside_the_window_completes_from_storage_without_a_request(
    uow: FakeUnitOfWork, queue: FakeQueue, clock: FixedClock
) -> None:
    tid, fetcher = _scraped(uow, clock, timedelta(minutes=4))
    scraped_at = uow.committed.trackers[tid].last_scraped_at
    clock.advance(minutes=1)
    refresh_stale(uow=uow, queue=queue, clock=clock, policy=Policy(), tracker_ids=[tid])
    assert uow.committed.trackers[tid].scraping_status == TrackerStatus.PENDING
    assert scrape(tid, uow, fetcher, clock).result == "cached"
    assert fetcher.calls == []
    tracker = uow.committed.trackers[tid]
    assert tracker.scraping_status == TrackerStatus.COMPLETED
    assert tracker.last_scraped_at == scraped_at
    log = uow.committed.scraping_logs[-1]
    assert (log.status, log.seasons_scraped) == ("SKIPPED", 0)
    assert log.metadata["servedFromStorage"] is True
    clock.advance(minutes=3)  # at the expiry: the next job asks
    refresh_stale(uow=uow, queue=queue, clock=clock, policy=Policy(), tracker_ids=[tid])
    assert scrape(tid, uow, fetcher, clock).result == "completed"
    assert fetcher.calls == [(PATH, None)]


def test_a_429_midway_keeps_the_earlier_seasons_fetched(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    tid = setup_tracker(uow, clock)
    fetcher = FakeFetcher()
    fetcher.pages[(PATH, None)] = page(available=(30, 31, 32, 33, 34))
    fetcher.pages[(PATH, 33)] = page(stats=season(33, twos=(1033, 10)))
    fetcher.pages[(PATH, 32)] = FetchRateLimitedError("429", retry_after=30)
    fetcher.pages[(PATH, 31)] = page(stats=season(31, twos=(1031, 10)))
    assert scrape(tid, uow, fetcher, clock).result == "retry"
    assert sorted(n for t, n in uow.committed.seasons if t == tid) == [33]
    fetcher.pages[(PATH, 32)] = page(stats=season(32, twos=(1032, 10)))
    fetcher.calls.clear()
    clock.advance(seconds=30)
    assert scrape(tid, uow, fetcher, clock).result == "completed"
    # The current season again (it changes), season 33 never again, then the rest.
    assert fetcher.calls == [(PATH, None), (PATH, 32), (PATH, 31)]
    assert sorted(n for t, n in uow.committed.seasons if t == tid) == [31, 32, 33, 34]
    fetcher.calls.clear()
    clock.advance(hours=1)
    refresh_stale(uow=uow, queue=FakeQueue(), clock=clock, policy=Policy(), tracker_ids=[tid])
    scrape(tid, uow, fetcher, clock)
    assert fetcher.calls == [(PATH, None)]  # later scrapes: the current season only
