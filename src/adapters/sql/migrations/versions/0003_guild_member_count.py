"""Store a guild's member count; index the audit log by path (guild settings history).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

AUDIT_PATH_INDEX = "ix_audit_logs_path_created_at"


def upgrade() -> None:
    with op.batch_alter_table("guilds") as batch:
        batch.add_column(sa.Column("member_count", sa.Integer(), nullable=True))
    op.create_index(AUDIT_PATH_INDEX, "audit_logs", ["path", "created_at"])


def downgrade() -> None:
    op.drop_index(AUDIT_PATH_INDEX, table_name="audit_logs")
    with op.batch_alter_table("guilds") as batch:
        batch.drop_column("member_count")
