"""Review flags raised by the scrape pipeline (run_scrape over the fakes), as properties and
examples: a drop of exactly the threshold raises one flag, repeated scrapes no second one."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.builders import page, season
from tests.fakes import FakeFetcher, FakeUnitOfWork, FixedClock
from tests.unit.test_scraping import add_guild, scrape, setup_tracker

from tracker_core.errors import ProfileNotFoundError, UpstreamError
from tracker_core.flags import rating_drop
from tracker_core.guilds import NotificationSettings
from tracker_core.league import FlagRules
from tracker_core.model import TrackerSnapshot
from tracker_core.policy import Policy
from tracker_core.use_cases.flags import ResolveFlag, resolve_flag
from tracker_core.use_cases.league import guild_standings
from tracker_core.use_cases.manual import (
    EnterManualRatings,
    ManualPlaylist,
    enter_manual_ratings,
)

GUILD = "100000000000000001"


def _world(threshold: int = 150) -> tuple[FakeUnitOfWork, FixedClock, FakeFetcher, str]:
    uow, clock, fetcher = FakeUnitOfWork(), FixedClock(), FakeFetcher()
    add_guild(uow, clock, GUILD, ("1",), flags=FlagRules(rating_drop=threshold))
    return uow, clock, fetcher, setup_tracker(uow, clock)


def _scrape_at(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    fetcher: FakeFetcher,
    tid: str,
    twos: int,
    pid: str = "42",
) -> None:
    """One successful scrape whose 2v2 rating is ``twos``."""
    tracker = uow.committed.trackers[tid]
    tracker.requeue(clock.now())
    stats = season(34, twos=(twos, 100), threes=(1400, 80))
    fetcher.pages[("steam/player", None)] = page(stats=stats, platform_user_id=pid)
    for number in (31, 32, 33):
        fetcher.pages[("steam/player", number)] = page(stats=season(number))
    assert scrape(tid, uow, fetcher, clock).result == "completed"


def _open(uow: FakeUnitOfWork, kind: str) -> list[str]:
    return [f.id for f in uow.committed.flags.values() if f.kind == kind and f.status == "open"]


def test_a_drop_of_exactly_the_threshold_raises_one_flag() -> None:
    uow, clock, fetcher, tid = _world(threshold=150)
    _scrape_at(uow, clock, fetcher, tid, 1650)
    clock.advance(days=1)
    _scrape_at(uow, clock, fetcher, tid, 1501)
    assert _open(uow, "RATING_DROP") == []  # 149: not yet
    clock.advance(days=1)
    _scrape_at(uow, clock, fetcher, tid, 1500)
    [flag_id] = _open(uow, "RATING_DROP")
    flag = uow.committed.flags[flag_id]
    assert flag.data == {"playlist": "2v2", "from": 1650, "to": 1500, "drop": 150}
    for _ in range(3):
        clock.advance(hours=1)
        _scrape_at(uow, clock, fetcher, tid, 1400)
    assert _open(uow, "RATING_DROP") == [flag_id]


def test_a_resolved_flag_can_be_raised_again() -> None:
    uow, clock, fetcher, tid = _world()
    _scrape_at(uow, clock, fetcher, tid, 1700)
    _scrape_at(uow, clock, fetcher, tid, 1500)
    [first] = _open(uow, "RATING_DROP")
    cmd = ResolveFlag(guild_id=GUILD, flag_id=first, resolution="dismissed", note="", actor="x")
    resolve_flag(cmd, uow=uow, clock=clock)
    _scrape_at(uow, clock, fetcher, tid, 1490)
    assert len(_open(uow, "RATING_DROP")) == 1 and _open(uow, "RATING_DROP") != [first]


def test_a_drop_outside_the_window_raises_nothing() -> None:
    uow, clock, fetcher, tid = _world()
    _scrape_at(uow, clock, fetcher, tid, 1700)
    clock.advance(days=15)
    _scrape_at(uow, clock, fetcher, tid, 1500)
    assert _open(uow, "RATING_DROP") == []


RATINGS = st.lists(st.integers(1000, 1400), min_size=1, max_size=8)


@settings(max_examples=30, deadline=None)
@given(RATINGS, st.integers(1, 300))
def test_one_open_drop_flag_at_most_and_only_after_a_drop(
    series: list[int], threshold: int
) -> None:
    uow, clock, fetcher, tid = _world(threshold)
    dropped = False
    for k, rating in enumerate(series):
        clock.advance(hours=6)
        _scrape_at(uow, clock, fetcher, tid, rating)
        dropped = dropped or (k > 0 and max(series[:k]) - rating >= threshold)
        assert len(_open(uow, "RATING_DROP")) == (1 if dropped else 0)


def test_the_detector_takes_the_larger_drop_of_2v2_and_3v3() -> None:
    clock = FixedClock()
    now = clock.now()

    def snap(minutes: int, twos: int, threes: int) -> TrackerSnapshot:
        return TrackerSnapshot(
            id=f"s{minutes}",
            tracker_id="t",
            captured_at=now - timedelta(minutes=minutes),
            season_number=34,
            ratings={"2v2": twos, "3v3": threes},
            games_played={},
            source="SCRAPE",
            entered_by=None,
            created_at=now,
        )

    found = rating_drop("t", [snap(0, 1300, 1000), snap(60, 1500, 1400)], 150, timedelta(14), now)
    assert found is not None and found.data["playlist"] == "3v3" and found.data["drop"] == 400


def test_shared_account_and_handle_changed() -> None:
    uow, clock, fetcher, tid = _world()
    other = setup_tracker(uow, clock, user="2", name="someone")
    _scrape_at(uow, clock, fetcher, tid, 1500, pid="42")
    uow.committed.trackers[other].platform_user_id = "42"
    _scrape_at(uow, clock, fetcher, tid, 1500, pid="42")
    [shared] = _open(uow, "SHARED_ACCOUNT")
    assert uow.committed.flags[shared].data["otherUsers"] == ["2"]
    _scrape_at(uow, clock, fetcher, tid, 1500, pid="77")
    [changed] = _open(uow, "HANDLE_CHANGED")
    assert uow.committed.flags[changed].data == {"from": "42", "to": "77"}


def test_source_missing_and_stale_on_failures() -> None:
    uow, clock, fetcher, tid = _world()
    fetcher.pages[("steam/player", None)] = ProfileNotFoundError("gone", upstream_status=404)
    assert scrape(tid, uow, fetcher, clock).result == "failed"
    assert _open(uow, "SOURCE_MISSING") == []  # never had data
    _scrape_at(uow, clock, fetcher, tid, 1500)
    clock.advance(days=8)
    uow.committed.trackers[tid].requeue(clock.now())
    fetcher.pages[("steam/player", None)] = ProfileNotFoundError("gone", upstream_status=404)
    assert scrape(tid, uow, fetcher, clock).result == "failed"
    assert len(_open(uow, "SOURCE_MISSING")) == 1 and len(_open(uow, "STALE")) == 1
    uow.committed.trackers[tid].requeue(clock.now())
    fetcher.pages[("steam/player", None)] = UpstreamError("HTTP 502", upstream_status=502)
    scrape(tid, uow, fetcher, clock, Policy())
    assert len(_open(uow, "STALE")) == 1


def test_flags_reach_the_staff_webhook_when_the_guild_asks() -> None:
    uow, clock, fetcher = FakeUnitOfWork(), FixedClock(), FakeFetcher()
    hook = "https://discord.com/api/webhooks/1/token"
    add_guild(
        uow,
        clock,
        GUILD,
        ("1",),
        flags=FlagRules(notify=True),
        notifications=NotificationSettings(webhook_url=hook, notify_on_failure=False),
    )
    tid = setup_tracker(uow, clock)
    _scrape_at(uow, clock, fetcher, tid, 1700)
    _scrape_at(uow, clock, fetcher, tid, 1500)
    _scrape_at(uow, clock, fetcher, tid, 1400)
    sent = [n for n in uow.committed.notifications.values() if n.kind == "REVIEW_FLAG"]
    assert [(n.channel, n.target, n.payload["kind"]) for n in sent] == [
        ("WEBHOOK", hook, "RATING_DROP")
    ]


def test_no_webhook_message_without_the_setting() -> None:
    uow, clock, fetcher, tid = _world()
    _scrape_at(uow, clock, fetcher, tid, 1700)
    _scrape_at(uow, clock, fetcher, tid, 1500)
    assert len(_open(uow, "RATING_DROP")) == 1
    assert not [n for n in uow.committed.notifications.values() if n.kind == "REVIEW_FLAG"]


def test_manual_numbers_count_until_a_newer_scrape_succeeds() -> None:

    uow, clock, fetcher, tid = _world()
    cmd = EnterManualRatings(
        guild_id=GUILD,
        user_id="1",
        tracker_id=tid,
        season_number=34,
        playlists={"2v2": ManualPlaylist(1800, 90)},
        actor="bot",
    )
    enter_manual_ratings(cmd, uow=uow, clock=clock)
    [manual] = guild_standings(GUILD, uow=uow, clock=clock)
    assert manual.best is not None and manual.best.inputs.twos == 1800
    clock.advance(hours=1)
    _scrape_at(uow, clock, fetcher, tid, 1500)
    [scraped] = guild_standings(GUILD, uow=uow, clock=clock)
    assert scraped.best is not None and scraped.best.inputs.twos == 1500
    sources = [s.source for s in uow.committed.snapshots]
    assert sources == ["MANUAL", "SCRAPE"]
    assert _open(uow, "RATING_DROP") == []  # staff-entered numbers are not a rating history
