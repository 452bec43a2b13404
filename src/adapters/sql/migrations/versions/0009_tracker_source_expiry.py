"""Trackers remember until when tracker.gg's cache of their profile is fresh (a refresh before
then is answered from storage).

Revision ID: 0009
Revises: 0010 (0010 reached main first; 0009 comes after it)
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trackers") as batch:
        batch.add_column(sa.Column("source_expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trackers") as batch:
        batch.drop_column("source_expires_at")
