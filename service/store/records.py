"""What the store knows of an athlete, as frozen values with no database behind them: what a
pass reads (`SyncState`), what the views show, what `racecal athlete` lists. The queries that
fill them live in state.py, athletes.py and, for a read-only look at a SQLite store, glance.py;
this module imports no database library, so a command that only reads pays for none."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Managed:
    """A session racecal writes, with the state of its last write."""

    key: str
    remote_id: str
    etag: str | None
    # The fingerprint of the version last written (or being written, while pending).
    fingerprint: str
    start: datetime
    end: datetime
    state: str  # pending_create | pending_update | pending_delete | written
    payload: str
    created_at: datetime | None = None

    @property
    def pending(self) -> bool:
        return self.state != "written"


@dataclass(frozen=True)
class Edit:
    """A session the athlete made theirs (pinned), deleted, or handed back (released)."""

    key: str
    kind: str  # pinned | deleted | released
    seen_at: datetime
    start: datetime | None = None
    end: datetime | None = None
    title: str | None = None
    changes: tuple[str, ...] = ()
    fingerprint: str | None = None


@dataclass(frozen=True)
class RaceRecord:
    uid: str
    title: str
    race_date: date
    first_seen: datetime
    removed_at: datetime | None = None


@dataclass(frozen=True)
class RaceNews:
    """What changed in an athlete's races: (uid, title, date) of new ones and of ones whose
    title or date changed or that came back; uids of ones gone."""

    new: tuple[tuple[str, str, date], ...] = ()
    changed: tuple[tuple[str, str, date], ...] = ()
    removed: tuple[str, ...] = ()
    # The same in words, from when to when ("Hamburg Marathon [A]: 2027-04-25 -> 2027-05-02"),
    # for `sync --once` and `status`; `plain` without titles, for the log.
    said: tuple[str, ...] = ()
    plain: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.new or self.changed or self.removed)


@dataclass(frozen=True)
class SourceMemory:
    """What the store keeps of a race or busy source between passes (the empty-source guard,
    service.sync.guard)."""

    events: int
    races: int
    # When the source first read empty after holding something; None while it looks normal.
    empty_since: datetime | None = None
    # The athlete confirmed the empty reading seen since `empty_since`.
    accepted: bool = False


@dataclass(frozen=True)
class SyncState:
    """What the store knows of one athlete at the start of a pass."""

    athlete_id: str
    managed: Mapping[str, Managed] = field(default_factory=dict)
    # key -> fingerprint -> when racecal last wrote that version.
    versions: Mapping[str, Mapping[str, datetime]] = field(default_factory=dict)
    edits: Mapping[str, Edit] = field(default_factory=dict)
    races: Mapping[str, RaceRecord] = field(default_factory=dict)
    plan_digest: str | None = None
    # role:locator -> what that source held at its last pass.
    sources: Mapping[str, SourceMemory] = field(default_factory=dict)


@dataclass(frozen=True)
class Stored:
    """An athlete racecal syncs, as the store holds it (service.store.athletes)."""

    id: str
    settings: dict[str, Any]
    origin: str
    # The folder the settings' relative paths are read from.
    base_dir: str
    version: int
    created_at: datetime
    updated_at: datetime | None


# The two kinds of calendar a cursor is kept for (service.store.cursors).
SOURCE = "source"
TRAINING = "training"


@dataclass(frozen=True)
class Held:
    """One calendar as the last look that found something left it."""

    cursor: str | None
    # What it held (service.store.payload.held_body) and the digest of all of it.
    body: str
    digest: str
    updated_at: datetime


# The key and the report: each problem as (line, plain form) (service.notices).
Report = tuple[tuple[str, str], ...]
Quiet = tuple[str, Report]
