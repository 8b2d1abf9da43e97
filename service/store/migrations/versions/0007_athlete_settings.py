"""Athletes in the store: each athlete's settings (its [[athletes]] table as JSON), where they
came from (the config file or `racecal athlete`), the folder its relative paths are read from,
and a version that every change bumps (the daemon compares versions to see what changed; a
change made on stale settings is refused). Rows made by passes before this revision have no
settings until the config's athletes are laid in at the next start.

Columns are added, not the table rebuilt: rebuilding `athletes` on SQLite would cascade the
delete to every table that refers to it.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = ("settings", "origin", "base_dir", "version", "updated_at", "removed_at")


def upgrade() -> None:
    op.add_column("athletes", sa.Column("settings", sa.Text(), nullable=True))
    op.add_column("athletes", sa.Column("origin", sa.String(length=16), nullable=True))
    op.add_column("athletes", sa.Column("base_dir", sa.Text(), nullable=True))
    op.add_column(
        "athletes", sa.Column("version", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("athletes", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("athletes", sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for name in reversed(COLUMNS):
        op.drop_column("athletes", name)
