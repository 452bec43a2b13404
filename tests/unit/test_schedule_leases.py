"""Schedule leases: a scheduler that dies after claiming leaves its schedule to another one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.fakes import FakeQueue, FakeUnitOfWork, FixedClock

from tracker_core.errors import IllegalTransitionError
from tracker_core.guilds import Guild, GuildMember
from tracker_core.policy import Policy
from tracker_core.schedules import Schedule, ScheduleStatus
from tracker_core.use_cases.schedules import (
    CreateSchedule,
    claim_schedule,
    create_schedule,
    finish_schedule,
    run_due_schedules,
)
from tracker_core.use_cases.trackers import RegisterTrackers, register_trackers

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
GUILD = "100000000000000001"
MEMBER = "100000000000000002"
URL = "https://rocketleague.tracker.network/rocket-league/profile/steam/{}/overview"
LEASE = timedelta(minutes=10)


@pytest.fixture
def world() -> tuple[FakeUnitOfWork, FakeQueue, FixedClock, Policy, str]:
    """A guild with one member's tracker and a schedule for it, due now."""
    uow, queue, clock, policy = FakeUnitOfWork(), FakeQueue(), FixedClock(T0), Policy(lease=LEASE)
    with uow:
        uow.guilds.add(Guild(id=GUILD, name="L", created_at=T0, updated_at=T0))
        uow.guilds.replace_members(GUILD, [GuildMember(guild_id=GUILD, user_id=MEMBER, roles=())])
        uow.commit()
    register_trackers(
        RegisterTrackers(user_id=MEMBER, urls=(URL.format("m"),)),
        uow=uow,
        queue=FakeQueue(),
        clock=clock,
        policy=policy,
    )
    schedule = create_schedule(
        CreateSchedule(guild_id=GUILD, scheduled_at=T0 + timedelta(minutes=1), created_by="1"),
        uow=uow,
        clock=clock,
    )
    clock.advance(minutes=2)
    return uow, queue, clock, policy, schedule.id


def _stored(uow: FakeUnitOfWork, schedule_id: str) -> Schedule:
    return uow.committed.schedules[schedule_id]


def test_a_schedule_whose_scheduler_died_is_run_again_exactly_once(
    world: tuple[FakeUnitOfWork, FakeQueue, FixedClock, Policy, str],
) -> None:
    uow, queue, clock, policy, sid = world
    claimed = claim_schedule(sid, uow=uow, clock=clock, policy=policy)  # then the process dies
    assert claimed is not None and claimed.attempts == 1
    assert _stored(uow, sid).lease_expires_at == clock.now() + LEASE

    clock.advance(minutes=9)  # the lease still runs: no other scheduler touches it
    assert run_due_schedules(uow=uow, queue=queue, clock=clock, policy=policy) == []
    assert _stored(uow, sid).status == ScheduleStatus.RUNNING

    clock.advance(minutes=1)
    runs = run_due_schedules(uow=uow, queue=queue, clock=clock, policy=policy)
    assert [(r.schedule_id, r.status, r.result) for r in runs] == [
        (sid, ScheduleStatus.COMPLETED, {"processed": 1})
    ]
    done = _stored(uow, sid)
    assert (done.attempts, done.executed_at, done.lease_expires_at) == (2, clock.now(), None)
    assert len(queue.jobs) == 1

    clock.advance(hours=1)
    assert run_due_schedules(uow=uow, queue=queue, clock=clock, policy=policy) == []


def test_two_schedulers_never_both_take_back_a_schedule(
    world: tuple[FakeUnitOfWork, FakeQueue, FixedClock, Policy, str],
) -> None:
    uow, _, clock, policy, sid = world
    assert claim_schedule(sid, uow=uow, clock=clock, policy=policy) is not None
    clock.advance(minutes=11)
    first = claim_schedule(sid, uow=uow, clock=clock, policy=policy)
    second = claim_schedule(sid, uow=uow, clock=clock, policy=policy)
    assert first is not None and first.attempts == 2
    assert second is None


def test_the_late_result_of_a_scheduler_that_lost_its_lease_is_dropped(
    world: tuple[FakeUnitOfWork, FakeQueue, FixedClock, Policy, str],
) -> None:
    uow, queue, clock, policy, sid = world
    slow = claim_schedule(sid, uow=uow, clock=clock, policy=policy)
    assert slow is not None
    clock.advance(minutes=11)
    run_due_schedules(uow=uow, queue=queue, clock=clock, policy=policy)  # takes it back
    with pytest.raises(IllegalTransitionError, match="taken over|not RUNNING"):
        finish_schedule(sid, attempt=slow.attempts, result=None, error="boom", uow=uow, clock=clock)
    assert _stored(uow, sid).status == ScheduleStatus.COMPLETED


def test_a_schedule_that_kills_every_scheduler_fails_after_its_attempts(
    world: tuple[FakeUnitOfWork, FakeQueue, FixedClock, Policy, str],
) -> None:
    uow, queue, clock, policy, sid = world
    for attempt in range(1, policy.schedule_max_attempts + 1):
        claimed = claim_schedule(sid, uow=uow, clock=clock, policy=policy)
        assert claimed is not None and claimed.attempts == attempt
        clock.advance(minutes=11)
    assert run_due_schedules(uow=uow, queue=queue, clock=clock, policy=policy) == []
    failed = _stored(uow, sid)
    assert failed.status == ScheduleStatus.FAILED
    assert failed.error_message == (
        "Scheduler lost: no scheduler finished it within its lease after 3 attempt(s)"
    )
    assert failed.lease_expires_at is None
    assert queue.jobs == {}


def test_aggregate_rules_of_the_lease() -> None:
    schedule = Schedule(
        id="s", guild_id=GUILD, scheduled_at=T0, created_by="1", created_at=T0, updated_at=T0
    )
    with pytest.raises(IllegalTransitionError):
        schedule.take_back(T0, LEASE, 3)  # PENDING is not abandoned
    schedule.claim(T0, LEASE)
    assert not schedule.lease_expired(T0 + LEASE - timedelta(seconds=1))
    assert schedule.lease_expired(T0 + LEASE)
    with pytest.raises(IllegalTransitionError):
        schedule.take_back(T0 + timedelta(minutes=1), LEASE, 3)
    assert schedule.take_back(T0 + LEASE, LEASE, 3) is True
    with pytest.raises(IllegalTransitionError, match="taken over"):
        schedule.finish(T0 + LEASE, attempt=1, result={"processed": 0}, error=None)
    schedule.finish(T0 + LEASE, attempt=2, result={"processed": 0}, error=None)
    assert schedule.status == ScheduleStatus.COMPLETED and not schedule.lease_expired(
        T0 + 10 * LEASE
    )


def test_a_running_schedule_without_a_lease_counts_as_abandoned() -> None:
    legacy = Schedule(
        id="s",
        guild_id=GUILD,
        scheduled_at=T0,
        created_by="1",
        created_at=T0,
        updated_at=T0,
        status=ScheduleStatus.RUNNING,
        attempts=1,
    )
    assert legacy.lease_expired(T0)
