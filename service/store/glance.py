"""A read-only look at a SQLite store through Python's own sqlite3, for the commands that only
read (`plan show`, `plan check`, `plan explain`): SQLAlchemy and the models cost such a command
about 0.2 s of imports, most of its time. It answers what `Reader` asks with the same values
the store's own queries give (service.store.state.load, .last_plan, service.store.athletes
.stored); a property test holds the two readers to each other over generated stores, so the
tables are still described once, in models.py, and read here by their column names.

A file at another schema revision than this racecal's is not read here: the commands say so
and plan without the store, as they do for a database SQLAlchemy reads.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

from service.store.records import (
    Edit,
    Managed,
    RaceRecord,
    SourceMemory,
    Stored,
    SyncState,
)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def newest_revision() -> str | None:
    """The newest schema revision this racecal knows: the history is one line of files named by
    their revision (0001_..., 0002_...), which the migration tests hold to Alembic's."""
    return max(
        (p.name[:4] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")),
        default=None,
    )


class Reader(Protocol):
    """What a command that only reads asks of a store: a Store, or a Glance at a SQLite file."""

    def athletes(self) -> list[Stored]: ...

    def sync_state(self, athlete_id: str) -> SyncState: ...

    def last_plan(self, athlete_id: str) -> tuple[datetime, str] | None: ...


def _moment(value: str | None) -> datetime | None:
    # SQLAlchemy keeps a SQLite DateTime as "YYYY-MM-DD HH:MM:SS.ffffff" in UTC (UtcDateTime).
    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _at(value: str) -> datetime:
    moment = _moment(value)
    if moment is None:
        raise ValueError("a time the store must hold is missing")
    return moment


class Glance:
    """A SQLite store opened read-only (no schema made, no WAL checkpoint, no lock taken)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _open(self) -> Iterator[sqlite3.Connection]:
        uri = f"{self.path.absolute().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)) as db:
            db.row_factory = sqlite3.Row
            # One snapshot for every query of a read: a pass committing meanwhile is seen
            # whole or not at all.
            db.execute("BEGIN")
            try:
                yield db
            finally:
                db.execute("ROLLBACK")

    def revision(self) -> str | None:
        with self._open() as db:
            there = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchall()
            if not there:
                return None
            rows = db.execute("SELECT version_num FROM alembic_version").fetchall()
            return str(rows[0][0]) if rows else None

    def athletes(self) -> list[Stored]:
        with self._open() as db:
            rows = db.execute(
                "SELECT id, settings, origin, base_dir, version, created_at, updated_at"
                " FROM athletes WHERE settings IS NOT NULL AND removed_at IS NULL"
                " ORDER BY created_at, id"
            ).fetchall()
        return [
            Stored(
                r["id"],
                json.loads(r["settings"] or "{}"),
                r["origin"] or "config",
                r["base_dir"] or "",
                r["version"],
                _at(r["created_at"]),
                _moment(r["updated_at"]),
            )
            for r in rows
        ]

    def sync_state(self, athlete_id: str) -> SyncState:
        with self._open() as db:
            return _state(db, athlete_id)

    def last_plan(self, athlete_id: str) -> tuple[datetime, str] | None:
        with self._open() as db:
            rows = db.execute(
                "SELECT made_at, body FROM last_plans WHERE athlete_id = ?", (athlete_id,)
            ).fetchall()
        return (_at(rows[0]["made_at"]), str(rows[0]["body"])) if rows else None


def _state(db: sqlite3.Connection, athlete_id: str) -> SyncState:
    def rows(query: str) -> list[sqlite3.Row]:
        return db.execute(query, (athlete_id,)).fetchall()

    managed = {
        r["key"]: Managed(
            r["key"],
            r["remote_id"],
            r["etag"],
            r["content_hash"],
            _at(r["start"]),
            _at(r["end"]),
            r["state"],
            r["payload"],
            _moment(r["created_at"]),
        )
        for r in rows(
            "SELECT key, remote_id, etag, content_hash, start, end, state, payload, created_at"
            " FROM sessions WHERE athlete_id = ?"
        )
    }
    versions: dict[str, dict[str, datetime]] = {}
    for r in rows("SELECT key, fingerprint, written_at FROM session_versions WHERE athlete_id = ?"):
        versions.setdefault(r["key"], {})[r["fingerprint"]] = _at(r["written_at"])
    edits = {
        r["key"]: _edit(r)
        for r in rows(
            "SELECT key, kind, seen_at, start, end, title, changes, fingerprint"
            " FROM athlete_edits WHERE athlete_id = ?"
        )
    }
    races = {
        r["uid"]: RaceRecord(
            r["uid"],
            r["title"],
            date.fromisoformat(r["race_date"]),
            _at(r["first_seen"]),
            _moment(r["removed_at"]),
        )
        for r in rows(
            "SELECT uid, title, race_date, first_seen, removed_at FROM races_seen"
            " WHERE athlete_id = ?"
        )
    }
    plan = rows("SELECT digest FROM last_plans WHERE athlete_id = ?")
    sources = {
        r["key"]: SourceMemory(
            r["events"], r["races"], _moment(r["empty_since"]), bool(r["accepted"])
        )
        for r in rows(
            "SELECT key, events, races, empty_since, accepted FROM source_reads"
            " WHERE athlete_id = ?"
        )
    }
    digest = str(plan[0]["digest"]) if plan else None
    return SyncState(athlete_id, managed, versions, edits, races, digest, sources)


def _edit(r: sqlite3.Row) -> Edit:
    changes = tuple(c for c in (r["changes"] or "").split(",") if c)
    return Edit(
        r["key"],
        r["kind"],
        _at(r["seen_at"]),
        _moment(r["start"]),
        _moment(r["end"]),
        r["title"],
        changes,
        r["fingerprint"],
    )
