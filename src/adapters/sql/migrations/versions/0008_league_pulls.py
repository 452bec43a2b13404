"""League integrity: numbers pulls (frozen standings, their rows, the staff overrides beside
them), review flags, and the index that finds trackers holding the same platform account.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _id(name: str = "id", *args: Any, **kwargs: Any) -> sa.Column[Any]:
    return sa.Column(name, sa.String(32), *args, **kwargs)


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _json(name: str, nullable: bool = False) -> sa.Column[Any]:
    kind = sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )
    return sa.Column(name, kind, nullable=nullable)


def _pull_fk(table: str) -> sa.Column[Any]:
    fk = sa.ForeignKey(
        "league_pulls.id", name=f"fk_{table}_pull_id_league_pulls", ondelete="CASCADE"
    )
    return _id("pull_id", fk, nullable=False)


def upgrade() -> None:
    op.create_table(
        "league_pulls",
        _id(nullable=False),
        _id("guild_id", nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("created_by", sa.String(64)),
        _at("created_at"),
        _json("settings"),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_league_pulls"),
        sa.UniqueConstraint("guild_id", "number", name="uq_league_pulls_guild_id_number"),
    )
    op.create_table(
        "league_pull_rows",
        _pull_fk("league_pull_rows"),
        _id("user_id", nullable=False),
        _id("tracker_id"),
        sa.Column("mmr", sa.Integer()),
        sa.Column("algorithm", sa.String(32), nullable=False),
        _json("inputs", nullable=True),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        _json("reasons"),
        _json("games"),
        _json("flags"),
        _at("data_at", nullable=True),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.PrimaryKeyConstraint("pull_id", "user_id", name="pk_league_pull_rows"),
    )
    op.create_index("ix_league_pull_rows_user_id", "league_pull_rows", ["user_id"])
    op.create_table(
        "league_pull_overrides",
        _id(nullable=False),
        _pull_fk("league_pull_overrides"),
        _id("user_id", nullable=False),
        sa.Column("mmr", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        _at("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_league_pull_overrides"),
    )
    op.create_index(
        "ix_league_pull_overrides_pull_id_user_id",
        "league_pull_overrides",
        ["pull_id", "user_id"],
    )
    op.create_table(
        "league_flags",
        _id(nullable=False),
        _id("guild_id", nullable=False),
        _id("user_id", nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        _id("tracker_id"),
        sa.Column("detail", sa.Text(), nullable=False),
        _json("data"),
        _at("raised_at"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("open_slot", sa.String(8)),
        sa.Column("resolution", sa.String(16)),
        sa.Column("note", sa.Text()),
        sa.Column("resolved_by", sa.String(64)),
        _at("resolved_at", nullable=True),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_league_flags"),
        sa.UniqueConstraint(
            "guild_id",
            "user_id",
            "kind",
            "open_slot",
            name="uq_league_flags_guild_id_user_id_kind_open_slot",
        ),
    )
    op.create_index("ix_league_flags_guild_id_status", "league_flags", ["guild_id", "status"])
    op.create_index("ix_trackers_platform_user_id", "trackers", ["platform_user_id"])


def downgrade() -> None:
    op.drop_index("ix_trackers_platform_user_id", table_name="trackers")
    op.drop_table("league_flags")
    op.drop_table("league_pull_overrides")
    op.drop_table("league_pull_rows")
    op.drop_table("league_pulls")
