"""Pass lag for /metrics (service.store.figures): on `sync_rows`, since when the athlete has
been due with no pass begun (`due_at`, kept by the dispatcher); on `worker_passes`, the due
time each pass began for, and an index on `started_at` so the recent window reads a few rows.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_rows") as batch:
        batch.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("worker_passes") as batch:
        batch.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        op.f("ix_worker_passes_started_at"), "worker_passes", ["started_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_worker_passes_started_at"), table_name="worker_passes")
    with op.batch_alter_table("worker_passes") as batch:
        batch.drop_column("due_at")
    with op.batch_alter_table("sync_rows") as batch:
        batch.drop_column("due_at")
