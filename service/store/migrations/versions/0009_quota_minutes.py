"""Google quota pacing (service.store.quota): `quota_minutes` (the Calendar API requests the
cluster sent in each minute of the database's clock) and, on `sync_rows`, what the athlete's
last pass cost, what its jobs deferred and not yet ended hold of the budget, and what it spent
in its latest minute (the per-user share).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quota_minutes",
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requests", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("minute", name=op.f("pk_quota_minutes")),
    )
    with op.batch_alter_table("sync_rows") as batch:
        batch.add_column(sa.Column("cost", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("held", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("held_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("minute_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("minute_used", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("sync_rows") as batch:
        for name in ("minute_used", "minute_at", "held_at", "held", "cost"):
            batch.drop_column(name)
    op.drop_table("quota_minutes")
