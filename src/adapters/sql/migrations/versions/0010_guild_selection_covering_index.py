"""A covering index for the guild selection: the trackers of a guild's members, their state
read from the index alone (an index-only scan), so the selection does not visit one heap page
per member.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEX = "ix_trackers_user_id_live_refresh"


def upgrade() -> None:
    op.create_index(
        INDEX,
        "trackers",
        ["user_id"],
        postgresql_include=["id", "is_active", "scraping_status", "last_scraped_at"],
        postgresql_where=sa.text("is_deleted = false"),
        sqlite_where=sa.text("is_deleted = 0"),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="trackers")
