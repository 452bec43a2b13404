"""Scheduled guild processing and its status machine.

A claimed (RUNNING) schedule holds a lease. A scheduler that dies mid-run leaves it RUNNING
with a lease that runs out; any scheduler may then take it back and run it again (guild
processing is idempotent), up to a number of attempts, after which it becomes FAILED. Each
claim numbers its attempt, and only the scheduler holding the current attempt may finish it.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

import attrs

from tracker_core.errors import IllegalTransitionError


class ScheduleStatus(enum.StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"


@attrs.define(kw_only=True)
class Schedule:
    """Processing of a whole guild at a set instant (e.g. a season start)."""

    id: str
    guild_id: str
    scheduled_at: datetime
    created_by: str
    created_at: datetime
    updated_at: datetime
    status: ScheduleStatus = ScheduleStatus.PENDING
    executed_at: datetime | None = None
    error_message: str | None = None
    metadata: dict[str, Any] = attrs.field(factory=dict)
    result: dict[str, Any] | None = None
    attempts: int = 0
    lease_expires_at: datetime | None = None
    version: int = 0

    def is_due(self, now: datetime) -> bool:
        return self.status == ScheduleStatus.PENDING and self.scheduled_at <= now

    def claim(self, now: datetime, lease: timedelta) -> None:
        """PENDING → RUNNING (attempt 1) with a lease, only once its instant has come."""
        if not self.is_due(now):
            raise IllegalTransitionError(f"Schedule {self.id} is not due (status {self.status})")
        self.status = ScheduleStatus.RUNNING
        self.attempts = 1
        self._lease(now, lease)

    def _lease(self, now: datetime, lease: timedelta) -> None:
        self.executed_at = now
        self.lease_expires_at = now + lease
        self.updated_at = now

    def lease_expired(self, now: datetime) -> bool:
        """RUNNING, and the scheduler running it has not finished within its lease (it died).

        A RUNNING schedule without a lease (written before leases existed) counts as expired.
        """
        return self.status == ScheduleStatus.RUNNING and (
            self.lease_expires_at is None or self.lease_expires_at <= now
        )

    def take_back(self, now: datetime, lease: timedelta, max_attempts: int) -> bool:
        """A RUNNING schedule whose lease expired: claimed again for one more attempt (True),
        or FAILED when ``max_attempts`` are used up (False).

        Raises:
            IllegalTransitionError: it is not RUNNING with an expired lease.
        """
        if not self.lease_expired(now):
            raise IllegalTransitionError(f"Schedule {self.id} is {self.status} and not abandoned")
        if self.attempts >= max_attempts:
            self.status = ScheduleStatus.FAILED
            self.error_message = (
                f"Scheduler lost: no scheduler finished it within its lease "
                f"after {self.attempts} attempt(s)"
            )
            self.lease_expires_at = None
            self.updated_at = now
            return False
        self.attempts += 1
        self._lease(now, lease)
        return True

    def is_missed(self, now: datetime, grace: timedelta) -> bool:
        """Due, but later than the misfire grace allows."""
        return self.is_due(now) and now - self.scheduled_at >= grace

    def miss(self, now: datetime) -> None:
        """PENDING → FAILED because no scheduler ran in time."""
        if self.status != ScheduleStatus.PENDING:
            raise IllegalTransitionError(f"Schedule {self.id} is {self.status}")
        self.status = ScheduleStatus.FAILED
        instant = self.scheduled_at.isoformat().replace("+00:00", "Z")
        self.error_message = f"Missed: scheduler was not running at {instant}"
        self.updated_at = now

    def finish(
        self,
        now: datetime,
        *,
        attempt: int,
        result: dict[str, Any] | None,
        error: str | None,
    ) -> None:
        """RUNNING → COMPLETED with its result, or FAILED with the error.

        Raises:
            IllegalTransitionError: it is not RUNNING, or ``attempt`` is no longer the current one
                (another scheduler took it back after this one's lease expired).
        """
        if self.status != ScheduleStatus.RUNNING:
            raise IllegalTransitionError(f"Schedule {self.id} is {self.status}, not RUNNING")
        if attempt != self.attempts:
            raise IllegalTransitionError(
                f"Schedule {self.id} attempt {attempt} was taken over (now attempt {self.attempts})"
            )
        self.status = ScheduleStatus.FAILED if error else ScheduleStatus.COMPLETED
        self.error_message = error
        self.result = result
        self.lease_expires_at = None
        self.updated_at = now

    def cancel(self, now: datetime) -> None:
        """PENDING → CANCELLED.

        Raises:
            IllegalTransitionError: the schedule is not PENDING (message per the spec).
        """
        if self.status != ScheduleStatus.PENDING:
            raise IllegalTransitionError(f"Cannot cancel schedule with status {self.status}")
        self.status = ScheduleStatus.CANCELLED
        self.updated_at = now
