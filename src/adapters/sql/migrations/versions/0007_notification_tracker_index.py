"""Index notifications by tracker (the dashboard's "what changed" list).

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEX = "ix_notifications_tracker_id_created_at"


def upgrade() -> None:
    op.create_index(INDEX, "notifications", ["tracker_id", "created_at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="notifications")
