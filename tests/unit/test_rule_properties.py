"""The rules as hypothesis properties over the fakes."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from tests.fakes import FakeQueue, FakeUnitOfWork, FixedClock

from tracker_core.changes import diff_stats, update_is_notable
from tracker_core.errors import IllegalTransition, TrackerError
from tracker_core.guilds import Guild
from tracker_core.model import LEGAL_TRANSITIONS, Tracker, TrackerStatus
from tracker_core.policy import Policy
from tracker_core.schedules import ScheduleStatus
from tracker_core.stats import PlaylistStats
from tracker_core.use_cases.schedules import (
    CreateSchedule,
    cancel_schedule,
    claim_schedule,
    create_schedule,
)
from tracker_core.use_cases.trackers import (
    AddTracker,
    RegisterTrackers,
    add_tracker,
    delete_tracker,
    register_trackers,
    restore_tracker,
)

BASE = "https://rocketleague.tracker.network/rocket-league/profile"
USERS = st.sampled_from(["1", "2", "3"])
NAMES = st.sampled_from(["a", "A", "b", "c", "d", "e", "f", "Gg", "gG"])


class TrackerRules(RuleBasedStateMachine):
    """Interleavings of register / add / delete / restore for a few users."""

    def __init__(self) -> None:
        super().__init__()
        self.uow = FakeUnitOfWork()
        self.queue = FakeQueue()
        self.clock = FixedClock()
        self.policy = Policy()

    def _ids(self, user: str) -> list[str]:
        return sorted(t.id for t in self.uow.committed.trackers.values() if t.user_id == user)

    @rule(user=USERS, names=st.lists(NAMES, min_size=0, max_size=5))
    def register(self, user: str, names: list[str]) -> None:
        cmd = RegisterTrackers(user_id=user, urls=tuple(f"{BASE}/epic/{n}" for n in names))
        with contextlib.suppress(TrackerError):
            register_trackers(
                cmd, uow=self.uow, queue=self.queue, clock=self.clock, policy=self.policy
            )

    @rule(user=USERS, name=NAMES)
    def add(self, user: str, name: str) -> None:
        cmd = AddTracker(user_id=user, url=f"{BASE}/epic/{name}/overview")
        with contextlib.suppress(TrackerError):
            add_tracker(cmd, uow=self.uow, queue=self.queue, clock=self.clock, policy=self.policy)

    @rule(user=USERS, actor=USERS, index=st.integers(0, 8))
    def delete(self, user: str, actor: str, index: int) -> None:
        ids = self._ids(user)
        if ids:
            with contextlib.suppress(TrackerError):
                delete_tracker(actor, ids[index % len(ids)], uow=self.uow, clock=self.clock)

    @rule(user=USERS, index=st.integers(0, 8))
    def restore(self, user: str, index: int) -> None:
        ids = self._ids(user)
        if ids:
            with contextlib.suppress(TrackerError):
                restore_tracker(
                    user,
                    ids[index % len(ids)],
                    uow=self.uow,
                    queue=self.queue,
                    clock=self.clock,
                    policy=self.policy,
                )

    @invariant()
    def never_above_the_limit_nor_two_live_identities(self) -> None:
        live = [t for t in self.uow.committed.trackers.values() if not t.is_deleted]
        for user in ("1", "2", "3"):
            assert sum(t.user_id == user for t in live) <= self.policy.max_trackers_per_user
        identities = [t.identity for t in live]
        assert len(identities) == len(set(identities))


TestTrackerRules = TrackerRules.TestCase
TestTrackerRules.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
OPERATIONS = st.sampled_from(
    ["claim", "complete", "retryable", "terminal", "expire", "refresh", "guard"]
)


@given(st.lists(OPERATIONS, max_size=40), st.integers(1, 5))
def test_tracker_status_machine_only_takes_legal_steps(ops: list[str], max_attempts: int) -> None:
    tracker = Tracker(
        id="c" + "0" * 24,
        url="u",
        platform="EPIC",
        username="x",
        identity="epic:x",
        api_path="epic/x",
        user_id="1",
        created_at=T0,
        updated_at=T0,
    )
    now = T0
    for op in ops:
        before = tracker.scraping_status
        now += timedelta(minutes=11)
        try:
            if op == "claim":
                tracker.claim(now, timedelta(minutes=10), "t")
            elif op == "complete":
                tracker.complete(now, None)
            elif op in ("retryable", "terminal"):
                if tracker.scraping_status != TrackerStatus.IN_PROGRESS:
                    continue
                tracker.fail_attempt(
                    now,
                    message="e",
                    category="upstream",
                    retryable=op == "retryable",
                    max_attempts=max_attempts,
                    retry_delay=timedelta(seconds=1),
                )
            elif op == "expire":
                if not tracker.lease_expired(now):
                    continue
                tracker.expire_lease(now, max_attempts)
            elif op == "refresh":
                tracker.request_refresh(now)
            else:
                tracker.refuse_by_guard(now)
        except IllegalTransition:
            assert tracker.scraping_status == before
            continue
        after = tracker.scraping_status
        assert after == before or (before, after) in LEGAL_TRANSITIONS
        assert 0 <= tracker.scraping_attempts <= max_attempts
        if after == TrackerStatus.COMPLETED:
            assert tracker.scraping_attempts == 0 and tracker.scraping_error is None


@given(
    st.lists(
        st.tuples(st.sampled_from(["claim_a", "claim_b", "cancel", "tick"]), st.integers(0, 3)),
        max_size=40,
    )
)
def test_a_schedule_is_claimed_once_per_lease_and_never_after_cancel(
    steps: list[tuple[str, int]],
) -> None:
    uow, clock, policy = FakeUnitOfWork(), FixedClock(T0), Policy()
    with uow:
        uow.guilds.add(Guild(id="100000000000000001", name="g", created_at=T0, updated_at=T0))
        uow.commit()
    ids = [
        create_schedule(
            CreateSchedule(
                guild_id="100000000000000001",
                scheduled_at=T0 + timedelta(minutes=5 * (i + 1)),
                created_by="1",
            ),
            uow=uow,
            clock=clock,
        ).id
        for i in range(4)
    ]
    claims: dict[str, list[datetime]] = {}
    cancelled: set[str] = set()
    for action, index in steps:
        sid = ids[index]
        if action == "tick":
            clock.advance(minutes=4)
        elif action == "cancel":
            try:
                cancel_schedule(sid, uow=uow, clock=clock)
                cancelled.add(sid)
            except TrackerError:
                pass
        elif claim_schedule(sid, uow=uow, clock=clock, policy=policy) is not None:
            assert sid not in cancelled
            assert uow.committed.schedules[sid].scheduled_at <= clock.now()
            # claimed again only when the previous claimer never finished within its lease
            earlier = claims.setdefault(sid, [])
            assert not earlier or clock.now() >= earlier[-1] + policy.lease
            earlier.append(clock.now())
    assert all(len(times) <= policy.schedule_max_attempts for times in claims.values())
    for sid in cancelled:
        assert uow.committed.schedules[sid].status == ScheduleStatus.CANCELLED


maybe_int = st.none() | st.integers(0, 3000)
playlist_stats = st.builds(
    PlaylistStats,
    rank=st.none() | st.sampled_from(["Champion I", "Grand Champion I"]),
    rank_value=maybe_int,
    division=st.none() | st.sampled_from(["Division I", "Division II"]),
    division_value=st.none() | st.integers(0, 3),
    rating=maybe_int,
    matches_played=maybe_int,
    win_streak=st.none() | st.integers(-20, 20),
    peak_rating=maybe_int,
    all_time_peak_rating=maybe_int,
)
stats_maps = st.fixed_dictionaries(
    {}, optional={p: st.none() | playlist_stats for p in ("1v1", "2v2", "3v3", "4v4")}
)


@given(stats_maps, st.integers(0, 100))
def test_diff_of_identical_stats_reports_no_change(stats, threshold) -> None:  # type: ignore[no-untyped-def]
    changes = diff_stats(stats, stats)
    assert not changes.has_changes and not changes.first
    assert not update_is_notable(changes, threshold)


@given(stats_maps, stats_maps)
def test_diff_reports_the_rating_delta(before, after) -> None:  # type: ignore[no-untyped-def]
    changes = diff_stats(before, after)
    for change in changes.playlists:
        old, new = before.get(change.playlist), after.get(change.playlist)
        if old and new and old.rating is not None and new.rating is not None:
            assert change.rating_delta == new.rating - old.rating
