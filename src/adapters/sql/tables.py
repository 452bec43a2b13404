"""SQLAlchemy Core tables of every entity (SPEC §2.1), with the indexes the queries need.

Foreign keys exist where the parent is never hard-deleted (trackers) or where deleting the
parent deletes the children in the domain too (a guild's members and settings). Users and
guilds may be deleted while trackers, schedules and ratings that name them stay, so those
columns are indexed but not constrained.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.schema import SchemaItem

from adapters.sql.types import UtcDateTime, json_type

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

ID = 32  # CUIDs are 25 characters, Discord snowflakes at most 20


def _id(name: str = "id", *args: SchemaItem, **kwargs: Any) -> Column[str]:
    return Column(name, String(ID), *args, **kwargs)


def _version() -> Column[int]:
    return Column("version", Integer, nullable=False, server_default="0")


users = Table(
    "users",
    metadata,
    _id(primary_key=True),
    Column("username", String(255), nullable=False),
    Column("global_name", String(255)),
    Column("avatar", String(255)),
    Column("email", String(320)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    _version(),
    Index("ix_users_created_at", "created_at"),
)

guilds = Table(
    "guilds",
    metadata,
    _id(primary_key=True),
    Column("name", String(100), nullable=False),
    Column("icon", String(255)),
    _id("owner_id"),
    Column("member_count", Integer),
    Column("is_active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    _version(),
)

guild_settings = Table(
    "guild_settings",
    metadata,
    _id("guild_id", ForeignKey("guilds.id", ondelete="CASCADE"), primary_key=True),
    Column("settings", json_type(), nullable=False),
)

guild_members = Table(
    "guild_members",
    metadata,
    _id("guild_id", ForeignKey("guilds.id", ondelete="CASCADE"), primary_key=True),
    _id("user_id", primary_key=True),
    Column("roles", json_type(), nullable=False),
    Column("nickname", String(255)),
    Column("is_banned", Boolean, nullable=False),
    Column("is_deleted", Boolean, nullable=False),
    Index("ix_guild_members_user_id", "user_id"),
)

trackers = Table(
    "trackers",
    metadata,
    _id(primary_key=True),
    Column("url", Text, nullable=False),
    Column("game", String(32), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("username", String(255), nullable=False),
    Column("identity", Text, nullable=False),
    Column("api_path", Text, nullable=False),
    _id("user_id", nullable=False),
    Column("display_name", String(100)),
    Column("is_active", Boolean, nullable=False),
    Column("is_deleted", Boolean, nullable=False),
    Column("deleted_at", UtcDateTime),
    Column("last_scraped_at", UtcDateTime),
    Column("scraping_status", String(16), nullable=False),
    Column("scraping_error", Text),
    Column("error_category", String(32)),
    Column("scraping_attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime),
    Column("lease_expires_at", UtcDateTime),
    Column("lease_token", String(64)),
    Column("last_refresh_at", UtcDateTime),
    _id("registration_channel_id"),
    Column("registration_interaction_token", Text),
    Column("platform_user_id", String(255)),
    Column("source_expires_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    _version(),
)

LIVE = trackers.c.is_deleted == false()
"""The predicate of non-deleted trackers, spelled the same in the partial index and queries."""

Index(
    "uq_trackers_identity_live",
    trackers.c.identity,
    unique=True,
    postgresql_where=LIVE,
    sqlite_where=LIVE,
)
Index("ix_trackers_user_id_is_deleted", trackers.c.user_id, trackers.c.is_deleted)
Index(  # the guild selection, index-only: what it filters on is in the index
    "ix_trackers_user_id_live_refresh",
    trackers.c.user_id,
    postgresql_include=["id", "is_active", "scraping_status", "last_scraped_at"],
    postgresql_where=LIVE,
    sqlite_where=LIVE,
)
Index(
    "ix_trackers_status",
    trackers.c.scraping_status,
    trackers.c.is_deleted,
    trackers.c.is_active,
)
Index("ix_trackers_last_scraped_at", trackers.c.last_scraped_at)
Index("ix_trackers_created_at", trackers.c.created_at)
Index("ix_trackers_platform_user_id", trackers.c.platform_user_id)
Index(
    "ix_trackers_lease_expires_at",
    trackers.c.lease_expires_at,
    postgresql_where=trackers.c.lease_expires_at.is_not(None),
    sqlite_where=trackers.c.lease_expires_at.is_not(None),
)


def _tracker_fk(nullable: bool = False) -> Column[str]:
    return _id("tracker_id", ForeignKey("trackers.id"), nullable=nullable)


tracker_seasons = Table(
    "tracker_seasons",
    metadata,
    _id(primary_key=True),
    _tracker_fk(),
    Column("season_number", Integer, nullable=False),
    Column("season_name", String(100), nullable=False),
    Column("playlist_1v1", json_type()),
    Column("playlist_2v2", json_type()),
    Column("playlist_3v3", json_type()),
    Column("playlist_4v4", json_type()),
    Column("extra_playlists", json_type(), nullable=False),
    Column("scraped_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("tracker_id", "season_number"),
)

tracker_snapshots = Table(
    "tracker_snapshots",
    metadata,
    _id(primary_key=True),
    _tracker_fk(),
    Column("captured_at", UtcDateTime, nullable=False),
    Column("season_number", Integer),
    *(Column(name, Integer) for name in ("ones", "twos", "threes", "fours")),
    *(Column(f"{name}_games_played", Integer) for name in ("ones", "twos", "threes", "fours")),
    Column("source", String(16), nullable=False),
    _id("entered_by"),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_tracker_snapshots_tracker_id_captured_at", "tracker_id", "captured_at"),
)

scraping_logs = Table(
    "scraping_logs",
    metadata,
    _id(primary_key=True),
    _tracker_fk(),
    Column("status", String(16), nullable=False),
    Column("seasons_scraped", Integer, nullable=False),
    Column("seasons_failed", Integer, nullable=False),
    Column("error_message", Text),
    Column("error_category", String(32)),
    Column("started_at", UtcDateTime, nullable=False),
    Column("completed_at", UtcDateTime, nullable=False),
    Column("metadata", json_type(), nullable=False),
    Index("ix_scraping_logs_tracker_id_started_at", "tracker_id", "started_at"),
    Index("ix_scraping_logs_started_at", "started_at"),
)

activity_logs = Table(
    "activity_logs",
    metadata,
    _id(primary_key=True),
    _tracker_fk(),
    _id("user_id", nullable=False),
    Column("kind", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_activity_logs_tracker_id_created_at", "tracker_id", "created_at"),
)

schedules = Table(
    "schedules",
    metadata,
    _id(primary_key=True),
    _id("guild_id", nullable=False),
    Column("scheduled_at", UtcDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    _id("created_by", nullable=False),
    Column("executed_at", UtcDateTime),
    Column("error_message", Text),
    Column("metadata", json_type(), nullable=False),
    Column("result", json_type()),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("lease_expires_at", UtcDateTime),
    _version(),
    Index("ix_schedules_status_scheduled_at", "status", "scheduled_at"),
    Index("ix_schedules_guild_id_scheduled_at", "guild_id", "scheduled_at"),
)

notifications = Table(
    "notifications",
    metadata,
    _id(primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("target", Text, nullable=False),
    _tracker_fk(),
    _id("user_id", nullable=False),
    _id("guild_id"),
    Column("message", Text, nullable=False),
    Column("payload", json_type(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime),
    Column("last_error", Text),
    Column("sent_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    _version(),
    Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_notifications_tracker_id_created_at", "tracker_id", "created_at"),
)

player_ratings = Table(
    "player_ratings",
    metadata,
    _id("guild_id", primary_key=True),
    _id("user_id", primary_key=True),
    _tracker_fk(),
    Column("mmr", Integer, nullable=False),
    Column("algorithm", String(32), nullable=False),
    Column("inputs", json_type(), nullable=False),
    Column("calculated_at", UtcDateTime, nullable=False),
)

audit_logs = Table(
    "audit_logs",
    metadata,
    _id(primary_key=True),
    Column("actor", String(64)),
    Column("method", String(10), nullable=False),
    Column("path", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", json_type()),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_audit_logs_created_at", "created_at"),
    Index("ix_audit_logs_path_created_at", "path", "created_at"),
)

league_pulls = Table(
    "league_pulls",
    metadata,
    _id(primary_key=True),
    _id("guild_id", nullable=False),
    Column("number", Integer, nullable=False),
    Column("name", String(100), nullable=False),
    Column("note", Text),
    Column("created_by", String(64)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("settings", json_type(), nullable=False),
    Column("member_count", Integer, nullable=False),
    UniqueConstraint("guild_id", "number"),
)

league_pull_rows = Table(
    "league_pull_rows",
    metadata,
    _id("pull_id", ForeignKey("league_pulls.id", ondelete="CASCADE"), primary_key=True),
    _id("user_id", primary_key=True),
    _id("tracker_id"),
    Column("mmr", Integer),
    Column("algorithm", String(32), nullable=False),
    Column("inputs", json_type()),
    Column("eligible", Boolean, nullable=False),
    Column("reasons", json_type(), nullable=False),
    Column("games", json_type(), nullable=False),
    Column("flags", json_type(), nullable=False),
    Column("data_at", UtcDateTime),
    Column("stale", Boolean, nullable=False),
    Column("reason", Text),
    Index("ix_league_pull_rows_user_id", "user_id"),
)

league_pull_overrides = Table(
    "league_pull_overrides",
    metadata,
    _id(primary_key=True),
    _id("pull_id", ForeignKey("league_pulls.id", ondelete="CASCADE"), nullable=False),
    _id("user_id", nullable=False),
    Column("mmr", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_league_pull_overrides_pull_id_user_id", "pull_id", "user_id"),
)

league_flags = Table(
    "league_flags",
    metadata,
    _id(primary_key=True),
    _id("guild_id", nullable=False),
    _id("user_id", nullable=False),
    Column("kind", String(32), nullable=False),
    _id("tracker_id"),
    Column("detail", Text, nullable=False),
    Column("data", json_type(), nullable=False),
    Column("raised_at", UtcDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    # "open" while open, NULL once resolved: the unique constraint allows one open flag per
    # (guild, member, kind) and any number of resolved ones (NULLs never collide).
    Column("open_slot", String(8)),
    Column("resolution", String(16)),
    Column("note", Text),
    Column("resolved_by", String(64)),
    Column("resolved_at", UtcDateTime),
    _version(),
    UniqueConstraint("guild_id", "user_id", "kind", "open_slot"),
    Index("ix_league_flags_guild_id_status", "guild_id", "status"),
)
