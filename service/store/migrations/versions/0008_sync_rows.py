"""The procrastinate executor's tables: `sync_rows` (each athlete's change_seq, dispatched_seq,
synced_seq, next_due_at and the version that fences a pass's commit) and `worker_passes` (each
pass a worker ran, timed by the database clock). The embedded executor does not use them.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_rows",
        sa.Column("athlete_id", sa.String(length=64), nullable=False),
        sa.Column("change_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dispatched_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("synced_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("settings_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_pass_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_sync_rows_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("athlete_id", name=op.f("pk_sync_rows")),
    )
    op.create_table(
        "worker_passes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("athlete_id", sa.String(length=64), nullable=False),
        sa.Column("worker", sa.String(length=128), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("committed", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_worker_passes_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_passes")),
    )
    op.create_index(
        op.f("ix_worker_passes_athlete_id"), "worker_passes", ["athlete_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_worker_passes_athlete_id"), table_name="worker_passes")
    op.drop_table("worker_passes")
    op.drop_table("sync_rows")
