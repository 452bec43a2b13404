"""The scrape pipeline over fakes: claim, fetch strategy, store, retry policy, notify, MMR."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from tests.builders import page, season
from tests.fakes import FakeFetcher, FakeQueue, FakeUnitOfWork, FixedClock

from tracker_core.errors import (
    ChallengeBlockedError,
    FetchRateLimitedError,
    InvalidPayloadError,
    ProfileNotFoundError,
    UpstreamError,
)
from tracker_core.guilds import Guild, GuildMember, GuildSettings, NotificationSettings
from tracker_core.model import TrackerStatus
from tracker_core.policy import Policy
from tracker_core.use_cases.processing import (
    claim_tracker,
    process_guild,
    process_pending,
    reconcile,
)
from tracker_core.use_cases.scraping import run_scrape
from tracker_core.use_cases.trackers import RegisterTrackers, register_trackers

URL = "https://rocketleague.tracker.network/rocket-league/profile/steam/{}/overview"


def setup_tracker(
    uow: FakeUnitOfWork, clock: FixedClock, user: str = "1", name: str = "player"
) -> str:
    [t] = register_trackers(
        RegisterTrackers(user_id=user, urls=(URL.format(name),)),
        uow=uow,
        queue=FakeQueue(),
        clock=clock,
        policy=Policy(),
    )
    return t.id


def scrape(tid, uow, fetcher, clock, policy=None):
    return run_scrape(
        tid, uow=uow, fetcher=fetcher, clock=clock, policy=policy or Policy(), rng=random.Random(1)
    )


def add_guild(uow, clock, guild_id="100000000000000001", members=("1",), **settings):
    with uow:
        uow.guilds.add(
            Guild(id=guild_id, name="League", created_at=clock.now(), updated_at=clock.now())
        )
        uow.guilds.save_settings(guild_id, GuildSettings(**settings))
        uow.guilds.replace_members(
            guild_id, [GuildMember(guild_id=guild_id, user_id=m) for m in members]
        )
        uow.commit()


def test_first_scrape_fetches_current_and_three_earlier_seasons(uow, clock):
    tid = setup_tracker(uow, clock)
    fetcher = FakeFetcher()
    fetcher.pages[("steam/player", None)] = page(available=(20, 30, 31, 32, 33, 34))
    for n in (31, 32, 33):
        fetcher.pages[("steam/player", n)] = page(stats=season(n, twos=(1000 + n, 10)))
    outcome = scrape(tid, uow, fetcher, clock)
    assert outcome.result == "completed"
    assert fetcher.calls == [
        ("steam/player", None),
        ("steam/player", 33),
        ("steam/player", 32),
        ("steam/player", 31),
    ]
    stored = uow.committed
    tracker = stored.trackers[tid]
    assert tracker.scraping_status == TrackerStatus.COMPLETED
    assert tracker.last_scraped_at == clock.now() and tracker.platform_user_id == "42"
    assert sorted(n for (_, n) in stored.seasons) == [31, 32, 33, 34]
    [snap] = stored.snapshots
    assert snap.source == "SCRAPE" and snap.ratings["2v2"] == 1500
    assert [entry.status for entry in stored.scraping_logs] == ["SUCCESS"]
    assert [n.kind for n in stored.notifications.values()] == ["TRACKER_UPDATE"]
    fetcher.calls.clear()
    tracker_obj = stored.trackers[tid]
    tracker_obj.scraping_status = TrackerStatus.PENDING
    scrape(tid, uow, fetcher, clock)
    assert fetcher.calls == [("steam/player", None)]
    assert len(uow.committed.seasons) == 4 and len(uow.committed.snapshots) == 2


def test_an_unchanged_refresh_sends_no_notification(uow, clock):
    tid = setup_tracker(uow, clock)
    fetcher = FakeFetcher()
    fetcher.pages[("steam/player", None)] = page(available=(34,))
    scrape(tid, uow, fetcher, clock)
    uow.committed.trackers[tid].scraping_status = TrackerStatus.PENDING
    clock.advance(hours=1)
    scrape(tid, uow, fetcher, clock)
    assert len(uow.committed.notifications) == 1
    fetcher.pages[("steam/player", None)] = page(
        available=(34,), stats=season(34, twos=(1552, 110), threes=(1400, 80))
    )
    uow.committed.trackers[tid].scraping_status = TrackerStatus.PENDING
    scrape(tid, uow, fetcher, clock)
    messages = sorted(n.message for n in uow.committed.notifications.values())
    assert any("2v2: 1500 → 1552 (+52)" in m for m in messages)


def test_retryable_errors_back_off_then_fail_at_the_cap(uow, clock):
    tid = setup_tracker(uow, clock)
    fetcher = FakeFetcher()
    fetcher.pages[("steam/player", None)] = UpstreamError("HTTP 502", upstream_status=502)
    first = scrape(tid, uow, fetcher, clock)
    assert first.result == "retry" and first.retry_at is not None and first.retry_at > clock.now()
    assert scrape(tid, uow, fetcher, clock).result == "skipped"  # not due yet
    clock.current = first.retry_at
    assert scrape(tid, uow, fetcher, clock).result == "retry"
    clock.current = uow.committed.trackers[tid].next_attempt_at
    assert scrape(tid, uow, fetcher, clock).result == "failed"
    tracker = uow.committed.trackers[tid]
    assert tracker.scraping_status == TrackerStatus.FAILED and tracker.scraping_attempts == 3
    assert len(uow.committed.scraping_logs) == 3
    failures = [n for n in uow.committed.notifications.values() if n.kind == "TRACKER_FAILED"]
    assert len(failures) == 1


@pytest.mark.parametrize(
    "error", [ProfileNotFoundError("gone", upstream_status=404), InvalidPayloadError("API changed")]
)
def test_terminal_errors_fail_at_once(uow, clock, error):
    tid = setup_tracker(uow, clock)
    fetcher = FakeFetcher()
    fetcher.pages[("steam/player", None)] = error
    assert scrape(tid, uow, fetcher, clock).result == "failed"
    tracker = uow.committed.trackers[tid]
    assert tracker.scraping_attempts == 1 and tracker.error_category == error.category
    [log] = uow.committed.scraping_logs
    assert log.error_category == error.category and log.metadata["attempt"] == 1


def test_rate_limit_waits_out_retry_after(uow, clock):
    tid = setup_tracker(uow, clock)
    fetcher = FakeFetcher()
    fetcher.pages[("steam/player", None)] = FetchRateLimitedError("429", retry_after=120)
    outcome = scrape(tid, uow, fetcher, clock)
    assert outcome.retry_at == clock.now() + timedelta(seconds=120)


def test_earlier_season_failure_is_partial(uow, clock):
    tid = setup_tracker(uow, clock)
    fetcher = FakeFetcher()
    fetcher.pages[("steam/player", None)] = page(available=(33, 34))
    fetcher.pages[("steam/player", 33)] = ChallengeBlockedError("cf")
    assert scrape(tid, uow, fetcher, clock).result == "completed"
    [log] = uow.committed.scraping_logs
    assert (log.status, log.seasons_scraped, log.seasons_failed) == ("PARTIAL", 1, 1)


def test_deleted_or_inactive_trackers_are_skipped(uow, clock):
    tid = setup_tracker(uow, clock)
    uow.committed.trackers[tid].is_active = False
    assert claim_tracker(tid, uow=uow, clock=clock, policy=Policy()) is None


def test_expired_lease_returns_to_pending_and_stale_result_is_discarded(uow, clock):
    tid = setup_tracker(uow, clock)
    queue = FakeQueue()
    policy = Policy()
    claimed = claim_tracker(tid, uow=uow, clock=clock, policy=policy)
    assert claimed is not None
    assert claim_tracker(tid, uow=uow, clock=clock, policy=policy) is None
    clock.advance(seconds=policy.lease.total_seconds() + 1)
    result = reconcile(uow=uow, queue=queue, clock=clock, policy=policy)
    assert result.expired == (tid,) and queue.is_queued(tid)
    assert uow.committed.trackers[tid].scraping_status == TrackerStatus.PENDING
    from tracker_core.stats import FetchedProfile
    from tracker_core.use_cases.scraping import apply_scrape_result

    late = FetchedProfile(current_season=34, seasons=(season(34, twos=(1, 1)),))
    assert apply_scrape_result(claimed, late, uow=uow, clock=clock) is False
    assert uow.committed.snapshots == []


def test_processing_guard_and_guild_processing(uow, clock):
    t1 = setup_tracker(uow, clock, "1", "one")
    t2 = setup_tracker(uow, clock, "2", "two")
    add_guild(uow, clock, members=("1",), tracker_processing_enabled=False)
    queue = FakeQueue()
    result = process_pending(uow=uow, queue=queue, clock=clock)
    assert result.tracker_ids == (t2,)
    refused = uow.committed.trackers[t1]
    assert refused.scraping_status == TrackerStatus.FAILED
    assert refused.scraping_error == "Tracker processing disabled by guild settings"
    guild = process_guild("100000000000000001", uow=uow, queue=queue, clock=clock, policy=Policy())
    assert guild.tracker_ids == (t1,)
    assert uow.committed.trackers[t1].scraping_status == TrackerStatus.PENDING


def test_mmr_is_stored_per_guild_for_the_best_tracker(uow, clock):
    add_guild(uow, clock, members=("1",))
    tid = setup_tracker(uow, clock)
    fetcher = FakeFetcher()
    fetcher.pages[("steam/player", None)] = page(available=(34,))
    scrape(tid, uow, fetcher, clock)
    [rating] = uow.committed.ratings.values()
    assert rating.tracker_id == tid and rating.algorithm == "ASCENDANCY"
    # ASCENDANCY, peak = current: (1500*100 + 1400*80) / 180 = 1455.56 -> 1456
    assert rating.mmr == 1456


def test_webhook_rows_follow_guild_settings(uow, clock):
    add_guild(
        uow,
        clock,
        members=("1",),
        notifications=NotificationSettings(
            webhook_url="https://hooks.example/x", min_rating_change=100
        ),
    )
    tid = setup_tracker(uow, clock)
    fetcher = FakeFetcher()
    fetcher.pages[("steam/player", None)] = page(available=(34,))
    scrape(tid, uow, fetcher, clock)
    channels = sorted(n.channel for n in uow.committed.notifications.values())
    assert channels == ["DISCORD_DM", "WEBHOOK"]
    uow.committed.trackers[tid].scraping_status = TrackerStatus.PENDING
    fetcher.pages[("steam/player", None)] = page(
        available=(34,), stats=season(34, twos=(1550, 110), threes=(1400, 80))
    )
    scrape(tid, uow, fetcher, clock)
    assert len(uow.committed.notifications) == 2  # +50 is below the guild's 100
    uow.committed.trackers[tid].scraping_status = TrackerStatus.PENDING
    fetcher.pages[("steam/player", None)] = page(
        available=(34,), stats=season(34, twos=(1650, 120), threes=(1400, 80))
    )
    scrape(tid, uow, fetcher, clock)
    channels = sorted(n.channel for n in uow.committed.notifications.values())
    assert channels == ["DISCORD_DM", "DISCORD_DM", "WEBHOOK", "WEBHOOK"]


def test_a_new_season_is_compared_with_the_last_one_not_announced_as_first(uow, clock):
    tid = setup_tracker(uow, clock)
    fetcher = FakeFetcher()
    fetcher.pages[("steam/player", None)] = page(available=(34,))
    scrape(tid, uow, fetcher, clock)
    uow.committed.trackers[tid].scraping_status = TrackerStatus.PENDING
    fetcher.pages[("steam/player", None)] = page(
        current=35, available=(34, 35), stats=season(35, twos=(1400, 5), threes=(1400, 3))
    )
    scrape(tid, uow, fetcher, clock)
    messages = [n.message for n in uow.committed.notifications.values()]
    assert len(messages) == 2
    assert "is now tracked" in messages[0]
    assert "updated" in messages[1] and "2v2: 1500 → 1400 (-100)" in messages[1]
    assert sorted(n for (_, n) in uow.committed.seasons) == [34, 35]


def test_a_current_season_gone_back_is_compared_with_its_own_stored_version(uow, clock):
    """tracker.gg's current season goes back from 35 to 34, both stored: 34 is compared with
    its stored stats (read then: the claim holds only the newest in full), keeps its id and
    creation, and 35 stays the newest."""
    tid = setup_tracker(uow, clock)
    fetcher = FakeFetcher()
    fetcher.pages[("steam/player", None)] = page(available=(34,))
    scrape(tid, uow, fetcher, clock)
    stored_34 = uow.committed.seasons[(tid, 34)]
    uow.committed.trackers[tid].scraping_status = TrackerStatus.PENDING
    fetcher.pages[("steam/player", None)] = page(
        current=35, available=(34, 35), stats=season(35, twos=(1400, 5), threes=(1400, 3))
    )
    scrape(tid, uow, fetcher, clock)
    uow.committed.trackers[tid].scraping_status = TrackerStatus.PENDING
    clock.advance(hours=1)
    fetcher.pages[("steam/player", None)] = page(
        current=34, available=(34, 35), stats=season(34, twos=(1510, 111), threes=(1400, 80))
    )
    scrape(tid, uow, fetcher, clock)
    messages = [n.message for n in uow.committed.notifications.values()]
    assert "2v2: 1500 → 1510 (+10)" in messages[-1]  # against 34 as stored, not 35's 1400
    again = uow.committed.seasons[(tid, 34)]
    assert (again.id, again.created_at) == (stored_34.id, stored_34.created_at)
    assert again.stats.playlist("2v2").rating == 1510
    assert uow.committed.seasons[(tid, 35)].stats.playlist("2v2").rating == 1400


class SlowFetcher(FakeFetcher):
    """Each page takes ``seconds`` of the clock (a long wait for budget)."""

    def __init__(self, clock: FixedClock, seconds: float, on_page=None) -> None:
        super().__init__()
        self.clock, self.seconds, self.on_page = clock, seconds, on_page

    def fetch_page(self, api_path, season):
        self.clock.advance(seconds=self.seconds)
        if self.on_page is not None:
            self.on_page(len(self.calls))
        return super().fetch_page(api_path, season)


def test_a_long_first_scrape_renews_its_lease_between_pages(uow, clock):
    tid = setup_tracker(uow, clock)
    policy = Policy()

    def reaper(calls: int) -> None:  # a reconciler runs while each page waits for budget
        reconcile(uow=uow, queue=FakeQueue(), clock=clock, policy=policy)

    fetcher = SlowFetcher(clock, policy.lease.total_seconds() - 60, reaper)
    fetcher.pages[("steam/player", None)] = page(available=(31, 32, 33, 34))
    for n in (31, 32, 33):
        fetcher.pages[("steam/player", n)] = page(stats=season(n, twos=(1000 + n, 10)))
    assert scrape(tid, uow, fetcher, clock, policy).result == "completed"
    assert len(fetcher.calls) == 4
    assert len(uow.committed.seasons) == 4


def test_a_scrape_whose_lease_was_taken_back_stops_and_stores_nothing(uow, clock):
    tid = setup_tracker(uow, clock)
    policy = Policy()

    def reaped(calls: int) -> None:
        if calls == 1:  # between the first and the second page: the reaper took it back
            clock.advance(seconds=policy.lease.total_seconds())
            reconcile(uow=uow, queue=FakeQueue(), clock=clock, policy=policy)

    fetcher = SlowFetcher(clock, 1, reaped)
    fetcher.pages[("steam/player", None)] = page(available=(31, 32, 33, 34))
    assert scrape(tid, uow, fetcher, clock, policy).result == "skipped"
    assert len(fetcher.calls) == 2
    assert uow.committed.seasons == {} and uow.committed.snapshots == []
    assert uow.committed.trackers[tid].scraping_status == TrackerStatus.PENDING
