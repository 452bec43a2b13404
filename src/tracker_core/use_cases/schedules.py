"""Use cases of scheduled guild processing: create, list, cancel, claim, run, finish."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from tracker_core.errors import Conflict, NotFound, RuleViolation, TrackerError
from tracker_core.policy import Policy
from tracker_core.ports import Clock, JobQueue, UnitOfWork
from tracker_core.schedules import Schedule, ScheduleStatus
from tracker_core.use_cases.processing import process_guild


@attrs.frozen(kw_only=True)
class CreateSchedule:
    guild_id: str
    scheduled_at: datetime
    created_by: str
    metadata: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class ScheduleRun:
    """What a scheduler did with one due schedule."""

    schedule_id: str
    status: ScheduleStatus
    result: dict[str, Any] | None
    error: str | None


def create_schedule(cmd: CreateSchedule, *, uow: UnitOfWork, clock: Clock) -> Schedule:
    """Schedule the processing of a guild at a future instant.

    Raises:
        NotFound: no such guild.
        RuleViolation: the instant is not strictly in the future.
    """
    now = clock.now()
    with uow:
        if uow.guilds.get(cmd.guild_id) is None:
            raise NotFound(f"Guild {cmd.guild_id} not found")
        if cmd.scheduled_at <= now:
            raise RuleViolation("Scheduled date must be in the future")
        schedule = Schedule(
            id=uow.next_id(),
            guild_id=cmd.guild_id,
            scheduled_at=cmd.scheduled_at,
            created_by=cmd.created_by,
            metadata=dict(cmd.metadata),
            created_at=now,
            updated_at=now,
        )
        uow.schedules.add(schedule)
        uow.commit()
    return schedule


def list_schedules(
    guild_id: str,
    *,
    status: ScheduleStatus | None,
    include_completed: bool,
    uow: UnitOfWork,
) -> list[Schedule]:
    """A guild's schedules by instant; ``status`` wins over ``include_completed``."""
    with uow:
        return uow.schedules.for_guild(guild_id, status, include_completed)


def cancel_schedule(schedule_id: str, *, uow: UnitOfWork, clock: Clock) -> Schedule:
    """Cancel a PENDING schedule.

    Raises:
        NotFound: no such schedule.
        IllegalTransition: it is not PENDING (``Cannot cancel schedule with status X``).
        Conflict: a scheduler claimed it at the same moment.
    """
    with uow:
        schedule = uow.schedules.get(schedule_id)
        if schedule is None:
            raise NotFound(f"Schedule {schedule_id} not found")
        schedule.cancel(clock.now())
        uow.schedules.save(schedule)
        uow.commit()
    return schedule


def claim_schedule(
    schedule_id: str, *, uow: UnitOfWork, clock: Clock, policy: Policy
) -> Schedule | None:
    """Claim one due schedule exactly once (compare-and-set); missed ones become FAILED.

    None when it is not due, already claimed or cancelled, or was missed.
    """
    now = clock.now()
    with uow:
        schedule = uow.schedules.get(schedule_id)
        if schedule is None or not schedule.is_due(now):
            return None
        missed = schedule.is_missed(now, policy.misfire_grace)
        if missed:
            schedule.miss(now)
        else:
            schedule.claim(now)
        try:
            uow.schedules.save(schedule)
            uow.commit()
        except Conflict:
            return None
    return None if missed else schedule


def finish_schedule(
    schedule_id: str,
    *,
    result: dict[str, Any] | None,
    error: str | None,
    uow: UnitOfWork,
    clock: Clock,
) -> Schedule:
    """Record how a RUNNING schedule ended: COMPLETED with its result or FAILED."""
    with uow:
        schedule = uow.schedules.get(schedule_id)
        if schedule is None:
            raise NotFound(f"Schedule {schedule_id} not found")
        schedule.finish(clock.now(), result=result, error=error)
        uow.schedules.save(schedule)
        uow.commit()
    return schedule


def run_due_schedules(
    *, uow: UnitOfWork, queue: JobQueue, clock: Clock, policy: Policy
) -> list[ScheduleRun]:
    """Claim every due schedule this scheduler wins, process its guild, record the outcome."""
    with uow:
        due = [s.id for s in uow.schedules.due(clock.now())]
    runs = []
    for schedule_id in due:
        schedule = claim_schedule(schedule_id, uow=uow, clock=clock, policy=policy)
        if schedule is None:
            continue
        result: dict[str, Any] | None = None
        error: str | None = None
        try:
            outcome = process_guild(
                schedule.guild_id, uow=uow, queue=queue, clock=clock, policy=policy
            )
            result = {"processed": outcome.processed}
        except TrackerError as exc:
            error = str(exc)
        done = finish_schedule(schedule_id, result=result, error=error, uow=uow, clock=clock)
        runs.append(ScheduleRun(done.id, done.status, done.result, done.error_message))
    return runs
