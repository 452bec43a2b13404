"""Use cases of scheduled guild processing: create, list, cancel, claim, run, finish."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import attrs

from tracker_core.errors import (
    ConflictError,
    IllegalTransitionError,
    NotFoundError,
    RuleViolationError,
    TrackerError,
)
from tracker_core.policy import Policy
from tracker_core.ports import Clock, JobQueue, UnitOfWork
from tracker_core.schedules import Schedule, ScheduleStatus
from tracker_core.use_cases.processing import process_guild

log = logging.getLogger("tracker_core.schedules")


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
        NotFoundError: no such guild.
        RuleViolationError: the instant is not strictly in the future.
    """
    now = clock.now()
    with uow:
        if uow.guilds.get(cmd.guild_id) is None:
            raise NotFoundError(f"Guild {cmd.guild_id} not found")
        if cmd.scheduled_at <= now:
            raise RuleViolationError("Scheduled date must be in the future")
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
        NotFoundError: no such schedule.
        IllegalTransitionError: it is not PENDING (``Cannot cancel schedule with status X``).
        ConflictError: a scheduler claimed it at the same moment.
    """
    with uow:
        schedule = uow.schedules.get(schedule_id)
        if schedule is None:
            raise NotFoundError(f"Schedule {schedule_id} not found")
        schedule.cancel(clock.now())
        uow.schedules.save(schedule)
        uow.commit()
    return schedule


def claim_schedule(
    schedule_id: str, *, uow: UnitOfWork, clock: Clock, policy: Policy
) -> Schedule | None:
    """Claim one due schedule, or take back one whose scheduler died, exactly once
    (compare-and-set). Missed ones, and abandoned ones out of attempts, become FAILED.

    None when there is nothing to run: not due, claimed by another scheduler (lease still
    running), cancelled, finished, missed or out of attempts.
    """
    now = clock.now()
    with uow:
        schedule = uow.schedules.get(schedule_id)
        if schedule is None:
            return None
        if schedule.is_due(now):
            runnable = not schedule.is_missed(now, policy.misfire_grace)
            if runnable:
                schedule.claim(now, policy.lease)
            else:
                schedule.miss(now)
        elif schedule.lease_expired(now):
            runnable = schedule.take_back(now, policy.lease, policy.schedule_max_attempts)
            log.warning(
                "schedule %s: its scheduler did not finish within the lease; %s",
                schedule_id,
                f"running it again (attempt {schedule.attempts})" if runnable else "FAILED",
            )
        else:
            return None
        try:
            uow.schedules.save(schedule)
            uow.commit()
        except ConflictError:
            return None
    return schedule if runnable else None


def finish_schedule(
    schedule_id: str,
    *,
    attempt: int,
    result: dict[str, Any] | None,
    error: str | None,
    uow: UnitOfWork,
    clock: Clock,
) -> Schedule:
    """Record how attempt ``attempt`` of a RUNNING schedule ended: COMPLETED or FAILED.

    Raises:
        NotFoundError: no such schedule.
        IllegalTransitionError: it is no longer RUNNING under this attempt (taken back).
        ConflictError: another scheduler changed it at the same moment.
    """
    with uow:
        schedule = uow.schedules.get(schedule_id)
        if schedule is None:
            raise NotFoundError(f"Schedule {schedule_id} not found")
        schedule.finish(clock.now(), attempt=attempt, result=result, error=error)
        uow.schedules.save(schedule)
        uow.commit()
    return schedule


def run_due_schedules(
    *, uow: UnitOfWork, queue: JobQueue, clock: Clock, policy: Policy
) -> list[ScheduleRun]:
    """Claim every due schedule this scheduler wins, and take back every RUNNING one whose
    lease expired (its scheduler died); process each guild and record the outcome."""
    with uow:
        now = clock.now()
        found = uow.schedules.due(now) + uow.schedules.abandoned(now)
    runs = []
    for schedule_id in [s.id for s in found]:
        schedule = claim_schedule(schedule_id, uow=uow, clock=clock, policy=policy)
        if schedule is None:
            continue
        run = _run(schedule, uow=uow, queue=queue, clock=clock, policy=policy)
        if run is not None:
            runs.append(run)
    return runs


def _run(
    schedule: Schedule, *, uow: UnitOfWork, queue: JobQueue, clock: Clock, policy: Policy
) -> ScheduleRun | None:
    """Process the claimed schedule's guild and finish it; None when it was taken over."""
    result: dict[str, Any] | None = None
    error: str | None = None
    try:
        outcome = process_guild(schedule.guild_id, uow=uow, queue=queue, clock=clock, policy=policy)
        result = {"processed": outcome.processed}
    except TrackerError as exc:
        error = str(exc)
    try:
        done = finish_schedule(
            schedule.id, attempt=schedule.attempts, result=result, error=error, uow=uow, clock=clock
        )
    except (IllegalTransitionError, ConflictError) as exc:
        log.warning(
            "schedule %s: result of attempt %d dropped: %s", schedule.id, schedule.attempts, exc
        )
        return None
    return ScheduleRun(done.id, done.status, done.result, done.error_message)
