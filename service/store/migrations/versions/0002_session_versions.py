"""Every version racecal wrote of a session, what the athlete changed, the last good plan.

- session_versions: one row per (athlete, session key, fingerprint of a version racecal wrote);
  filled from the sessions' stored payloads, which hold what was last written.
- sessions.created_at: when racecal first meant to write the event (unknown before: NULL).
- athlete_edits.title, .changes, .fingerprint: what the athlete's version shows and changed.
- last_plans: the plan of each athlete's last good pass.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "session_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("athlete_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_session_versions_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_versions")),
        sa.UniqueConstraint(
            "athlete_id", "key", "fingerprint", name=op.f("uq_session_versions_athlete_id")
        ),
    )
    op.create_table(
        "last_plans",
        sa.Column("athlete_id", sa.String(length=64), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_last_plans_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("athlete_id", name=op.f("pk_last_plans")),
    )
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("athlete_edits") as batch:
        batch.add_column(sa.Column("title", sa.Text(), nullable=True))
        batch.add_column(sa.Column("changes", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    # Before 0002 only moves were edits: the athlete's versions recorded so far were moves.
    connection.execute(sa.text("UPDATE athlete_edits SET changes = 'time' WHERE kind = 'pinned'"))
    rows = connection.execute(
        sa.text("SELECT athlete_id, key, payload, updated_at FROM sessions")
    ).fetchall()
    found = []
    for athlete_id, key, payload, updated_at in rows:
        fingerprint = _fingerprint_of_payload(payload)
        if fingerprint is not None:
            found.append(
                {
                    "athlete_id": athlete_id,
                    "key": key,
                    "fingerprint": fingerprint,
                    "written_at": updated_at,
                }
            )
    if found:
        # The time goes back as it came (each database's own form of it).
        connection.execute(
            sa.text(
                "INSERT INTO session_versions (athlete_id, key, fingerprint, written_at) "
                "VALUES (:athlete_id, :key, :fingerprint, :written_at)"
            ),
            found,
        )


def _fingerprint_of_payload(payload: str) -> str | None:
    """The fingerprint (as defined at 0002 in service.sync.fingerprint) of the session a
    payload describes, which is what racecal last wrote of it; None for an unreadable one."""
    try:
        data = json.loads(payload)
        title, description = str(data["title"]), str(data["description"])
        start = datetime.fromisoformat(data["start"])
        end = datetime.fromisoformat(data["end"])
    except (KeyError, ValueError, TypeError):
        return None
    parts = [_text(title), _text(description), _moment(start), _moment(end), ""]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _text(value: str) -> str:
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def downgrade() -> None:
    with op.batch_alter_table("athlete_edits") as batch:
        batch.drop_column("fingerprint")
        batch.drop_column("changes")
        batch.drop_column("title")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("created_at")
    op.drop_table("last_plans")
    op.drop_table("session_versions")
