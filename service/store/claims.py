"""A locator a backend made, remembered by compare-and-set: the Google training calendar's id.

Two passes of one athlete can both make a calendar (one whose worker was paused or cut off
from the database while its job ran elsewhere, waking later): a plain write would let the
later one overwrite the id the other's sessions went into. `claim` writes only while the row
holds what the caller read, under a lock on the athlete's row, so one id stands and the
loser learns it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from service.store.database import Store
from service.store.models import Athlete, Calendar
from service.store.records import TRAINING


def claim(store: Store, athlete_id: str, role: str, locator: str, replacing: str | None) -> str:
    """Remember `locator` for the athlete's `role` when the role holds `replacing` (None:
    nothing remembered yet); the locator the role holds after, the caller's or another's."""
    with store.session() as s, s.begin():
        athlete = s.get(Athlete, athlete_id, with_for_update=True)
        if athlete is None:
            athlete = Athlete(id=athlete_id, created_at=datetime.now(UTC))
            s.add(athlete)
            s.flush()
        rows = s.scalars(
            select(Calendar)
            .where(Calendar.athlete_id == athlete_id, Calendar.role == role)
            .order_by(Calendar.id)
        ).all()
        held = rows[0].locator if rows else None
        if held != replacing:
            return str(held)
        row = rows[0] if rows else Calendar(athlete_id=athlete_id, role=role)
        row.locator, row.updated_at = locator, datetime.now(UTC)
        s.add(row)
        if role == TRAINING:  # a calendar to watch: the channel keeper looks at the athlete
            athlete.channels_due_at = row.updated_at
        return locator
