"""Schedules hold a lease: the attempt number and when the running scheduler's lease ends.

A RUNNING schedule left by a scheduler that died is taken back by another one once its lease
has expired. Schedules RUNNING at the upgrade (from before leases existed) get an expired
lease and one used attempt, so the first scheduler after the upgrade takes them back.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True)))
    op.execute(
        "UPDATE schedules SET attempts = 1, lease_expires_at = updated_at WHERE status = 'RUNNING'"
    )


def downgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("lease_expires_at")
        batch.drop_column("attempts")
