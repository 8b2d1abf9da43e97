"""An index on sync_runs (athlete_id, started_at): `racecal status` asks each athlete's last
pass, which without it read every pass of every athlete.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_sync_runs_athlete_id_started_at", "sync_runs", ["athlete_id", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_sync_runs_athlete_id_started_at", table_name="sync_runs")
