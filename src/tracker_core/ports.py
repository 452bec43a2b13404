"""Ports: the small protocols the core needs from the outside world.

Adapters implement them structurally (no inheritance); mypy checks conformance where they
are wired. Every repository ``save`` is a compare-and-set on the aggregate's ``version``: it
raises :class:`tracker_core.errors.ConflictError` when another writer got there first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

if TYPE_CHECKING:
    from tracker_core.flags import FlagKind, FlagStatus, ReviewFlag
    from tracker_core.guilds import Guild, GuildMember, GuildSettings, User
    from tracker_core.league import MemberData
    from tracker_core.mmr import PlayerRating
    from tracker_core.model import (
        ActivityLog,
        AuditEntry,
        Priority,
        ScrapingLog,
        Tracker,
        TrackerQuery,
        TrackerSeason,
        TrackerSnapshot,
        TrackerStatus,
    )
    from tracker_core.notifications import Notification
    from tracker_core.pulls import Pull, PullOverride, PullRow, RowFilter
    from tracker_core.schedules import Schedule, ScheduleStatus
    from tracker_core.stats import ProfilePage


class Clock(Protocol):
    """Tells the time (timezone-aware UTC)."""

    def now(self) -> datetime: ...


class ProfileFetcher(Protocol):
    """Fetches and parses one tracker.gg profile page, within the global rate budget."""

    def fetch_page(self, api_path: str, season: int | None) -> ProfilePage:
        """Fetch ``api_path`` (``"<platform>/<username encoded once>"``) for one season.

        ``season`` None means the current season. Raises a :class:`FetchError` subclass.
        """
        ...


class JobQueue(Protocol):
    """Queues scrape jobs; at most one job per tracker is queued at a time."""

    def enqueue(
        self, tracker_ids: Sequence[str], priority: Priority, *, not_before: datetime | None = None
    ) -> int:
        """Queue a scrape job per tracker (one round trip); returns how many were new."""
        ...

    def is_queued(self, tracker_id: str) -> bool:
        """Whether a job for this tracker is queued, scheduled or running."""
        ...

    def depth(self) -> int:
        """How many scrape jobs wait to run."""
        ...

    def lane_depths(self) -> dict[Priority, int]:
        """How many scrape jobs wait in each priority lane (empty when this queue cannot tell)."""
        ...

    def discard(self, tracker_ids: Sequence[str]) -> None:
        """Forget the jobs of trackers whose lease expired: their worker is gone."""
        ...


class Notifier(Protocol):
    """Delivers one notification on one channel; raises DeliveryError on failure."""

    def send(self, notification: Notification) -> None: ...


class UserRepository(Protocol):
    def get(self, user_id: str) -> User | None: ...
    def get_many(self, user_ids: Sequence[str]) -> list[User]:
        """The existing users among ``user_ids``, in one query."""
        ...

    def add(self, user: User) -> None: ...
    def add_many(self, users: Sequence[User]) -> None:
        """Insert new users in one statement; a user inserted meanwhile by another writer is
        kept as that writer left it."""
        ...

    def save(self, user: User) -> None: ...
    def save_profiles(self, users: Sequence[User]) -> None:
        """Write the profile fields of many users in one statement (last writer wins: these
        are display fields copied from Discord)."""
        ...

    def delete(self, user_id: str) -> None: ...
    def lock(self, user_id: str) -> None:
        """Serialize writers of this user's trackers until the unit of work ends."""
        ...

    def list(self, page: int, limit: int) -> tuple[list[User], int]: ...


class GuildRepository(Protocol):
    def get(self, guild_id: str) -> Guild | None: ...
    def list_all(self) -> list[Guild]:
        """Every guild, by name (then id)."""
        ...

    def add(self, guild: Guild) -> None: ...
    def save(self, guild: Guild) -> None: ...
    def delete(self, guild_id: str) -> None: ...
    def settings(self, guild_id: str) -> GuildSettings: ...
    def save_settings(self, guild_id: str, settings: GuildSettings) -> None: ...
    def members(self, guild_id: str) -> list[GuildMember]: ...
    def member(self, guild_id: str, user_id: str) -> GuildMember | None: ...
    def replace_members(self, guild_id: str, members: Sequence[GuildMember]) -> None:
        """Make the guild's membership set exactly ``members`` (bulk statements)."""
        ...

    def save_member(self, member: GuildMember) -> None:
        """Insert or replace one membership."""
        ...

    def remove_member(self, guild_id: str, user_id: str) -> bool:
        """Delete one membership; False when there was none."""
        ...

    def memberships(self, user_id: str) -> list[GuildMember]:
        """The user's memberships that are neither deleted nor banned."""
        ...

    def settings_by_user(self, user_ids: Sequence[str]) -> dict[str, list[GuildSettings]]:
        """Settings of each user's current guilds (users in no guild are absent)."""
        ...


class TrackerRepository(Protocol):
    def get(self, tracker_id: str) -> Tracker | None:
        """The tracker, deleted or not."""
        ...

    def get_many(self, tracker_ids: Sequence[str]) -> list[Tracker]:
        """The existing trackers among ``tracker_ids`` (deleted or not), in one query."""
        ...

    def add(self, tracker: Tracker) -> None:
        """Insert; raises AlreadyRegisteredError if a live tracker has the same identity."""
        ...

    def save(self, tracker: Tracker) -> None:
        """Compare-and-set on ``version``; raises ConflictError (or AlreadyRegisteredError)."""
        ...

    def claim(self, tracker_id: str, now: datetime, lease: timedelta, token: str) -> Tracker | None:
        """``Tracker.claim(now, lease, token)`` if ``Tracker.can_be_claimed(now)``, as one
        compare-and-set; the tracker as claimed, or None (nothing written).

        When it is the unit of work's only write it may take effect at once (a store that
        needs no transaction for one statement commits it as it runs).
        """
        ...

    def save_scrape(self, tracker: Tracker, token: str) -> Tracker | None:
        """Write the fields a scrape owns (status, attempts, error and its category, next
        attempt, lease, last scraped, platform user id, ``updated_at``) from ``tracker`` if
        the stored row still holds the lease ``token`` (IN_PROGRESS with that token).

        Returns the stored tracker after the write (the fields other writers own as they are
        now), or None when the lease is lost (nothing written).
        """
        ...

    def renew_lease(self, tracker: Tracker, token: str) -> bool:
        """Write ``tracker``'s lease end and ``updated_at`` if the stored row still holds the
        lease ``token``; False when it does not. Like ``claim``, it may take effect at once."""
        ...

    def for_user(self, user_id: str, *, include_deleted: bool = False) -> list[Tracker]: ...
    def live_by_identity(self, identity: str) -> Tracker | None: ...
    def search(self, query: TrackerQuery) -> tuple[list[Tracker], int]: ...
    def pending_ids(self) -> list[str]:
        """Active, non-deleted PENDING trackers."""
        ...

    def pending_or_stale_ids(self, stale_before: datetime, guild_id: str | None) -> list[str]:
        """Active, non-deleted, not IN_PROGRESS trackers that are PENDING, never scraped or
        last scraped before ``stale_before``; members of ``guild_id`` when given."""
        ...

    def mark_pending(self, tracker_ids: Sequence[str], now: datetime) -> list[str]:
        """``Tracker.requeue`` in bulk for live, not IN_PROGRESS trackers; the ids changed."""
        ...

    def expired_leases(self, now: datetime) -> list[Tracker]: ...
    def status_counts(self) -> dict[TrackerStatus, int]: ...
    def pending_first_scrapes(self) -> int:
        """How many active, non-deleted PENDING trackers have no season stored yet (their
        scrape is a first one, fetching earlier seasons too: the claim's own rule)."""
        ...


class SeasonRepository(Protocol):
    def for_tracker(self, tracker_id: str) -> list[TrackerSeason]:
        """Newest season first."""
        ...

    def upsert(self, season: TrackerSeason) -> None: ...
    def upsert_many(self, seasons: Sequence[TrackerSeason]) -> None:
        """Insert or update each (tracker, season number) row; an existing row keeps its id
        and ``created_at``. May be sent with the unit of work's next statement or its commit."""
        ...


class SnapshotRepository(Protocol):
    def add(self, snapshot: TrackerSnapshot) -> None: ...
    def for_tracker(
        self, tracker_id: str, *, season: int | None = None, limit: int | None = None
    ) -> list[TrackerSnapshot]:
        """Newest first."""
        ...


class ScrapingLogRepository(Protocol):
    def add(self, log: ScrapingLog) -> None: ...
    def search(
        self,
        tracker_id: str | None,
        status: str | None,
        page: int,
        limit: int,
        category: str | None = None,
    ) -> tuple[list[ScrapingLog], int]:
        """Newest first; ``category`` keeps the logs of that error category."""
        ...

    def failure_categories(self) -> dict[str | None, int]:
        """How many FAILED logs there are per error category (None: no category), all time."""
        ...

    def requests_since(self, since: datetime) -> int:
        """Pages requested by the jobs started at or after ``since`` (scraped plus failed)."""
        ...


class ActivityLogRepository(Protocol):
    def add(self, entry: ActivityLog) -> None: ...


class ScheduleRepository(Protocol):
    def get(self, schedule_id: str) -> Schedule | None: ...
    def add(self, schedule: Schedule) -> None: ...
    def save(self, schedule: Schedule) -> None:
        """Compare-and-set on ``version``; raises ConflictError."""
        ...

    def for_guild(
        self, guild_id: str, status: ScheduleStatus | None, include_completed: bool
    ) -> list[Schedule]:
        """Ordered by ``scheduled_at`` ascending."""
        ...

    def due(self, now: datetime) -> list[Schedule]:
        """PENDING schedules whose instant has come."""
        ...

    def abandoned(self, now: datetime) -> list[Schedule]:
        """RUNNING schedules whose lease expired (or that have none), by instant."""
        ...


class NotificationRepository(Protocol):
    def add(self, notification: Notification) -> None: ...
    def save(self, notification: Notification) -> None: ...
    def due(self, now: datetime, limit: int) -> list[Notification]: ...
    def for_tracker(self, tracker_id: str, limit: int) -> list[Notification]:
        """The tracker's notifications, newest first."""
        ...


class PlayerRatingRepository(Protocol):
    def upsert(self, rating: PlayerRating) -> None: ...
    def for_guild(self, guild_id: str) -> list[PlayerRating]: ...


class LeagueDataRepository(Protocol):
    def member_data(self, guild_id: str, user_ids: Sequence[str] | None = None) -> list[MemberData]:
        """The guild's current members (those of ``user_ids`` when given), each with their
        live, active trackers and those trackers' two newest seasons as
        :func:`tracker_core.league.league_view` reduces them, in a fixed number of
        queries whatever the guild's size."""
        ...


class PullRepository(Protocol):
    def next_number(self, guild_id: str) -> int:
        """1 + the guild's highest pull number (1 for the first pull)."""
        ...

    def add(self, pull: Pull, rows: Sequence[PullRow]) -> None:
        """Insert a pull with its rows (bulk); ConflictError when the number is taken."""
        ...

    def get(self, guild_id: str, pull_id: str) -> Pull | None: ...
    def for_guild(self, guild_id: str) -> list[Pull]:
        """Newest (highest number) first."""
        ...

    def rows(
        self, pull_id: str, row_filter: RowFilter | None, page: int, limit: int
    ) -> tuple[list[PullRow], int]:
        """One page of rows (highest MMR first, no data last, then user id) and the total."""
        ...

    def all_rows(self, pull_id: str) -> list[PullRow]:
        """Every row, in the order of :meth:`rows`."""
        ...

    def row(self, pull_id: str, user_id: str) -> PullRow | None: ...
    def add_override(self, override: PullOverride) -> None: ...
    def overrides(self, pull_id: str) -> list[PullOverride]:
        """Every override of the pull, oldest first."""
        ...

    def rows_for_user(self, user_id: str, guild_ids: Sequence[str]) -> list[tuple[Pull, PullRow]]:
        """The user's row in every pull of ``guild_ids``, newest pull first."""
        ...


class FlagRepository(Protocol):
    def open_flag(self, guild_id: str, user_id: str, kind: FlagKind) -> ReviewFlag | None: ...
    def add(self, flag: ReviewFlag) -> None:
        """Insert; ConflictError when an open flag of that kind exists for the member."""
        ...

    def get(self, guild_id: str, flag_id: str) -> ReviewFlag | None: ...
    def save(self, flag: ReviewFlag) -> None:
        """Compare-and-set on ``version``; raises ConflictError."""
        ...

    def search(
        self, guild_id: str, status: FlagStatus | None, kind: FlagKind | None
    ) -> list[ReviewFlag]:
        """The guild's flags, newest first."""
        ...

    def open_kinds(self, guild_id: str) -> dict[str, list[FlagKind]]:
        """The kinds of each member's open flags (members without any are absent)."""
        ...

    def other_holders(self, platform: str, platform_user_id: str, user_id: str) -> list[str]:
        """Users other than ``user_id`` whose trackers (deleted or not) hold that account."""
        ...


class AuditLogRepository(Protocol):
    def add(
        self, actor: str | None, method: str, path: str, status: int, body: Any, at: datetime
    ) -> None:
        """Record one mutating HTTP call (the body already sanitized)."""
        ...

    def successes(
        self, paths: Sequence[str], page: int, limit: int
    ) -> tuple[list[AuditEntry], int]:
        """Successful (2xx) calls of any of ``paths``, newest first, paged; with the total."""
        ...


class UnitOfWork(Protocol):
    """One transaction: ``with uow: ...; uow.commit()``; leaving without commit rolls back."""

    users: UserRepository
    guilds: GuildRepository
    trackers: TrackerRepository
    seasons: SeasonRepository
    snapshots: SnapshotRepository
    scraping_logs: ScrapingLogRepository
    activity: ActivityLogRepository
    schedules: ScheduleRepository
    notifications: NotificationRepository
    ratings: PlayerRatingRepository
    audit: AuditLogRepository
    league: LeagueDataRepository
    pulls: PullRepository
    flags: FlagRepository

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def ping(self) -> None:
        """One round trip to the store. Raises StorageUnavailableError when it cannot be reached."""
        ...

    def next_id(self) -> str:
        """A new CUID-format id (``^c[a-z0-9]{24}$``)."""
        ...
