"""Requests sent to tracker.gg per 1,000 refreshes, against the TRN simulator (a real local
HTTP server), on a time-compressed clock: simulated hours take seconds, nothing sleeps.

* **The cache window.** 1,000 refreshes of 50 trackers arriving every 3 s on average (50
  minutes), through the real refresh and scrape use cases, the real fetcher and an in-process
  budget. The simulator caches profiles for 4 minutes like tracker.gg (``expiryDate``): a
  refresh inside the window is answered from storage, so each tracker costs at most one
  request per window. The same run without the window (the simulator names no expiry) costs
  one request per refresh: the baseline.
* **AIMD.** A budget configured at 60/min against a simulator that tolerates 30/min: with the
  multiplicative decrease the rate settles under 30 and a handful of 429s is all it costs; the
  same budget with the decrease switched off (floor = limit) is told 429 about once a minute.

``pytest -s`` prints the counts (docs/fetching.md quotes them).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from tests.fakes import FakeQueue

from adapters.sql import (
    SqlAlchemyUnitOfWork,
    create_engine_for,
    create_session_factory,
    upgrade_database,
)
from adapters.trackergg.budget import InProcessBudget
from adapters.trackergg.fetcher import TrackerGgFetcher
from adapters.trackergg.simulator import TrnSimulator
from tracker_core.errors import FetchRateLimitedError
from tracker_core.policy import Policy
from tracker_core.source import RateControl
from tracker_core.use_cases.scraping import run_scrape
from tracker_core.use_cases.trackers import (
    RefreshTracker,
    RegisterTrackers,
    refresh_tracker,
    register_trackers,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TRACKERS = 50
REFRESHES = 1000
MEAN_GAP_SECONDS = 3.0
CACHE_SECONDS = 240.0
URL = "https://rocketleague.tracker.network/rocket-league/profile/steam/{}/overview"


@attrs.define
class SimTime:
    """One simulated clock for the use cases (``now``), the budget and the simulator."""

    seconds: float = 0.0

    def __call__(self) -> float:
        return self.seconds

    def now(self) -> datetime:
        return T0 + timedelta(seconds=self.seconds)

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, "a budget must never sleep for nothing"
        self.seconds += seconds


@attrs.frozen
class RefreshRun:
    requests: int
    from_storage: int
    season_requests: int
    duration_seconds: float


def _drain(
    queue: FakeQueue, uow: SqlAlchemyUnitOfWork, fetcher: TrackerGgFetcher, time: SimTime
) -> None:
    """Run every queued scrape now, like a worker that is never behind."""
    while queue.jobs:
        tracker_id = next(iter(queue.jobs))
        run_scrape(
            tracker_id,
            uow=uow,
            fetcher=fetcher,
            clock=time,
            policy=Policy(),
            rng=random.Random(1),
        )
        del queue.jobs[tracker_id]


def refresh_run(
    database: Path,
    cache_seconds: float | None,
    trackers: int = TRACKERS,
    refreshes: int = REFRESHES,
) -> RefreshRun:
    """Register and first-scrape 50 trackers, then 1,000 refreshes at random ones (SQLite)."""
    url = f"sqlite:///{database}"
    upgrade_database(url)
    engine = create_engine_for(url)
    try:
        uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
        return _refresh_run(uow, cache_seconds, trackers, refreshes)
    finally:
        engine.dispose()


def _refresh_run(
    uow: SqlAlchemyUnitOfWork, cache_seconds: float | None, trackers: int, refreshes: int
) -> RefreshRun:
    time = SimTime()
    queue = FakeQueue()
    budget = InProcessBudget(60, time, sleep=time.sleep)
    simulator = TrnSimulator(clock=time, cache_seconds=cache_seconds, wall_clock=time.now)
    with simulator, TrackerGgFetcher(simulator.base_url, budget=budget) as fetcher:
        ids = []
        for index in range(trackers):
            [tracker] = register_trackers(
                RegisterTrackers(user_id=str(index + 1), urls=(URL.format(f"player{index}"),)),
                uow=uow,
                queue=queue,
                clock=time,
                policy=Policy(),
            )
            ids.append(tracker.id)
        _drain(queue, uow, fetcher, time)
        before, started = len(simulator.requests), time.seconds
        rng = random.Random(14)
        from_storage = 0
        for _ in range(refreshes):
            time.seconds += rng.expovariate(1 / MEAN_GAP_SECONDS)
            outcome = refresh_tracker(
                RefreshTracker(tracker_id=rng.choice(ids)),
                uow=uow,
                queue=queue,
                clock=time,
                policy=Policy(),
            )
            from_storage += outcome.served_from_storage
            _drain(queue, uow, fetcher, time)
        recorded = simulator.requests
    return RefreshRun(
        requests=len(recorded) - before,
        from_storage=from_storage,
        season_requests=sum("season=" in r.path for r in recorded),
        duration_seconds=time.seconds - started,
    )


def test_the_simulator_caches_profiles_like_tracker_gg() -> None:
    time = SimTime()
    budget = InProcessBudget(6000, time, sleep=time.sleep)
    simulator = TrnSimulator(clock=time, cache_seconds=CACHE_SECONDS, wall_clock=time.now)
    with simulator, TrackerGgFetcher(simulator.base_url, budget=budget) as fetcher:
        first = fetcher.fetch_page("steam/someone", None)
        time.seconds += CACHE_SECONDS - 1
        inside = fetcher.fetch_page("steam/someone", None)
        time.seconds += 1
        after = fetcher.fetch_page("steam/someone", None)
    assert first.trn_last_updated == inside.trn_last_updated == T0
    assert first.trn_expires_at == inside.trn_expires_at == T0 + timedelta(seconds=CACHE_SECONDS)
    assert after.trn_last_updated == T0 + timedelta(seconds=CACHE_SECONDS)
    assert after.trn_expires_at == T0 + timedelta(seconds=2 * CACHE_SECONDS)


@pytest.fixture(scope="module")
def refresh_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RefreshRun, RefreshRun]]:
    folder = tmp_path_factory.mktemp("source-economy")
    yield (
        refresh_run(folder / "cached.sqlite3", CACHE_SECONDS),
        refresh_run(folder / "baseline.sqlite3", None),
    )


@pytest.mark.slow  # the runs take about 45 s in all
def test_refreshes_inside_the_cache_window_send_no_request(
    refresh_runs: tuple[RefreshRun, RefreshRun],
) -> None:
    cached, baseline = refresh_runs
    print(f"\nrequests per {REFRESHES} refreshes: {cached} (no cache window: {baseline})")
    assert baseline.requests == REFRESHES  # every refresh asks when the payload names no expiry
    assert cached.requests + cached.from_storage == REFRESHES  # one request per job, no more
    # Each tracker is fetched at most once per window of its profile.
    windows = math.ceil(cached.duration_seconds / CACHE_SECONDS) + 1
    assert cached.requests <= TRACKERS * windows
    assert cached.requests <= 0.6 * REFRESHES


def test_a_short_run_in_the_check_counts_the_same_way(tmp_path: Path) -> None:
    """The everyday check's cut of the counts above (the slow lane runs the 1,000s): 200
    refreshes of 10 trackers ask at most once per tracker and window, and 200 fetches at a
    source that tolerates half the configured rate end with the rate under what it tolerates."""
    cached = refresh_run(tmp_path / "short.sqlite3", CACHE_SECONDS, trackers=10, refreshes=200)
    assert cached.requests + cached.from_storage == 200
    windows = math.ceil(cached.duration_seconds / CACHE_SECONDS) + 1
    assert 0 < cached.requests <= 10 * windows
    assert cached.season_requests == 10 * Policy().initial_seasons
    aimd = limit_run(RateControl(CONFIGURED), fetches=200)
    assert aimd.final_rate <= TOLERATED + 2
    assert aimd.rate_limited <= 2 + aimd.duration_seconds / 600


@pytest.mark.slow  # the runs take about 45 s in all
def test_historical_seasons_are_fetched_once(refresh_runs: tuple[RefreshRun, RefreshRun]) -> None:
    for run in refresh_runs:
        assert run.season_requests == TRACKERS * Policy().initial_seasons


# AIMD against a source that tolerates less than the configured limit -----------------------

FETCHES = 1000
CONFIGURED = 60
TOLERATED = 30


@attrs.frozen
class LimitRun:
    requests: int
    rate_limited: int
    duration_seconds: float
    final_rate: float


def limit_run(control: RateControl, fetches: int = FETCHES) -> LimitRun:
    """1,000 successful fetches through a 60/min budget at a 30/min simulator; a fetch told
    429 is tried again (the budget's pause holds it back)."""
    time = SimTime()
    budget = InProcessBudget(CONFIGURED, time, sleep=time.sleep, control=control)
    with (
        TrnSimulator(TOLERATED, clock=time) as simulator,
        TrackerGgFetcher(simulator.base_url, budget=budget) as fetcher,
    ):
        done = 0
        while done < fetches:
            try:
                fetcher.fetch_page(f"psn/player{done % 200}", None)
            except FetchRateLimitedError:
                continue
            done += 1
        statuses = [r.status for r in simulator.requests]
    return LimitRun(len(statuses), statuses.count(429), time.seconds, budget.effective_rate())


@pytest.fixture(scope="module")
def limit_runs() -> Iterator[tuple[LimitRun, LimitRun]]:
    yield limit_run(RateControl(CONFIGURED)), limit_run(RateControl(CONFIGURED, floor=CONFIGURED))


@pytest.mark.slow  # the runs take about 45 s in all
def test_a_limit_set_too_high_converges_instead_of_hammering(
    limit_runs: tuple[LimitRun, LimitRun],
) -> None:
    aimd, fixed = limit_runs
    print(f"\n{FETCHES} fetches, 60/min configured, 30/min tolerated: {aimd} (fixed: {fixed})")
    minutes = aimd.duration_seconds / 60
    assert aimd.rate_limited <= 2 + minutes / 10  # a 429 per recovery cycle, not per minute
    assert fixed.rate_limited >= 3 * aimd.rate_limited
    assert aimd.final_rate <= TOLERATED + 2
    # Converging costs little throughput: at least two thirds of what the source tolerates.
    assert FETCHES / minutes >= TOLERATED * 2 / 3
