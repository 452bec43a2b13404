"""Ports: the small protocols the core needs from the outside world.

Adapters implement them structurally (no inheritance); mypy checks conformance where they
are wired. Every repository ``save`` is a compare-and-set on the aggregate's ``version``: it
raises :class:`tracker_core.errors.ConflictError` when another writer got there first, and
bumps the in-memory ``version`` when it succeeds.

Errors every repository method and the unit of work may raise, not repeated below:
:class:`~tracker_core.errors.StorageUnavailableError` when the store cannot be reached, and
:class:`~tracker_core.errors.ConflictError` when the store gives up on a concurrent transaction
(a PostgreSQL serialization failure or deadlock). A write described as "may be sent with the
next statement or the commit" reports its errors there. Pages are 1-based.
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
        StoredSeasons,
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

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC. Raises nothing."""
        ...


class ProfileFetcher(Protocol):
    """Fetches and parses one tracker.gg profile page, within the global rate budget."""

    def fetch_page(self, api_path: str, season: int | None) -> ProfilePage:
        """Fetch ``api_path`` (``"<platform>/<username encoded once>"``) for one season.

        ``season`` None means the current season. Returns the parsed page. Raises a
        :class:`~tracker_core.errors.FetchError` subclass naming the failure's category.
        """
        ...


class JobQueue(Protocol):
    """Queues scrape jobs; at most one job per tracker is queued at a time.

    Every method may raise :class:`~tracker_core.errors.QueueUnavailableError` when the queue
    cannot be reached (or, in process, was stopped).
    """

    def enqueue(
        self, tracker_ids: Sequence[str], priority: Priority, *, not_before: datetime | None = None
    ) -> int:
        """Queue a scrape job per tracker not already queued, scheduled or running (a fixed
        number of round trips), to run at ``not_before`` when given; returns how many were new."""
        ...

    def is_queued(self, tracker_id: str) -> bool:
        """Whether a job for this tracker is queued, scheduled or running."""
        ...

    def depth(self) -> int:
        """How many scrape jobs wait to run (queued or scheduled, not running)."""
        ...

    def lane_depths(self) -> dict[Priority, int]:
        """How many scrape jobs wait in each priority lane (empty when this queue cannot tell)."""
        ...

    def discard(self, tracker_ids: Sequence[str]) -> None:
        """Forget the jobs of trackers whose lease expired (their worker is gone), so that
        they can be queued again; a job whose worker still runs is left to finish."""
        ...


class Notifier(Protocol):
    """Delivers notifications (as a Discord DM, to a webhook…)."""

    def send(self, notification: Notification) -> None:
        """Deliver ``notification`` once. Raises :class:`~tracker_core.errors.DeliveryError`
        (with ``retry_after`` or ``permanent``) when it was not delivered."""
        ...


class UserRepository(Protocol):
    """Discord users, with their profile fields; ``save`` is a compare-and-set."""

    def get(self, user_id: str) -> User | None:
        """The user, or None when there is none."""
        ...

    def get_many(self, user_ids: Sequence[str]) -> list[User]:
        """The existing users among ``user_ids``, in one query."""
        ...

    def add(self, user: User) -> None:
        """Insert a new user. Raises ConflictError when the id exists (the transaction stays
        usable)."""
        ...

    def add_many(self, users: Sequence[User]) -> None:
        """Insert new users in one statement; a user inserted meanwhile by another writer is
        kept as that writer left it."""
        ...

    def save(self, user: User) -> None:
        """Write the user back (compare-and-set on ``version``). Raises ConflictError when it
        changed or vanished since it was read."""
        ...

    def save_profiles(self, users: Sequence[User]) -> None:
        """Write the profile fields of many users in one statement (last writer wins: these
        are display fields copied from Discord); users no longer stored are skipped."""
        ...

    def delete(self, user_id: str) -> None:
        """Delete the user's row; nothing happens when there is none."""
        ...

    def lock(self, user_id: str) -> None:
        """Serialize writers of this user's trackers until the unit of work ends (returns
        once the lock is held; the user need not exist yet)."""
        ...

    def list(self, page: int, limit: int) -> tuple[list[User], int]:
        """One page of every user, oldest first, and the number of users."""
        ...


class GuildRepository(Protocol):
    """Discord guilds with their settings and memberships; ``save`` is a compare-and-set."""

    def get(self, guild_id: str) -> Guild | None:
        """The guild, or None when there is none."""
        ...

    def list_all(self) -> list[Guild]:
        """Every guild, by name (then id)."""
        ...

    def add(self, guild: Guild) -> None:
        """Insert a new guild. Raises ConflictError when the id exists (the transaction stays
        usable)."""
        ...

    def save(self, guild: Guild) -> None:
        """Write the guild back (compare-and-set on ``version``). Raises ConflictError when it
        changed or vanished since it was read."""
        ...

    def delete(self, guild_id: str) -> None:
        """Delete the guild with its settings and memberships (its schedules, ratings and
        pulls stay); nothing happens when there is none."""
        ...

    def settings(self, guild_id: str) -> GuildSettings:
        """The guild's settings: the defaults when none are stored."""
        ...

    def save_settings(self, guild_id: str, settings: GuildSettings) -> None:
        """Store the guild's settings whole, replacing the stored ones (last writer wins)."""
        ...

    def members(self, guild_id: str) -> list[GuildMember]:
        """Every membership of the guild, banned and deleted ones included, by user id."""
        ...

    def member(self, guild_id: str, user_id: str) -> GuildMember | None:
        """One membership (banned or deleted ones too), or None when there is none."""
        ...

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
        """The user's memberships that are neither deleted nor banned, by guild id."""
        ...

    def settings_by_user(self, user_ids: Sequence[str]) -> dict[str, list[GuildSettings]]:
        """Settings of each user's current guilds (users in no guild are absent)."""
        ...


class TrackerRepository(Protocol):
    """Trackers; a live (non-deleted) tracker's identity is unique, ``save`` is a
    compare-and-set, and a job holding a tracker's lease writes through the lease methods."""

    def get(self, tracker_id: str) -> Tracker | None:
        """The tracker, deleted or not; None when there is none."""
        ...

    def get_many(self, tracker_ids: Sequence[str]) -> list[Tracker]:
        """The existing trackers among ``tracker_ids`` (deleted or not), by id, in one query."""
        ...

    def add(self, tracker: Tracker) -> None:
        """Insert. Raises AlreadyRegisteredError if a live tracker has the same identity (the
        transaction stays usable)."""
        ...

    def save(self, tracker: Tracker) -> None:
        """Write the tracker back (compare-and-set on ``version``). Raises ConflictError, or
        AlreadyRegisteredError when a restore meets a live tracker of the same identity."""
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

        Returns the tracker after the write, or None when the lease is lost (nothing
        written). A store may defer the write to the unit of work's commit, to send it with
        the writes that follow it: it then returns ``tracker`` as it will be stored (the
        fields other writers own as the claim read them), and the commit raises
        LeaseLostError, writing nothing of the unit of work, when the lease turns out lost.
        """
        ...

    def renew_lease(self, tracker: Tracker, token: str) -> bool:
        """Write ``tracker``'s lease end and ``updated_at`` if the stored row still holds the
        lease ``token``; False when it does not. Like ``claim``, it may take effect at once."""
        ...

    def for_user(self, user_id: str, *, include_deleted: bool = False) -> list[Tracker]:
        """The user's live trackers (deleted ones too with ``include_deleted``), oldest
        first."""
        ...

    def live_by_identity(self, identity: str) -> Tracker | None:
        """The live tracker with this identity (``"<platform>:<case-folded username>"``), or
        None."""
        ...

    def search(self, query: TrackerQuery) -> tuple[list[Tracker], int]:
        """One page of the live trackers matching ``query`` (its filters, sort and page) and
        how many match in all."""
        ...

    def pending_ids(self) -> list[str]:
        """Ids of the active, non-deleted PENDING trackers, by id."""
        ...

    def pending_or_stale_ids(self, stale_before: datetime, guild_id: str | None) -> list[str]:
        """Active, non-deleted, not IN_PROGRESS trackers that are PENDING, never scraped or
        last scraped before ``stale_before``; members of ``guild_id`` when given."""
        ...

    def mark_pending(self, tracker_ids: Sequence[str], now: datetime) -> list[str]:
        """``Tracker.requeue`` in bulk for live, not IN_PROGRESS trackers; the ids changed."""
        ...

    def expired_leases(self, now: datetime) -> list[Tracker]:
        """IN_PROGRESS trackers (deleted or not) whose lease ended at or before ``now``."""
        ...

    def status_counts(self) -> dict[TrackerStatus, int]:
        """How many live trackers are in each status (every status, zeros included); may be
        a few seconds old when the store caches it."""
        ...

    def pending_first_scrapes(self) -> int:
        """How many active, non-deleted PENDING trackers have no season stored yet (their
        scrape is a first one, fetching earlier seasons too). The claim also counts a tracker
        never scraped with some seasons stored (manual, or kept from a first scrape a 429
        interrupted) as a first scrape, for its missing seasons: rare, left out of this
        estimate."""
        ...


class SeasonRepository(Protocol):
    """The stats of each (tracker, season number): one row, updated by every scrape."""

    def for_tracker(self, tracker_id: str) -> list[TrackerSeason]:
        """The tracker's seasons, newest season first."""
        ...

    def for_scrape(self, tracker_id: str) -> StoredSeasons:
        """The numbers of the tracker's stored seasons and the newest one in full (without
        decoding every past season)."""
        ...

    def upsert(self, season: TrackerSeason) -> None:
        """Insert or update the (tracker, season number) row."""
        ...

    def upsert_many(self, seasons: Sequence[TrackerSeason]) -> None:
        """Insert or update each (tracker, season number) row; an existing row keeps its id
        and ``created_at``. May be sent with the unit of work's next statement or its commit."""
        ...


class SnapshotRepository(Protocol):
    """The rating history of trackers (append-only)."""

    def add(self, snapshot: TrackerSnapshot) -> None:
        """Insert one snapshot. May be sent with the next statement or the commit."""
        ...

    def for_tracker(
        self, tracker_id: str, *, season: int | None = None, limit: int | None = None
    ) -> list[TrackerSnapshot]:
        """The tracker's snapshots (of ``season`` when given), newest first, at most
        ``limit`` of them when given."""
        ...


class ScrapingLogRepository(Protocol):
    """One log per scrape job execution (append-only)."""

    def add(self, log: ScrapingLog) -> None:
        """Record one job execution. May be sent with the next statement or the commit."""
        ...

    def search(
        self,
        tracker_id: str | None,
        status: str | None,
        page: int,
        limit: int,
        category: str | None = None,
    ) -> tuple[list[ScrapingLog], int]:
        """One page of logs, newest first, of that tracker, status and error category (each
        filter when not None), and how many match in all."""
        ...

    def failure_categories(self) -> dict[str | None, int]:
        """How many FAILED logs there are per error category (None: no category), all time."""
        ...

    def requests_since(self, since: datetime) -> int:
        """Pages requested by the jobs started at or after ``since`` (scraped plus failed)."""
        ...


class ActivityLogRepository(Protocol):
    """Scrape successes and failures as users see them (append-only)."""

    def add(self, entry: ActivityLog) -> None:
        """Record one entry. May be sent with the next statement or the commit."""
        ...


class ScheduleRepository(Protocol):
    """Scheduled guild processing; ``save`` is the compare-and-set that claims a schedule."""

    def get(self, schedule_id: str) -> Schedule | None:
        """The schedule, or None when there is none."""
        ...

    def add(self, schedule: Schedule) -> None:
        """Insert a new schedule."""
        ...

    def save(self, schedule: Schedule) -> None:
        """Write the schedule back (compare-and-set on ``version``). Raises ConflictError when
        it changed or vanished since it was read."""
        ...

    def for_guild(
        self, guild_id: str, status: ScheduleStatus | None, include_completed: bool
    ) -> list[Schedule]:
        """The guild's schedules with ``status`` (when None: all, COMPLETED ones only with
        ``include_completed``), by ``scheduled_at`` ascending."""
        ...

    def due(self, now: datetime) -> list[Schedule]:
        """PENDING schedules whose instant has come, by instant."""
        ...

    def abandoned(self, now: datetime) -> list[Schedule]:
        """RUNNING schedules whose lease expired (or that have none), by instant."""
        ...


class NotificationRepository(Protocol):
    """The notification outbox; ``save`` is a compare-and-set, so one dispatcher sends each."""

    def add(self, notification: Notification) -> None:
        """Insert one outbox row. May be sent with the next statement or the commit."""
        ...

    def save(self, notification: Notification) -> None:
        """Write the notification back (compare-and-set on ``version``). Raises ConflictError
        when another dispatcher changed it since it was read."""
        ...

    def due(self, now: datetime, limit: int) -> list[Notification]:
        """At most ``limit`` PENDING notifications whose next attempt has come (or that have
        none), oldest first."""
        ...

    def for_tracker(self, tracker_id: str, limit: int) -> list[Notification]:
        """The tracker's notifications, newest first, at most ``limit``."""
        ...


class PlayerRatingRepository(Protocol):
    """The league MMR of each (guild, user)."""

    def upsert(self, rating: PlayerRating) -> None:
        """Insert or replace the (guild, user) rating. May be sent with the next statement or
        the commit."""
        ...

    def for_guild(self, guild_id: str) -> list[PlayerRating]:
        """The guild's ratings, highest MMR first, then by user id."""
        ...


class LeagueDataRepository(Protocol):
    """What the league rules read about a guild's members, in one batch."""

    def member_data(self, guild_id: str, user_ids: Sequence[str] | None = None) -> list[MemberData]:
        """The guild's current members (those of ``user_ids`` when given), each with their
        live, active trackers and those trackers' two newest seasons as
        :func:`tracker_core.league.league_view` reduces them, in a fixed number of
        queries whatever the guild's size."""
        ...


class PullRepository(Protocol):
    """Numbered league pulls with their rows and overrides (written once, never updated)."""

    def next_number(self, guild_id: str) -> int:
        """1 + the guild's highest pull number (1 for the first pull)."""
        ...

    def add(self, pull: Pull, rows: Sequence[PullRow]) -> None:
        """Insert a pull with its rows (bulk). Raises ConflictError when the guild's pull
        number is taken (the transaction stays usable)."""
        ...

    def get(self, guild_id: str, pull_id: str) -> Pull | None:
        """The guild's pull, or None (also when the pull belongs to another guild)."""
        ...

    def for_guild(self, guild_id: str) -> list[Pull]:
        """The guild's pulls, newest (highest number) first."""
        ...

    def rows(
        self, pull_id: str, row_filter: RowFilter | None, page: int, limit: int
    ) -> tuple[list[PullRow], int]:
        """One page of rows (highest MMR first, no data last, then user id) and the total."""
        ...

    def all_rows(self, pull_id: str) -> list[PullRow]:
        """Every row, in the order of :meth:`rows`."""
        ...

    def row(self, pull_id: str, user_id: str) -> PullRow | None:
        """The user's row of the pull, or None when they have none."""
        ...

    def add_override(self, override: PullOverride) -> None:
        """Append one override of a row's MMR (overrides are never updated or deleted)."""
        ...

    def overrides(self, pull_id: str) -> list[PullOverride]:
        """Every override of the pull, oldest first."""
        ...

    def rows_for_user(self, user_id: str, guild_ids: Sequence[str]) -> list[tuple[Pull, PullRow]]:
        """The user's row in every pull of ``guild_ids``, newest pull first."""
        ...


class FlagRepository(Protocol):
    """League review flags: at most one open flag per (guild, member, kind)."""

    def open_flag(self, guild_id: str, user_id: str, kind: FlagKind) -> ReviewFlag | None:
        """The member's open flag of that kind, or None."""
        ...

    def add(self, flag: ReviewFlag) -> None:
        """Insert. Raises ConflictError when an open flag of that kind exists for the member
        (the transaction stays usable)."""
        ...

    def get(self, guild_id: str, flag_id: str) -> ReviewFlag | None:
        """The guild's flag, or None (also when the flag belongs to another guild)."""
        ...

    def save(self, flag: ReviewFlag) -> None:
        """Write the flag back (compare-and-set on ``version``). Raises ConflictError when it
        changed since it was read."""
        ...

    def search(
        self, guild_id: str, status: FlagStatus | None, kind: FlagKind | None
    ) -> list[ReviewFlag]:
        """The guild's flags of that status and kind (each filter when not None), newest
        first."""
        ...

    def open_kinds(self, guild_id: str) -> dict[str, list[FlagKind]]:
        """The kinds of each member's open flags (members without any are absent)."""
        ...

    def other_holders(self, platform: str, platform_user_id: str, user_id: str) -> list[str]:
        """Users other than ``user_id`` whose trackers (deleted or not) hold that account, by
        user id."""
        ...


class AuditLogRepository(Protocol):
    """Every mutating HTTP call: who, what, with which answer (append-only)."""

    def add(
        self, actor: str | None, method: str, path: str, status: int, body: Any, at: datetime
    ) -> None:
        """Record one mutating HTTP call (the body already sanitized)."""
        ...

    def successes(
        self, paths: Sequence[str], page: int, limit: int
    ) -> tuple[list[AuditEntry], int]:
        """Successful calls of any of ``paths``, newest first, paged; with the total.

        Successful: a 2xx answer, or a 303 to a call with an actor (a signed-in form post that
        the dashboard answers by redirecting to the saved page; its sign-in redirect has no
        actor)."""
        ...


class UnitOfWork(Protocol):
    """One transaction: ``with uow: ...; uow.commit()``; leaving without commit rolls back.

    The repositories below work inside it; the same object can be entered again for the next
    transaction.
    """

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

    def __enter__(self) -> Self:
        """Open a transaction; returns the unit of work. Raises StorageUnavailableError."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """End the transaction, rolling back what was not committed. Raises
        StorageUnavailableError only when the block itself did not raise."""
        ...

    def commit(self) -> None:
        """Send the pending writes and commit; the block may go on in a new transaction.

        Raises LeaseLostError (nothing of the transaction written) when a deferred
        ``trackers.save_scrape`` finds its lease lost.
        """
        ...

    def rollback(self) -> None:
        """Discard the transaction's changes; the block may go on in a new transaction."""
        ...

    def ping(self) -> None:
        """One round trip to the store. Raises StorageUnavailableError when it cannot be reached."""
        ...

    def next_id(self) -> str:
        """A new CUID-format id (``^c[a-z0-9]{24}$``). Raises nothing."""
        ...
