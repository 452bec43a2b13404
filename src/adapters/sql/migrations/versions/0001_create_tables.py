"""Create the tables, their keys and the unique index on live tracker identities.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "player_ratings",
    "notifications",
    "activity_logs",
    "scraping_logs",
    "tracker_snapshots",
    "tracker_seasons",
    "trackers",
    "schedules",
    "guild_members",
    "guild_settings",
    "guilds",
    "users",
    "audit_logs",
)


def _id(name: str = "id", *args: Any, **kwargs: Any) -> sa.Column[Any]:
    return sa.Column(name, sa.String(32), *args, **kwargs)


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _json(name: str, nullable: bool = False) -> sa.Column[Any]:
    kind = sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )
    return sa.Column(name, kind, nullable=nullable)


def _int(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _version() -> sa.Column[Any]:
    return sa.Column("version", sa.Integer(), server_default="0", nullable=False)


def _tracker_fk(table: str) -> sa.Column[Any]:
    fk = sa.ForeignKey("trackers.id", name=f"fk_{table}_tracker_id_trackers")
    return _id("tracker_id", fk, nullable=False)


def _guild_fk(table: str) -> sa.Column[Any]:
    fk = sa.ForeignKey("guilds.id", name=f"fk_{table}_guild_id_guilds", ondelete="CASCADE")
    return _id("guild_id", fk, nullable=False)


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*columns, name=f"pk_{table}")


def _users() -> None:
    op.create_table(
        "users",
        _id(nullable=False),
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("global_name", sa.String(255)),
        sa.Column("avatar", sa.String(255)),
        sa.Column("email", sa.String(320)),
        _at("created_at"),
        _at("updated_at"),
        _version(),
        _pk("users", "id"),
    )


def _guilds() -> None:
    op.create_table(
        "guilds",
        _id(nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("icon", sa.String(255)),
        _id("owner_id"),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        _version(),
        _pk("guilds", "id"),
    )


def _guild_settings() -> None:
    op.create_table(
        "guild_settings",
        _guild_fk("guild_settings"),
        _json("settings"),
        _pk("guild_settings", "guild_id"),
    )


def _guild_members() -> None:
    op.create_table(
        "guild_members",
        _guild_fk("guild_members"),
        _id("user_id", nullable=False),
        _json("roles"),
        sa.Column("nickname", sa.String(255)),
        sa.Column("is_banned", sa.Boolean(), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        _pk("guild_members", "guild_id", "user_id"),
    )


def _trackers() -> None:
    op.create_table(
        "trackers",
        _id(nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("game", sa.String(32), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("identity", sa.Text(), nullable=False),
        sa.Column("api_path", sa.Text(), nullable=False),
        _id("user_id", nullable=False),
        sa.Column("display_name", sa.String(100)),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        _at("deleted_at", nullable=True),
        _at("last_scraped_at", nullable=True),
        sa.Column("scraping_status", sa.String(16), nullable=False),
        sa.Column("scraping_error", sa.Text()),
        sa.Column("error_category", sa.String(32)),
        _int("scraping_attempts"),
        _at("next_attempt_at", nullable=True),
        _at("lease_expires_at", nullable=True),
        sa.Column("lease_token", sa.String(64)),
        _at("last_refresh_at", nullable=True),
        _id("registration_channel_id"),
        sa.Column("registration_interaction_token", sa.Text()),
        sa.Column("platform_user_id", sa.String(255)),
        _at("created_at"),
        _at("updated_at"),
        _version(),
        _pk("trackers", "id"),
    )
    # The rule "one live tracker per identity" (SPEC §2.3): a soft-deleted tracker frees it.
    op.create_index(
        "uq_trackers_identity_live",
        "trackers",
        ["identity"],
        unique=True,
        postgresql_where=sa.text("is_deleted = false"),
        sqlite_where=sa.text("is_deleted = 0"),
    )


def _tracker_seasons() -> None:
    op.create_table(
        "tracker_seasons",
        _id(nullable=False),
        _tracker_fk("tracker_seasons"),
        _int("season_number"),
        sa.Column("season_name", sa.String(100), nullable=False),
        *(_json(f"playlist_{p}", nullable=True) for p in ("1v1", "2v2", "3v3", "4v4")),
        _json("extra_playlists"),
        _at("scraped_at"),
        _at("created_at"),
        _at("updated_at"),
        _pk("tracker_seasons", "id"),
        sa.UniqueConstraint(
            "tracker_id", "season_number", name="uq_tracker_seasons_tracker_id_season_number"
        ),
    )


def _tracker_snapshots() -> None:
    playlists = ("ones", "twos", "threes", "fours")
    op.create_table(
        "tracker_snapshots",
        _id(nullable=False),
        _tracker_fk("tracker_snapshots"),
        _at("captured_at"),
        _int("season_number", nullable=True),
        *(_int(name, nullable=True) for name in playlists),
        *(_int(f"{name}_games_played", nullable=True) for name in playlists),
        sa.Column("source", sa.String(16), nullable=False),
        _id("entered_by"),
        _at("created_at"),
        _pk("tracker_snapshots", "id"),
    )


def _scraping_logs() -> None:
    op.create_table(
        "scraping_logs",
        _id(nullable=False),
        _tracker_fk("scraping_logs"),
        sa.Column("status", sa.String(16), nullable=False),
        _int("seasons_scraped"),
        _int("seasons_failed"),
        sa.Column("error_message", sa.Text()),
        sa.Column("error_category", sa.String(32)),
        _at("started_at"),
        _at("completed_at"),
        _json("metadata"),
        _pk("scraping_logs", "id"),
    )


def _activity_logs() -> None:
    op.create_table(
        "activity_logs",
        _id(nullable=False),
        _tracker_fk("activity_logs"),
        _id("user_id", nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        _at("created_at"),
        _pk("activity_logs", "id"),
    )


def _audit_logs() -> None:
    op.create_table(
        "audit_logs",
        _id(nullable=False),
        sa.Column("actor", sa.String(64)),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        _int("status"),
        _json("body", nullable=True),
        _at("created_at"),
        _pk("audit_logs", "id"),
    )


def _schedules() -> None:
    op.create_table(
        "schedules",
        _id(nullable=False),
        _id("guild_id", nullable=False),
        _at("scheduled_at"),
        sa.Column("status", sa.String(16), nullable=False),
        _id("created_by", nullable=False),
        _at("executed_at", nullable=True),
        sa.Column("error_message", sa.Text()),
        _json("metadata"),
        _json("result", nullable=True),
        _at("created_at"),
        _at("updated_at"),
        _version(),
        _pk("schedules", "id"),
    )


def _notifications() -> None:
    op.create_table(
        "notifications",
        _id(nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        _tracker_fk("notifications"),
        _id("user_id", nullable=False),
        _id("guild_id"),
        sa.Column("message", sa.Text(), nullable=False),
        _json("payload"),
        sa.Column("status", sa.String(16), nullable=False),
        _int("attempts"),
        _at("next_attempt_at", nullable=True),
        sa.Column("last_error", sa.Text()),
        _at("sent_at", nullable=True),
        _at("created_at"),
        _version(),
        _pk("notifications", "id"),
    )


def _player_ratings() -> None:
    op.create_table(
        "player_ratings",
        _id("guild_id", nullable=False),
        _id("user_id", nullable=False),
        _tracker_fk("player_ratings"),
        _int("mmr"),
        sa.Column("algorithm", sa.String(32), nullable=False),
        _json("inputs"),
        _at("calculated_at"),
        _pk("player_ratings", "guild_id", "user_id"),
    )


def upgrade() -> None:
    _users()
    _guilds()
    _guild_settings()
    _guild_members()
    _trackers()
    _tracker_seasons()
    _tracker_snapshots()
    _scraping_logs()
    _activity_logs()
    _audit_logs()
    _schedules()
    _notifications()
    _player_ratings()


def downgrade() -> None:
    op.drop_index("uq_trackers_identity_live", table_name="trackers")
    for table in TABLES:
        op.drop_table(table)
