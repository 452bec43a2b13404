"""Add the secondary indexes of the repository queries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# (index, table, columns); each serves one query of the ports (see docs/persistence.md).
INDEXES = (
    ("ix_users_created_at", "users", ["created_at"]),
    ("ix_guild_members_user_id", "guild_members", ["user_id"]),
    ("ix_trackers_user_id_is_deleted", "trackers", ["user_id", "is_deleted"]),
    ("ix_trackers_status", "trackers", ["scraping_status", "is_deleted", "is_active"]),
    ("ix_trackers_last_scraped_at", "trackers", ["last_scraped_at"]),
    ("ix_trackers_created_at", "trackers", ["created_at"]),
    (
        "ix_tracker_snapshots_tracker_id_captured_at",
        "tracker_snapshots",
        ["tracker_id", "captured_at"],
    ),
    ("ix_scraping_logs_tracker_id_started_at", "scraping_logs", ["tracker_id", "started_at"]),
    ("ix_scraping_logs_started_at", "scraping_logs", ["started_at"]),
    ("ix_activity_logs_tracker_id_created_at", "activity_logs", ["tracker_id", "created_at"]),
    ("ix_schedules_status_scheduled_at", "schedules", ["status", "scheduled_at"]),
    ("ix_schedules_guild_id_scheduled_at", "schedules", ["guild_id", "scheduled_at"]),
    ("ix_notifications_status_next_attempt_at", "notifications", ["status", "next_attempt_at"]),
    ("ix_audit_logs_created_at", "audit_logs", ["created_at"]),
)
LEASE_INDEX = "ix_trackers_lease_expires_at"


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    # Partial: only IN_PROGRESS trackers hold a lease, so the reconciler's scan stays tiny.
    op.create_index(
        LEASE_INDEX,
        "trackers",
        ["lease_expires_at"],
        postgresql_where=sa.text("lease_expires_at IS NOT NULL"),
        sqlite_where=sa.text("lease_expires_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(LEASE_INDEX, table_name="trackers")
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
