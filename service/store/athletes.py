"""The athletes racecal syncs, as the store holds them: each one's settings (its [[athletes]]
table as JSON, validated before it gets here by service.athletes), where they came from and a
version that every change bumps.

The version is what a node compares to see that anything changed (one small query a tick),
and the fence of an update made from what was read: `put(..., expect=N)` changes nothing when
someone else changed the athlete since, and says so. Every change also makes the athlete due
for the cluster's channel keeper (channels_due_at), which looks at no one else.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from service.store.database import Store
from service.store.models import Athlete
from service.store.records import Stored

ORIGINS = ("config", "cli")


class Changed(RuntimeError):
    """The athlete changed (or went) since it was read; str() is one line naming it."""


def changes(store: Store) -> tuple[int, int]:
    """The rows and the sum of their versions: every change of an athlete bumps a version and
    none is ever lowered, so a tick that finds both as they were has nothing to read."""
    with store.session() as s:
        found = s.execute(
            select(func.count(), func.coalesce(func.sum(Athlete.version), 0)).select_from(Athlete)
        ).one()
        return int(found[0]), int(found[1])


def versions(store: Store) -> dict[str, int]:
    """Every athlete racecal syncs, by id, with its version: what a tick compares."""
    with store.session() as s:
        rows = s.execute(
            select(Athlete.id, Athlete.version).where(
                Athlete.settings.is_not(None), Athlete.removed_at.is_(None)
            )
        )
        return {str(row[0]): int(row[1]) for row in rows}


def stored(store: Store, ids: list[str] | None = None) -> list[Stored]:
    """The athletes racecal syncs (those of `ids` only, when given), oldest first."""
    query = (
        select(Athlete)
        .where(Athlete.settings.is_not(None), Athlete.removed_at.is_(None))
        .order_by(Athlete.created_at, Athlete.id)
    )
    if ids is not None:
        query = query.where(Athlete.id.in_(ids))
    with store.session() as s:
        return [of_row(row) for row in s.scalars(query)]


def settings_of(store: Store, ids: list[str]) -> list[Stored]:
    """These athletes' last settings, removed ones too (what stops a removed athlete's push
    channels at its calendar server)."""
    query = select(Athlete).where(Athlete.settings.is_not(None), Athlete.id.in_(ids))
    with store.session() as s:
        return [of_row(row) for row in s.scalars(query)]


def one(store: Store, athlete_id: str) -> Stored | None:
    found = stored(store, [athlete_id])
    return found[0] if found else None


def of_row(row: Athlete) -> Stored:
    return Stored(
        row.id,
        json.loads(row.settings or "{}"),
        row.origin or "config",
        row.base_dir or "",
        row.version,
        row.created_at,
        row.updated_at,
    )


def put(
    store: Store,
    athlete_id: str,
    settings: dict[str, Any],
    origin: str,
    base_dir: str,
    now: datetime,
    expect: int | None = None,
) -> int:
    """Store the athlete's settings (a removed one comes back); the new version. With
    `expect`, only when the athlete is still at that version (else Changed). Settings equal
    to the stored ones (same origin and folder) change nothing, not even the version."""
    body = json.dumps(settings, sort_keys=True)
    try:
        return _put(store, athlete_id, body, origin, base_dir, now, expect)
    except IntegrityError:
        # Another process made the row between this one's look and its insert (two services
        # starting at once on one database): the row is there now, so this is an update.
        return _put(store, athlete_id, body, origin, base_dir, now, expect)


def _put(
    store: Store,
    athlete_id: str,
    body: str,
    origin: str,
    base_dir: str,
    now: datetime,
    expect: int | None,
) -> int:
    with store.session() as s, s.begin():
        row = s.get(Athlete, athlete_id)
        if row is None:
            if expect is not None:
                raise Changed(f"athlete '{athlete_id}' was removed meanwhile")
            s.add(
                Athlete(
                    id=athlete_id,
                    created_at=now,
                    settings=body,
                    origin=origin,
                    base_dir=base_dir,
                    version=1,
                    updated_at=now,
                    channels_due_at=now,
                )
            )
            return 1
        same = (row.settings, row.origin, row.base_dir) == (body, origin, base_dir)
        if same and row.removed_at is None:
            return row.version
        version = row.version
        if expect is not None and expect != version:
            raise Changed(f"athlete '{athlete_id}' was changed meanwhile; read it and try again")
        done = s.execute(
            update(Athlete)
            .where(Athlete.id == athlete_id, Athlete.version == version)
            .values(
                settings=body,
                origin=origin,
                base_dir=base_dir,
                version=version + 1,
                updated_at=now,
                removed_at=None,
                channels_due_at=now,
            )
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Changed(f"athlete '{athlete_id}' was changed meanwhile; read it and try again")
        return version + 1


def remove(store: Store, athlete_id: str, now: datetime) -> bool:
    """No more passes for the athlete; what the store holds of it (sessions written, edits,
    pass history) is kept, so adding it again goes on where it left off. False when racecal
    did not sync it."""
    with store.session() as s, s.begin():
        done = s.execute(
            update(Athlete)
            .where(
                Athlete.id == athlete_id,
                Athlete.settings.is_not(None),
                Athlete.removed_at.is_(None),
            )
            .values(
                removed_at=now,
                updated_at=now,
                version=Athlete.version + 1,
                channels_due_at=now,
            )
        )
        return bool(done.rowcount == 1)  # type: ignore[attr-defined]
