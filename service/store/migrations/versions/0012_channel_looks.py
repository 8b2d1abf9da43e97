"""What the cluster's channel keeper (service.daemon.channels) looks at: on `athletes`, when it
should look at the athlete's push channels next (`channels_due_at`, indexed: set by a change
of the settings, a training calendar made, or a look that failed and is tried again later;
none when there is nothing to do) and the problem its last look had (`channels_said`, so it is
warned of once per change for the whole cluster); an index on `push_channels` by athlete, and
one by expiry, so a tick reads the channels near their end and nothing else.

Every athlete stored with settings or channels is due at the upgrade: the first ticks after it
look at each once.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("athletes") as batch:
        batch.add_column(sa.Column("channels_due_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("channels_said", sa.Text(), nullable=True))
    op.create_index(
        op.f("ix_athletes_channels_due_at"), "athletes", ["channels_due_at"], unique=False
    )
    op.create_index(
        op.f("ix_push_channels_athlete_id"), "push_channels", ["athlete_id"], unique=False
    )
    op.create_index(op.f("ix_push_channels_expires"), "push_channels", ["expires"], unique=False)
    athletes = sa.table(
        "athletes",
        sa.column("id", sa.String()),
        sa.column("settings", sa.Text()),
        sa.column("channels_due_at", sa.DateTime(timezone=True)),
    )
    channels = sa.table("push_channels", sa.column("athlete_id", sa.String()))
    # SQLite keeps times naive (in UTC); PostgreSQL takes the aware one.
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    op.execute(
        athletes.update()
        .where(
            sa.or_(
                athletes.c.settings.is_not(None),
                athletes.c.id.in_(sa.select(channels.c.athlete_id)),
            )
        )
        .values(channels_due_at=now)
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_push_channels_expires"), table_name="push_channels")
    op.drop_index(op.f("ix_push_channels_athlete_id"), table_name="push_channels")
    op.drop_index(op.f("ix_athletes_channels_due_at"), table_name="athletes")
    with op.batch_alter_table("athletes") as batch:
        batch.drop_column("channels_said")
        batch.drop_column("channels_due_at")
