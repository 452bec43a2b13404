"""The rules as hypothesis properties over the fakes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)
from tests.fakes import FakeQueue, FakeUnitOfWork, FixedClock
from tests.profiles import examples

from tracker_core.changes import diff_stats, update_is_notable
from tracker_core.errors import (
    AlreadyRegisteredError,
    ForbiddenError,
    IllegalTransitionError,
    LimitReachedError,
    NotFoundError,
    RateLimitedError,
    RuleViolationError,
    TrackerError,
)
from tracker_core.guilds import Guild, GuildMember, GuildSettings
from tracker_core.model import LEGAL_TRANSITIONS, Tracker, TrackerStatus
from tracker_core.policy import Policy
from tracker_core.schedules import ScheduleStatus
from tracker_core.stats import PlaylistStats
from tracker_core.use_cases.guilds import RegisterByStaff, register_by_staff
from tracker_core.use_cases.schedules import (
    CreateSchedule,
    cancel_schedule,
    claim_schedule,
    create_schedule,
)
from tracker_core.use_cases.trackers import (
    AddTracker,
    RefreshTracker,
    RegisterTrackers,
    add_tracker,
    delete_tracker,
    refresh_tracker,
    register_trackers,
    restore_tracker,
)

T = TypeVar("T")

BASE = "https://rocketleague.tracker.network/rocket-league/profile"
USERS = st.sampled_from(["1", "2", "3"])
NAMES = st.sampled_from(["a", "A", "b", "c", "d", "e", "f", "Gg", "gG"])
GUILD = "100000000000000001"
STAFF = "9"
POLICIES = st.builds(
    Policy,
    max_trackers_per_user=st.integers(1, 6),
    refresh_cooldown=st.integers(0, 900).map(lambda s: timedelta(seconds=s)),
)


@attrs.define
class Expected:
    """The model of one stored tracker."""

    id: str
    user: str
    identity: str
    deleted: bool = False
    status: TrackerStatus = TrackerStatus.PENDING
    last_refresh_at: datetime | None = None


def _outcome(call: Callable[[], T]) -> tuple[T | None, TrackerError | None]:
    try:
        return call(), None
    except TrackerError as exc:
        return None, exc


def _check_refusal(error: TrackerError | None, expected: tuple[type[TrackerError], str]) -> None:
    kind, words = expected
    assert type(error) is kind and words in str(error), (error, expected)


class TrackerRules(RuleBasedStateMachine):
    """Register / staff-register / add / delete / restore / refresh under a random ``Policy``.

    Users 1 and 2 belong to one guild whose processing guard is drawn; user 3 belongs to no
    guild; user 9 is that guild's admin. A model predicts each call's outcome: a refusal must
    be the predicted error, an unpredicted error fails the run, and after every step the stored
    trackers and the queue must equal the model.
    """

    trackers = Bundle("trackers")

    def __init__(self) -> None:
        super().__init__()
        self.uow = FakeUnitOfWork()
        self.queue = FakeQueue()
        self.clock = FixedClock()
        self.policy = Policy()
        self.processing = True
        self.model: dict[str, Expected] = {}
        self.queued: set[str] = set()

    @initialize(policy=POLICIES, processing=st.booleans())
    def setup(self, policy: Policy, processing: bool) -> None:
        self.policy, self.processing = policy, processing
        now, store = self.clock.now(), self.uow.committed
        store.guilds[GUILD] = Guild(id=GUILD, name="League", created_at=now, updated_at=now)
        store.settings[GUILD] = GuildSettings(
            tracker_processing_enabled=processing, admin_roles=("admin",)
        )
        store.members[(GUILD, STAFF)] = GuildMember(guild_id=GUILD, user_id=STAFF, roles=("admin",))
        for user in ("1", "2"):
            store.members[(GUILD, user)] = GuildMember(guild_id=GUILD, user_id=user)

    # -- the model ---------------------------------------------------------------------------
    def _live(self, user: str) -> list[Expected]:
        return [t for t in self.model.values() if t.user == user and not t.deleted]

    def _holder(self, identity: str) -> Expected | None:
        return next(
            (t for t in self.model.values() if t.identity == identity and not t.deleted), None
        )

    def _allowed(self, user: str) -> bool:
        return user == "3" or self.processing

    def _store(self, tracker: Tracker, user: str, identity: str) -> None:
        """A successful create or restore: PENDING and queued, or FAILED by the guard."""
        found = next(
            (t for t in self.model.values() if t.user == user and t.identity == identity), None
        )
        if found is None:
            assert tracker.id not in self.model
            found = self.model[tracker.id] = Expected(tracker.id, user, identity)
        else:
            assert tracker.id == found.id, "one's own deleted tracker is restored, not duplicated"
            found.deleted, found.last_refresh_at = False, self.clock.now()
        allowed = self._allowed(user)
        found.status = TrackerStatus.PENDING if allowed else TrackerStatus.FAILED
        if allowed:
            self.queued.add(found.id)

    def _register_refusal(
        self, user: str, identities: list[str]
    ) -> tuple[type[TrackerError], str] | None:
        if not 1 <= len(identities) <= self.policy.max_trackers_per_user:
            return RuleViolationError, f"between 1 and {self.policy.max_trackers_per_user} tracker"
        if len(set(identities)) != len(identities):
            return RuleViolationError, "Duplicate URLs"
        if self._live(user):
            return RuleViolationError, "You already have"
        if any(self._holder(i) for i in identities):
            return AlreadyRegisteredError, "have already been registered"
        return None

    def _registered(
        self, user: str, identities: list[str], trackers: list[Tracker]
    ) -> MultipleResults[str]:
        assert [t.identity for t in trackers] == identities
        for tracker, identity in zip(trackers, identities, strict=True):
            self._store(tracker, user, identity)
        return multiple(*(t.id for t in trackers))

    # -- the rules ---------------------------------------------------------------------------
    @rule(target=trackers, user=USERS, names=st.lists(NAMES, max_size=7))
    def register(self, user: str, names: list[str]) -> MultipleResults[str]:
        cmd = RegisterTrackers(user_id=user, urls=tuple(f"{BASE}/epic/{n}" for n in names))
        identities = [f"epic:{n.casefold()}" for n in names]
        refusal = self._register_refusal(user, identities)
        trackers, error = _outcome(
            lambda: register_trackers(
                cmd, uow=self.uow, queue=self.queue, clock=self.clock, policy=self.policy
            )
        )
        if refusal is not None:
            _check_refusal(error, refusal)
            return multiple()
        assert error is None and trackers is not None, error
        return self._registered(user, identities, trackers)

    @rule(
        target=trackers,
        staff=st.sampled_from([STAFF, "1"]),
        user=USERS,
        names=st.lists(NAMES, max_size=7),
    )
    def staff_register(self, staff: str, user: str, names: list[str]) -> MultipleResults[str]:
        register = RegisterTrackers(user_id=user, urls=tuple(f"{BASE}/epic/{n}" for n in names))
        cmd = RegisterByStaff(staff_user_id=staff, guild_id=GUILD, register=register)
        identities = [f"epic:{n.casefold()}" for n in names]
        refusal: tuple[type[TrackerError], str] | None
        if staff != STAFF:
            refusal = ForbiddenError, "Only guild admins"
        elif user == "3":
            refusal = RuleViolationError, "is not a member"
        else:
            refusal = self._register_refusal(user, identities)
        result, error = _outcome(
            lambda: register_by_staff(
                cmd, uow=self.uow, queue=self.queue, clock=self.clock, policy=self.policy
            )
        )
        if refusal is not None:
            _check_refusal(error, refusal)
            return multiple()
        assert error is None and result is not None, error
        return self._registered(user, identities, result[1])

    @rule(target=trackers, user=USERS, name=NAMES)
    def add(self, user: str, name: str) -> MultipleResults[str]:
        cmd = AddTracker(user_id=user, url=f"{BASE}/epic/{name}/overview")
        identity = f"epic:{name.casefold()}"
        live = self._live(user)
        refusal: tuple[type[TrackerError], str] | None = None
        if any(t.identity == identity for t in live):
            refusal = AlreadyRegisteredError, "You have already registered"
        elif len(live) >= self.policy.max_trackers_per_user:
            refusal = LimitReachedError, f"maximum of {self.policy.max_trackers_per_user} trackers"
        elif self._holder(identity) is not None:
            refusal = AlreadyRegisteredError, "with another user"
        tracker, error = _outcome(
            lambda: add_tracker(
                cmd, uow=self.uow, queue=self.queue, clock=self.clock, policy=self.policy
            )
        )
        if refusal is not None:
            _check_refusal(error, refusal)
            return multiple()
        assert error is None and tracker is not None, error
        self._store(tracker, user, identity)
        return multiple(tracker.id)

    @rule(tracker_id=trackers, other=st.one_of(st.none(), USERS))
    def delete(self, tracker_id: str, other: str | None) -> None:
        """``other`` None: the owner acts (the common case), else that user does."""
        target = self.model[tracker_id]
        user, actor = target.user, other or target.user
        _, error = _outcome(
            lambda: delete_tracker(actor, target.id, uow=self.uow, clock=self.clock)
        )
        if target.deleted:
            _check_refusal(error, (NotFoundError, "not found"))
        elif actor != user:
            _check_refusal(error, (ForbiddenError, "your own"))
        else:
            assert error is None, error
            target.deleted = True

    @rule(tracker_id=trackers, other=st.one_of(st.none(), USERS))
    def restore(self, tracker_id: str, other: str | None) -> None:
        """``other`` None: the owner acts (the common case), else that user does."""
        target = self.model[tracker_id]
        user, actor = target.user, other or target.user
        refusal: tuple[type[TrackerError], str] | None = None
        if not target.deleted:
            refusal = NotFoundError, "not found"
        elif actor != user:
            refusal = ForbiddenError, "your own"
        elif len(self._live(user)) >= self.policy.max_trackers_per_user:
            refusal = LimitReachedError, f"maximum of {self.policy.max_trackers_per_user} trackers"
        elif self._holder(target.identity) is not None:
            refusal = AlreadyRegisteredError, "with another user"
        tracker, error = _outcome(
            lambda: restore_tracker(
                actor,
                target.id,
                uow=self.uow,
                queue=self.queue,
                clock=self.clock,
                policy=self.policy,
            )
        )
        if refusal is not None:
            _check_refusal(error, refusal)
            return
        assert error is None and tracker is not None, error
        self._store(tracker, user, target.identity)

    @rule(tracker_id=trackers, actor=st.one_of(st.none(), USERS), owner=st.booleans())
    def refresh(self, tracker_id: str, actor: str | None, owner: bool) -> None:
        """``actor`` None: the bot or an admin; ``owner`` makes the owner the actor."""
        target = self.model[tracker_id]
        user = target.user
        actor = user if owner and actor is not None else actor
        cmd = RefreshTracker(tracker_id=target.id, actor_id=actor)
        outcome, error = _outcome(
            lambda: refresh_tracker(
                cmd, uow=self.uow, queue=self.queue, clock=self.clock, policy=self.policy
            )
        )
        now = self.clock.now()
        cooling = (
            target.last_refresh_at is not None
            and target.last_refresh_at + self.policy.refresh_cooldown > now
        )
        if target.deleted:
            _check_refusal(error, (NotFoundError, "not found"))
        elif actor is not None and actor != user:
            _check_refusal(error, (ForbiddenError, "your own"))
        elif target.id in self.queued:
            assert error is None and outcome is not None and not outcome.enqueued, error
        elif actor is not None and cooling:
            _check_refusal(error, (RateLimitedError, "Please wait"))
        else:
            assert error is None and outcome is not None and outcome.enqueued, error
            target.status, target.last_refresh_at = TrackerStatus.PENDING, now
            self.queued.add(target.id)

    @rule(seconds=st.integers(0, 600))
    def tick(self, seconds: int) -> None:
        self.clock.advance(seconds=seconds)

    @rule()
    def worker_takes_a_job(self) -> None:
        taken = self.queue.pop()
        assert (taken is None) == (not self.queued)
        self.queued.discard(taken or "")

    # -- what must hold after every step ------------------------------------------------------
    @invariant()
    def stored_trackers_and_queue_are_the_model(self) -> None:
        stored = self.uow.committed.trackers
        assert set(stored) == set(self.model)
        for tracker_id, expected in self.model.items():
            t = stored[tracker_id]
            got = (t.user_id, t.identity, t.is_deleted, t.scraping_status, t.last_refresh_at)
            assert got == (
                expected.user,
                expected.identity,
                expected.deleted,
                expected.status,
                expected.last_refresh_at,
            )
        assert set(self.queue.jobs) == self.queued

    @invariant()
    def never_above_the_limit_nor_two_live_identities(self) -> None:
        live = [t for t in self.uow.committed.trackers.values() if not t.is_deleted]
        for user in ("1", "2", "3"):
            assert sum(t.user_id == user for t in live) <= self.policy.max_trackers_per_user
        identities = [t.identity for t in live]
        assert len(identities) == len(set(identities))


TestTrackerRules = TrackerRules.TestCase
TestTrackerRules.settings = settings(
    max_examples=examples(100), stateful_step_count=30, deadline=None
)

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
        except IllegalTransitionError:
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
def test_diff_of_identical_stats_reports_no_change(stats, threshold) -> None:
    changes = diff_stats(stats, stats)
    assert not changes.has_changes and not changes.first
    assert not update_is_notable(changes, threshold)


@given(stats_maps, stats_maps)
def test_diff_reports_the_rating_delta(before, after) -> None:
    changes = diff_stats(before, after)
    for change in changes.playlists:
        old, new = before.get(change.playlist), after.get(change.playlist)
        if old and new and old.rating is not None and new.rating is not None:
            assert change.rating_delta == new.rating - old.rating
