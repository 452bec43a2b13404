"""The SQLAlchemy unit of work: one connection (and transaction) per ``with uow:`` block."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.engine import Connection

from adapters.sql.database import Database
from adapters.sql.ids import new_cuid
from adapters.sql.league_repositories import (
    SqlAlchemyFlagRepository,
    SqlAlchemyLeagueData,
    SqlAlchemyPullRepository,
)
from adapters.sql.repositories import (
    SqlAlchemyActivityLogRepository,
    SqlAlchemyAuditLog,
    SqlAlchemyNotificationRepository,
    SqlAlchemyPlayerRatingRepository,
    SqlAlchemyScheduleRepository,
    SqlAlchemyScrapingLogRepository,
    SqlAlchemySeasonRepository,
    SqlAlchemySnapshotRepository,
)
from adapters.sql.status_counts import StatusCountsCache
from adapters.sql.tracker_repository import SqlAlchemyTrackerRepository
from adapters.sql.user_repositories import SqlAlchemyGuildRepository, SqlAlchemyUserRepository
from tracker_core.errors import StorageUnavailableError
from tracker_core.ports import (
    ActivityLogRepository,
    AuditLogRepository,
    FlagRepository,
    GuildRepository,
    LeagueDataRepository,
    NotificationRepository,
    PlayerRatingRepository,
    PullRepository,
    ScheduleRepository,
    ScrapingLogRepository,
    SeasonRepository,
    SnapshotRepository,
    TrackerRepository,
    UnitOfWork,
    UserRepository,
)


class SqlAlchemyUnitOfWork:
    """Implements the core's UnitOfWork; reusable, one transaction per ``with`` block.

    Not thread-safe: give each thread its own instance (they may share the connection factory,
    ``create_session_factory(engine)``).
    Database outages surface as :class:`tracker_core.errors.StorageUnavailableError`. With a
    ``status_counts`` cache, ``trackers.status_counts()`` may answer counts up to its max age old.
    """

    def __init__(
        self,
        session_factory: Callable[[], Connection],
        status_counts: StatusCountsCache | None = None,
    ) -> None:
        self._db = Database(session_factory)
        self.users: UserRepository = SqlAlchemyUserRepository(self._db)
        self.guilds: GuildRepository = SqlAlchemyGuildRepository(self._db)
        self.trackers: TrackerRepository = SqlAlchemyTrackerRepository(self._db, status_counts)
        self.seasons: SeasonRepository = SqlAlchemySeasonRepository(self._db)
        self.snapshots: SnapshotRepository = SqlAlchemySnapshotRepository(self._db)
        self.scraping_logs: ScrapingLogRepository = SqlAlchemyScrapingLogRepository(self._db)
        self.activity: ActivityLogRepository = SqlAlchemyActivityLogRepository(self._db)
        self.schedules: ScheduleRepository = SqlAlchemyScheduleRepository(self._db)
        self.notifications: NotificationRepository = SqlAlchemyNotificationRepository(self._db)
        self.ratings: PlayerRatingRepository = SqlAlchemyPlayerRatingRepository(self._db)
        self.audit: AuditLogRepository = SqlAlchemyAuditLog(self._db)
        self.league: LeagueDataRepository = SqlAlchemyLeagueData(self._db)
        self.pulls: PullRepository = SqlAlchemyPullRepository(self._db)
        self.flags: FlagRepository = SqlAlchemyFlagRepository(self._db)

    def __enter__(self) -> Self:
        """Open a transaction.

        Raises:
            StorageUnavailableError: the database cannot be reached.
        """
        self._db.begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the transaction, rolling back what was not committed.

        Raises:
            StorageUnavailableError: ending it failed and the block itself had not raised (an
                error of the block is never masked by a failing rollback).
        """
        try:
            self._db.end()
        except StorageUnavailableError:
            if exc is None:
                raise

    def commit(self) -> None:
        """Commit the transaction; the block may go on in a new one."""
        self._db.commit()

    def rollback(self) -> None:
        """Discard the transaction's changes; the block may go on in a new one."""
        self._db.rollback()

    def ping(self) -> None:
        """One round trip to the database (opening the unit of work may have needed none).

        Raises:
            StorageUnavailableError: the database cannot be reached.
        """
        self._db.ping()

    def next_id(self) -> str:
        """A new CUID-format id."""
        return new_cuid()


def _check(uow: SqlAlchemyUnitOfWork) -> UnitOfWork:
    """Lets mypy prove that the class implements the core's port."""
    return uow
