"""Repositories of tracker seasons, snapshots, logs, schedules, the outbox and ratings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import and_, func, insert, or_, select

from adapters.sql import mapping
from adapters.sql.database import Database
from adapters.sql.ids import new_cuid
from adapters.sql.tables import (
    activity_logs,
    audit_logs,
    notifications,
    player_ratings,
    schedules,
    scraping_logs,
    tracker_seasons,
    tracker_snapshots,
)
from adapters.sql.tracker_repository import SEASONS_KEY
from tracker_core.mmr import PlayerRating
from tracker_core.model import (
    ActivityLog,
    AuditEntry,
    ScrapingLog,
    StoredSeasons,
    TrackerSeason,
    TrackerSnapshot,
)
from tracker_core.notifications import DeliveryStatus, Notification
from tracker_core.schedules import Schedule, ScheduleStatus

_SEASON_KEYS = ("tracker_id", "season_number")
_KEEP = ("id", "created_at")
SEE_OTHER = 303
"""A dashboard form's answer when it saved (with an actor: not the sign-in redirect)."""


class SqlAlchemySeasonRepository:
    """Tracker seasons, one row per (tracker, season number)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def for_tracker(self, tracker_id: str) -> list[TrackerSeason]:
        statement = (
            select(tracker_seasons)
            .where(tracker_seasons.c.tracker_id == tracker_id)
            .order_by(tracker_seasons.c.season_number.desc())
        )
        return [mapping.season_from_row(row) for row in self._db.execute(statement).mappings()]

    def for_scrape(self, tracker_id: str) -> StoredSeasons:
        """PostgreSQL: read by the claim just now (``SqlAlchemyTrackerRepository.claim``).
        Elsewhere (SQLite, in process), from every season, in one statement."""
        primed = self._db.take((SEASONS_KEY, tracker_id))
        if primed is not None:
            return cast(StoredSeasons, primed)
        found = self.for_tracker(tracker_id)
        return StoredSeasons(frozenset(s.season_number for s in found), next(iter(found), None))

    def upsert(self, season: TrackerSeason) -> None:
        values = mapping.season_to_row(season)
        keys = ("tracker_id", "season_number")
        self._db.execute(self._db.upsert(tracker_seasons, keys, tuple(values)), values)

    def upsert_many(self, seasons: Sequence[TrackerSeason]) -> None:
        """Queued with the unit of work's other inserts (see ``Database.defer``)."""
        for season in seasons:
            self._db.defer(tracker_seasons, mapping.season_to_row(season), _SEASON_KEYS, _KEEP)


class SqlAlchemySnapshotRepository:
    """The rating history of trackers."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, snapshot: TrackerSnapshot) -> None:
        self._db.defer(tracker_snapshots, mapping.snapshot_to_row(snapshot))

    def for_tracker(
        self, tracker_id: str, *, season: int | None = None, limit: int | None = None
    ) -> list[TrackerSnapshot]:
        statement = select(tracker_snapshots).where(tracker_snapshots.c.tracker_id == tracker_id)
        if season is not None:
            statement = statement.where(tracker_snapshots.c.season_number == season)
        statement = statement.order_by(
            tracker_snapshots.c.captured_at.desc(), tracker_snapshots.c.id.desc()
        ).limit(limit)
        return [mapping.snapshot_from_row(row) for row in self._db.execute(statement).mappings()]


class SqlAlchemyScrapingLogRepository:
    """One row per job execution; listed newest first."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, log: ScrapingLog) -> None:
        self._db.defer(scraping_logs, mapping.scraping_log_to_row(log))

    def search(
        self,
        tracker_id: str | None,
        status: str | None,
        page: int,
        limit: int,
        category: str | None = None,
    ) -> tuple[list[ScrapingLog], int]:
        conditions: list[Any] = []
        if tracker_id is not None:
            conditions.append(scraping_logs.c.tracker_id == tracker_id)
        if status is not None:
            conditions.append(scraping_logs.c.status == status)
        if category is not None:
            conditions.append(scraping_logs.c.error_category == category)
        total = self._db.execute(
            select(func.count()).select_from(scraping_logs).where(*conditions)
        ).scalar_one()
        statement = (
            select(scraping_logs)
            .where(*conditions)
            .order_by(scraping_logs.c.started_at.desc(), scraping_logs.c.id.desc())
            .limit(limit)
            .offset((page - 1) * limit)
        )
        rows = self._db.execute(statement).mappings()
        return [mapping.scraping_log_from_row(row) for row in rows], total

    def failure_categories(self) -> dict[str | None, int]:
        statement = (
            select(scraping_logs.c.error_category, func.count().label("n"))
            .where(scraping_logs.c.status == "FAILED")
            .group_by(scraping_logs.c.error_category)
        )
        return {row["error_category"]: row["n"] for row in self._db.execute(statement).mappings()}

    def requests_since(self, since: datetime) -> int:
        statement = select(
            func.coalesce(
                func.sum(scraping_logs.c.seasons_scraped + scraping_logs.c.seasons_failed), 0
            )
        ).where(scraping_logs.c.started_at >= since)
        return int(self._db.execute(statement).scalar_one())


class SqlAlchemyActivityLogRepository:
    """Scrape successes and failures, as users see them."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, entry: ActivityLog) -> None:
        self._db.defer(activity_logs, mapping.activity_to_row(entry))


class SqlAlchemyScheduleRepository:
    """Scheduled guild processing; ``save`` is the compare-and-set that claims a schedule."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, schedule_id: str) -> Schedule | None:
        statement = select(schedules).where(schedules.c.id == schedule_id)
        row = self._db.execute(statement).mappings().first()
        return None if row is None else mapping.schedule_from_row(row)

    def add(self, schedule: Schedule) -> None:
        self._db.execute(insert(schedules), mapping.schedule_to_row(schedule))

    def save(self, schedule: Schedule) -> None:
        values = mapping.schedule_to_row(schedule)
        del values["id"], values["version"]
        self._db.compare_and_set(schedules, schedule.id, schedule.version, values)
        schedule.version += 1

    def for_guild(
        self, guild_id: str, status: ScheduleStatus | None, include_completed: bool
    ) -> list[Schedule]:
        statement = select(schedules).where(schedules.c.guild_id == guild_id)
        if status is not None:
            statement = statement.where(schedules.c.status == status.value)
        elif not include_completed:
            statement = statement.where(schedules.c.status != ScheduleStatus.COMPLETED.value)
        statement = statement.order_by(schedules.c.scheduled_at, schedules.c.id)
        return [mapping.schedule_from_row(row) for row in self._db.execute(statement).mappings()]

    def due(self, now: datetime) -> list[Schedule]:
        statement = (
            select(schedules)
            .where(
                schedules.c.status == ScheduleStatus.PENDING.value,
                schedules.c.scheduled_at <= now,
            )
            .order_by(schedules.c.scheduled_at, schedules.c.id)
        )
        return [mapping.schedule_from_row(row) for row in self._db.execute(statement).mappings()]

    def abandoned(self, now: datetime) -> list[Schedule]:
        statement = (
            select(schedules)
            .where(
                schedules.c.status == ScheduleStatus.RUNNING.value,
                or_(schedules.c.lease_expires_at.is_(None), schedules.c.lease_expires_at <= now),
            )
            .order_by(schedules.c.scheduled_at, schedules.c.id)
        )
        return [mapping.schedule_from_row(row) for row in self._db.execute(statement).mappings()]


class SqlAlchemyNotificationRepository:
    """The notification outbox."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, notification: Notification) -> None:
        self._db.defer(notifications, mapping.notification_to_row(notification))

    def save(self, notification: Notification) -> None:
        values = mapping.notification_to_row(notification)
        del values["id"], values["version"]
        self._db.compare_and_set(notifications, notification.id, notification.version, values)
        notification.version += 1

    def due(self, now: datetime, limit: int) -> list[Notification]:
        statement = (
            select(notifications)
            .where(
                notifications.c.status == DeliveryStatus.PENDING.value,
                or_(
                    notifications.c.next_attempt_at.is_(None),
                    notifications.c.next_attempt_at <= now,
                ),
            )
            .order_by(notifications.c.created_at, notifications.c.id)
            .limit(limit)
        )
        rows = self._db.execute(statement).mappings()
        return [mapping.notification_from_row(row) for row in rows]

    def for_tracker(self, tracker_id: str, limit: int) -> list[Notification]:
        statement = (
            select(notifications)
            .where(notifications.c.tracker_id == tracker_id)
            .order_by(notifications.c.created_at.desc(), notifications.c.id.desc())
            .limit(limit)
        )
        rows = self._db.execute(statement).mappings()
        return [mapping.notification_from_row(row) for row in rows]


class SqlAlchemyPlayerRatingRepository:
    """League MMR per (guild, user)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def upsert(self, rating: PlayerRating) -> None:
        self._db.defer(player_ratings, mapping.rating_to_row(rating), ("guild_id", "user_id"))

    def for_guild(self, guild_id: str) -> list[PlayerRating]:
        statement = (
            select(player_ratings)
            .where(player_ratings.c.guild_id == guild_id)
            .order_by(player_ratings.c.mmr.desc(), player_ratings.c.user_id)
        )
        return [mapping.rating_from_row(row) for row in self._db.execute(statement).mappings()]


class SqlAlchemyAuditLog:
    """Every mutating HTTP call: who, what, with which answer."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self, actor: str | None, method: str, path: str, status: int, body: Any, at: datetime
    ) -> None:
        """Record one call (``body`` is stored as JSON; secrets must be removed by the caller)."""
        row = {
            "id": new_cuid(),
            "actor": actor,
            "method": method,
            "path": path,
            "status": status,
            "body": body,
            "created_at": at,
        }
        self._db.execute(insert(audit_logs), row)

    def successes(
        self, paths: Sequence[str], page: int, limit: int
    ) -> tuple[list[AuditEntry], int]:
        succeeded = or_(
            audit_logs.c.status.between(200, 299),
            and_(audit_logs.c.status == SEE_OTHER, audit_logs.c.actor.is_not(None)),
        )
        where = (audit_logs.c.path.in_(list(paths)), succeeded)
        total = self._db.execute(
            select(func.count()).select_from(audit_logs).where(*where)
        ).scalar_one()
        statement = (
            select(audit_logs)
            .where(*where)
            .order_by(audit_logs.c.created_at.desc(), audit_logs.c.id.desc())
            .limit(limit)
            .offset((page - 1) * limit)
        )
        rows = self._db.execute(statement).mappings()
        return [
            AuditEntry(
                id=row["id"],
                actor=row["actor"],
                method=row["method"],
                path=row["path"],
                status=row["status"],
                body=row["body"],
                created_at=row["created_at"],
            )
            for row in rows
        ], total
