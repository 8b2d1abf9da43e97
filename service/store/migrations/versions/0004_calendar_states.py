"""What each calendar held at its last look with its change cursor, the last quiet pass's key,
and the push channels open: a restart goes on from them instead of listing everything.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _athlete(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["athlete_id"],
        ["athletes.id"],
        name=op.f(f"fk_{table}_athlete_id_athletes"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "calendar_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("athlete_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("locator", sa.Text(), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _athlete("calendar_states"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_states")),
        sa.UniqueConstraint(
            "athlete_id", "kind", "locator", name=op.f("uq_calendar_states_athlete_id")
        ),
    )
    op.create_table(
        "quiet_passes",
        sa.Column("athlete_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
        _athlete("quiet_passes"),
        sa.PrimaryKeyConstraint("athlete_id", name=op.f("pk_quiet_passes")),
    )
    op.create_table(
        "push_channels",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("athlete_id", sa.String(length=64), nullable=False),
        sa.Column("calendar_id", sa.Text(), nullable=False),
        sa.Column("resource_id", sa.Text(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        _athlete("push_channels"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_channels")),
    )


def downgrade() -> None:
    op.drop_table("push_channels")
    op.drop_table("quiet_passes")
    op.drop_table("calendar_states")
