"""Tracker aggregates: the tracker and its status machine, seasons, snapshots and logs."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any, Literal

import attrs

from tracker_core.errors import IllegalTransitionError
from tracker_core.stats import RankedPlaylist, SeasonStats
from tracker_core.urls import Platform

Game = Literal["ROCKET_LEAGUE"]
"""The games a tracker can follow."""

GUARD_REFUSED_MESSAGE = "Tracker processing disabled by guild settings"
LEASE_EXPIRED_MESSAGE = "Worker lost: lease expired"


class TrackerStatus(enum.StrEnum):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class Priority(enum.StrEnum):
    """Queue lanes: user refresh, guild and schedule batches, periodic stale refresh."""

    HIGH = "high"
    DEFAULT = "default"
    LOW = "low"


LEGAL_TRANSITIONS: frozenset[tuple[TrackerStatus, TrackerStatus]] = frozenset(
    {
        (TrackerStatus.PENDING, TrackerStatus.IN_PROGRESS),
        (TrackerStatus.PENDING, TrackerStatus.FAILED),
        (TrackerStatus.IN_PROGRESS, TrackerStatus.COMPLETED),
        (TrackerStatus.IN_PROGRESS, TrackerStatus.PENDING),
        (TrackerStatus.IN_PROGRESS, TrackerStatus.FAILED),
        (TrackerStatus.COMPLETED, TrackerStatus.PENDING),
        (TrackerStatus.COMPLETED, TrackerStatus.FAILED),
        (TrackerStatus.FAILED, TrackerStatus.PENDING),
    }
)


@attrs.frozen
class AttemptOutcome:
    """What a failed attempt did to the tracker."""

    became_failed: bool
    retry_at: datetime | None


@attrs.define(kw_only=True)
class Tracker:
    """A registered TRN profile and the state of its scraping."""

    id: str
    url: str
    platform: Platform
    username: str
    identity: str
    api_path: str
    user_id: str
    created_at: datetime
    updated_at: datetime
    game: Game = "ROCKET_LEAGUE"
    display_name: str | None = None
    is_active: bool = True
    is_deleted: bool = False
    deleted_at: datetime | None = None
    last_scraped_at: datetime | None = None
    scraping_status: TrackerStatus = TrackerStatus.PENDING
    scraping_error: str | None = None
    error_category: str | None = None
    scraping_attempts: int = 0
    next_attempt_at: datetime | None = None
    lease_expires_at: datetime | None = None
    lease_token: str | None = None
    last_refresh_at: datetime | None = None
    registration_channel_id: str | None = None
    registration_interaction_token: str | None = attrs.field(default=None, repr=False)
    platform_user_id: str | None = None
    source_expires_at: datetime | None = None
    """Until when tracker.gg's own cache of the profile is fresh (from the last scrape): a
    refresh before then is answered from storage (``tracker_core.source``)."""
    version: int = 0

    def _move(self, target: TrackerStatus, now: datetime) -> None:
        if (self.scraping_status, target) not in LEGAL_TRANSITIONS:
            raise IllegalTransitionError(
                f"Tracker {self.id} cannot go from {self.scraping_status} to {target}"
            )
        self.scraping_status = target
        self.updated_at = now

    @property
    def is_live(self) -> bool:
        return not self.is_deleted

    def can_be_claimed(self, now: datetime) -> bool:
        """Whether a job may start scraping it now."""
        due = self.next_attempt_at is None or self.next_attempt_at <= now
        return (
            self.is_active
            and not self.is_deleted
            and self.scraping_status == TrackerStatus.PENDING
            and due
        )

    def claim(self, now: datetime, lease: timedelta, token: str) -> None:
        """PENDING → IN_PROGRESS with a lease until ``now + lease``, fenced by ``token``."""
        self._move(TrackerStatus.IN_PROGRESS, now)
        self.lease_expires_at = now + lease
        self.lease_token = token
        self.next_attempt_at = None

    def renew_lease(self, now: datetime, lease: timedelta) -> None:
        """Push the lease end to ``now + lease`` (the job is still working)."""
        if self.scraping_status != TrackerStatus.IN_PROGRESS:
            raise IllegalTransitionError(f"Tracker {self.id} holds no lease")
        self.lease_expires_at = now + lease
        self.updated_at = now

    def holds_lease(self, token: str) -> bool:
        """Whether the job holding ``token`` still owns this scrape."""
        return self.scraping_status == TrackerStatus.IN_PROGRESS and self.lease_token == token

    def complete(self, now: datetime, platform_user_id: str | None) -> None:
        """IN_PROGRESS → COMPLETED: attempts reset, error cleared, ``lastScrapedAt`` set."""
        self._move(TrackerStatus.COMPLETED, now)
        self.scraping_attempts = 0
        self.scraping_error = None
        self.error_category = None
        self.last_scraped_at = now
        self.lease_expires_at = None
        self.lease_token = None
        if platform_user_id:
            self.platform_user_id = platform_user_id

    def serve_from_storage(self, now: datetime) -> None:
        """IN_PROGRESS → COMPLETED without a request: tracker.gg's cache of the profile is still
        fresh, so the stored data is what it would answer. ``lastScrapedAt`` keeps the time
        of the scrape that fetched that data."""
        self._move(TrackerStatus.COMPLETED, now)
        self.scraping_attempts = 0
        self.scraping_error = None
        self.error_category = None
        self.lease_expires_at = None
        self.lease_token = None

    def fail_attempt(
        self,
        now: datetime,
        *,
        message: str,
        category: str,
        retryable: bool,
        max_attempts: int,
        retry_delay: timedelta,
    ) -> AttemptOutcome:
        """IN_PROGRESS → PENDING (retry later) or FAILED (terminal or attempts used up)."""
        self.scraping_attempts += 1
        self.scraping_error = message
        self.error_category = category
        self.lease_expires_at = None
        self.lease_token = None
        if not retryable or self.scraping_attempts >= max_attempts:
            self._move(TrackerStatus.FAILED, now)
            self.next_attempt_at = None
            return AttemptOutcome(became_failed=True, retry_at=None)
        self._move(TrackerStatus.PENDING, now)
        self.next_attempt_at = now + retry_delay
        return AttemptOutcome(became_failed=False, retry_at=self.next_attempt_at)

    def lease_expired(self, now: datetime) -> bool:
        return (
            self.scraping_status == TrackerStatus.IN_PROGRESS
            and self.lease_expires_at is not None
            and self.lease_expires_at <= now
        )

    def expire_lease(self, now: datetime, max_attempts: int) -> AttemptOutcome:
        """The worker died: count the attempt and return to PENDING (FAILED at the cap)."""
        return self.fail_attempt(
            now,
            message=LEASE_EXPIRED_MESSAGE,
            category="lease_expired",
            retryable=True,
            max_attempts=max_attempts,
            retry_delay=timedelta(0),
        )

    def request_refresh(self, now: datetime) -> bool:
        """Back to PENDING for a new scrape; False when a scrape is running already."""
        if not self.requeue(now):
            return False
        self.last_refresh_at = now
        return True

    def requeue(self, now: datetime) -> bool:
        """PENDING with a fresh attempt budget (what bulk guild processing does)."""
        if self.scraping_status == TrackerStatus.IN_PROGRESS:
            return False
        if self.scraping_status != TrackerStatus.PENDING:
            self._move(TrackerStatus.PENDING, now)
        self.scraping_attempts = 0
        self.next_attempt_at = None
        self.updated_at = now
        return True

    def refuse_by_guard(self, now: datetime) -> None:
        """Processing is disabled by every guild of the owner: FAILED."""
        self._move(TrackerStatus.FAILED, now)
        self.scraping_error = GUARD_REFUSED_MESSAGE
        self.error_category = "guard"
        self.next_attempt_at = None

    def soft_delete(self, now: datetime) -> None:
        self.is_deleted = True
        self.deleted_at = now
        self.updated_at = now

    def restore(self, now: datetime) -> None:
        """Undo a soft delete, keeping the history; the tracker is fetched again."""
        self.is_deleted = False
        self.deleted_at = None
        self.is_active = True
        if self.scraping_status != TrackerStatus.IN_PROGRESS:
            self.request_refresh(now)
        self.updated_at = now

    def update(self, now: datetime, *, display_name: str | None, is_active: bool | None) -> None:
        if display_name is not None:
            self.display_name = display_name
        if is_active is not None:
            self.is_active = is_active
        self.updated_at = now

    def cooldown_remaining(self, now: datetime, cooldown: timedelta) -> timedelta:
        """How long the owner must still wait before another refresh."""
        marks = [m for m in (self.last_scraped_at, self.last_refresh_at) if m is not None]
        if not marks:
            return timedelta(0)
        return max(timedelta(0), max(marks) + cooldown - now)


@attrs.define(kw_only=True)
class TrackerSeason:
    """One season of one tracker; past seasons never change once fetched."""

    id: str
    tracker_id: str
    stats: SeasonStats
    scraped_at: datetime
    created_at: datetime
    updated_at: datetime

    @property
    def season_number(self) -> int:
        return self.stats.season_number


@attrs.frozen
class StoredSeasons:
    """What a scrape of a tracker compares its result with: the numbers of the seasons stored,
    and the newest of them in full (a refresh rewrites only the current season, and compares it
    with its stored version or, when a new season has begun, with the newest one stored)."""

    numbers: frozenset[int] = frozenset()
    newest: TrackerSeason | None = None


SnapshotSource = Literal["SCRAPE", "MANUAL"]


@attrs.frozen(kw_only=True)
class TrackerSnapshot:
    """A point in a tracker's rating history."""

    id: str
    tracker_id: str
    captured_at: datetime
    season_number: int | None
    ratings: dict[RankedPlaylist, int | None]
    games_played: dict[RankedPlaylist, int | None]
    source: SnapshotSource
    entered_by: str | None
    created_at: datetime


LogStatus = Literal["SUCCESS", "PARTIAL", "FAILED", "SKIPPED"]
ActivityKind = Literal["SCRAPE_SUCCEEDED", "SCRAPE_FAILED"]


@attrs.frozen(kw_only=True)
class ScrapingLog:
    """One job execution: what was fetched, how it ended, how long it took."""

    id: str
    tracker_id: str
    status: LogStatus
    seasons_scraped: int
    seasons_failed: int
    error_message: str | None
    error_category: str | None
    started_at: datetime
    completed_at: datetime
    metadata: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class ActivityLog:
    """A user-visible event of a tracker: scrape succeeded or failed."""

    id: str
    tracker_id: str
    user_id: str
    kind: ActivityKind
    message: str
    created_at: datetime


@attrs.frozen(kw_only=True)
class AuditEntry:
    """One recorded mutating call: who made it, what it was, its answer and its body."""

    id: str
    actor: str | None
    method: str
    path: str
    status: int
    body: Any
    created_at: datetime


SortField = Literal["createdAt", "updatedAt", "lastScrapedAt"]
SortOrder = Literal["asc", "desc"]


@attrs.frozen(kw_only=True)
class TrackerQuery:
    """Filters, sort and paging of a tracker list; deleted trackers are never listed."""

    user_ids: tuple[str, ...] | None = None
    platforms: tuple[Platform, ...] = ()
    statuses: tuple[TrackerStatus, ...] = ()
    is_active: bool | None = None
    sort_by: SortField = "createdAt"
    sort_order: SortOrder = "desc"
    page: int = 1
    limit: int = 50
