"""The notification outbox row and its delivery state."""

from __future__ import annotations

import enum
import random
from datetime import datetime, timedelta
from typing import Any, Literal

import attrs

Channel = Literal["DISCORD_DM", "WEBHOOK", "LOG"]
Kind = Literal["TRACKER_UPDATE", "TRACKER_FAILED", "REVIEW_FLAG"]


class DeliveryStatus(enum.StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


@attrs.define(kw_only=True)
class Notification:
    """One message to deliver on one channel, written with the scrape result."""

    id: str
    kind: Kind
    channel: Channel
    target: str
    tracker_id: str
    user_id: str
    message: str
    created_at: datetime
    guild_id: str | None = None
    payload: dict[str, Any] = attrs.field(factory=dict)
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    version: int = 0

    @property
    def nonce(self) -> str:
        """A stable per-notification nonce so a channel can drop a repeated send."""
        return self.id[-25:]

    def mark_sent(self, now: datetime) -> None:
        self.status = DeliveryStatus.SENT
        self.sent_at = now
        self.attempts += 1
        self.last_error = None

    def mark_failed_attempt(
        self,
        now: datetime,
        error: str,
        *,
        max_attempts: int,
        retry_after: float | None,
        rng: random.Random,
    ) -> None:
        """Record a failed try; retry later (Retry-After or backoff with jitter) or give up."""
        self.attempts += 1
        self.last_error = error
        if self.attempts >= max_attempts:
            self.status = DeliveryStatus.FAILED
            self.next_attempt_at = None
            return
        delay = retry_after if retry_after is not None else backoff_seconds(self.attempts, rng)
        self.next_attempt_at = now + timedelta(seconds=delay)


def backoff_seconds(
    attempt: int, rng: random.Random, *, base: float = 5.0, cap: float = 3600.0
) -> float:
    """Exponential backoff with equal jitter: uniform in [base·2^(n-1)/2, base·2^(n-1)]."""
    ceiling = min(cap, base * 2.0 ** max(0, attempt - 1))
    jitter: float = rng.random()
    return ceiling / 2 + jitter * ceiling / 2
