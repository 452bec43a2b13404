"""Scheduled guild processing and its status machine."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

import attrs

from tracker_core.errors import IllegalTransition


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
    version: int = 0

    def is_due(self, now: datetime) -> bool:
        return self.status == ScheduleStatus.PENDING and self.scheduled_at <= now

    def claim(self, now: datetime) -> None:
        """PENDING → RUNNING, only once its instant has come."""
        if not self.is_due(now):
            raise IllegalTransition(f"Schedule {self.id} is not due (status {self.status})")
        self.status = ScheduleStatus.RUNNING
        self.executed_at = now
        self.updated_at = now

    def is_missed(self, now: datetime, grace: timedelta) -> bool:
        """Due, but later than the misfire grace allows."""
        return self.is_due(now) and now - self.scheduled_at >= grace

    def miss(self, now: datetime) -> None:
        """PENDING → FAILED because no scheduler ran in time."""
        if self.status != ScheduleStatus.PENDING:
            raise IllegalTransition(f"Schedule {self.id} is {self.status}")
        self.status = ScheduleStatus.FAILED
        instant = self.scheduled_at.isoformat().replace("+00:00", "Z")
        self.error_message = f"Missed: scheduler was not running at {instant}"
        self.updated_at = now

    def finish(self, now: datetime, *, result: dict[str, Any] | None, error: str | None) -> None:
        """RUNNING → COMPLETED with its result, or FAILED with the error."""
        if self.status != ScheduleStatus.RUNNING:
            raise IllegalTransition(f"Schedule {self.id} is {self.status}, not RUNNING")
        self.status = ScheduleStatus.FAILED if error else ScheduleStatus.COMPLETED
        self.error_message = error
        self.result = result
        self.updated_at = now

    def cancel(self, now: datetime) -> None:
        """PENDING → CANCELLED.

        Raises:
            IllegalTransition: the schedule is not PENDING (message per the spec).
        """
        if self.status != ScheduleStatus.PENDING:
            raise IllegalTransition(f"Cannot cancel schedule with status {self.status}")
        self.status = ScheduleStatus.CANCELLED
        self.updated_at = now
