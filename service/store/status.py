"""What `racecal status` reads of the store: each athlete's last pass and the error of the
last one that finished, the races seen and their latest moves, the sessions racecal keeps,
the athlete's edits, re-auth and the sources the empty-source guard holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.store.database import Store
from service.store.models import (
    Athlete,
    LastPlan,
    RaceDateChange,
    RaceSeen,
    SessionWritten,
    SyncRun,
)
from service.store.records import Edit
from service.store.state import _edit, _edit_rows, _source_rows


@dataclass(frozen=True)
class Status:
    athlete: str
    last_started: datetime | None
    last_finished: datetime | None
    last_error_of_last: str | None
    last_error: str | None
    races_seen: int
    sessions_managed: int
    edits: tuple[Edit, ...]
    needs_reauth: bool
    plan_made_at: datetime | None
    # Sources held by the empty-source guard (role:locator) and since when.
    held_sources: tuple[tuple[str, datetime], ...] = ()
    # The latest moves of races still in the calendar: (title, from, to, noticed at).
    race_moves: tuple[tuple[str, date, date, datetime], ...] = ()
    # The last good plan's JSON (service.store.payload), for the paces it set (R7).
    plan_body: str | None = None


def status(store: Store, athlete_ids: list[str]) -> list[Status]:
    out: list[Status] = []
    with store.session() as s:
        for athlete_id in athlete_ids:
            athlete = s.get(Athlete, athlete_id)
            last = s.scalars(
                select(SyncRun)
                .where(SyncRun.athlete_id == athlete_id)
                .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
                .limit(1)
            ).first()
            # The last finished pass's error: a good pass clears it (a pass under way keeps
            # showing the one before).
            last_error = s.scalars(
                select(SyncRun.error)
                .where(SyncRun.athlete_id == athlete_id, SyncRun.finished_at.is_not(None))
                .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
                .limit(1)
            ).first()
            races = s.scalar(
                select(func.count())
                .select_from(RaceSeen)
                .where(RaceSeen.athlete_id == athlete_id, RaceSeen.removed_at.is_(None))
            )
            managed = s.scalar(
                select(func.count())
                .select_from(SessionWritten)
                .where(SessionWritten.athlete_id == athlete_id)
            )
            plan = s.get(LastPlan, athlete_id)
            out.append(
                Status(
                    athlete_id,
                    last.started_at if last else None,
                    last.finished_at if last else None,
                    last.error if last else None,
                    last_error,
                    int(races or 0),
                    int(managed or 0),
                    tuple(sorted(map(_edit, _edit_rows(s, athlete_id)), key=lambda e: e.key)),
                    bool(athlete and athlete.needs_reauth),
                    plan.made_at if plan is not None else None,
                    tuple(
                        (r.key, r.empty_since)
                        for r in sorted(_source_rows(s, athlete_id), key=lambda r: r.key)
                        if r.empty_since is not None and not r.accepted
                    ),
                    _race_moves(s, athlete_id),
                    plan.body if plan is not None else None,
                )
            )
    return out


MOVES_SHOWN = 3


def _race_moves(s: Session, athlete_id: str) -> tuple[tuple[str, date, date, datetime], ...]:
    """The newest moves first, from each race's dates in the order they were seen."""
    rows = s.execute(
        select(RaceSeen.id, RaceSeen.title, RaceDateChange.race_date, RaceDateChange.seen_at)
        .join(RaceDateChange, RaceDateChange.race_id == RaceSeen.id)
        .where(RaceSeen.athlete_id == athlete_id, RaceSeen.removed_at.is_(None))
        .order_by(RaceSeen.id, RaceDateChange.seen_at, RaceDateChange.id)
    ).all()
    moves: list[tuple[str, date, date, datetime]] = []
    for before, after in pairwise(rows):
        if before.id == after.id and before.race_date != after.race_date:
            moves.append((after.title, before.race_date, after.race_date, after.seen_at))
    moves.sort(key=lambda m: m[3], reverse=True)
    return tuple(moves[:MOVES_SHOWN])


def next_pass(last_started: datetime | None, interval_minutes: float) -> datetime | None:
    return last_started + timedelta(minutes=interval_minutes) if last_started else None
