"""The drain estimate counts the requests the PENDING trackers will make (a property)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from tests.contract import aggregates as a
from tests.fakes import FakeQueue, FakeUnitOfWork

from tracker_core.model import Priority, Tracker, TrackerStatus
from tracker_core.use_cases.queries import budget_use, scraping_overview

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def _tracker(n: int, status: TrackerStatus, scraped: bool) -> Tracker:
    return Tracker(
        id=f"c{n:024d}",
        user_id="100000000000000001",
        url=f"https://rocketleague.tracker.network/rocket-league/profile/steam/p{n}/overview",
        platform="STEAM",
        username=f"p{n}",
        identity=f"steam:p{n}",
        api_path=f"steam/p{n}",
        scraping_status=status,
        last_scraped_at=NOW - timedelta(days=1) if scraped else None,
        created_at=NOW,
        updated_at=NOW,
    )


@given(
    trackers=st.lists(st.tuples(st.sampled_from(list(TrackerStatus)), st.booleans()), max_size=30),
    initial_seasons=st.integers(0, 10),
    rate=st.integers(1, 600),
)
def test_eta_is_the_pending_trackers_requests_over_the_budget(
    trackers: list[tuple[TrackerStatus, bool]], initial_seasons: int, rate: int
) -> None:
    uow, queue = FakeUnitOfWork(), FakeQueue()
    with uow:
        for n, (status, scraped) in enumerate(trackers):
            uow.trackers.add(_tracker(n, status, scraped))
            if scraped:  # a scraped tracker has its season stored: its next scrape is no first
                uow.seasons.upsert(a.season(f"s{n:024d}", f"c{n:024d}", 34))
        uow.commit()
    queue.enqueue([f"c{n:024d}" for n in range(len(trackers))], Priority.DEFAULT)
    overview = scraping_overview(
        uow=uow, queue=queue, requests_per_minute=rate, initial_seasons=initial_seasons
    )
    pending = [scraped for status, scraped in trackers if status == TrackerStatus.PENDING]
    first = pending.count(False)
    requests = first * (1 + initial_seasons) + (len(pending) - first)
    assert overview.first_scrapes_queued == first
    assert overview.requests_queued == requests
    assert overview.eta_minutes == round(requests / rate, 1)
    assert overview.lane_depths["default"] == overview.queue_depth == len(trackers)


def test_budget_use_of_an_empty_hour_is_zero() -> None:
    use = budget_use(uow=FakeUnitOfWork(), now=NOW, requests_per_minute=60)
    assert (use.requests, use.allowed, use.percent) == (0, 3600, 0.0)
