"""One sync pass for one athlete: read races and busy time -> plan -> diff -> write -> record.

Crash safety: before each write the store records the intent (a `pending_*` row with the
deterministic event id); after it, the outcome. A pass killed between the two is reconciled at
the start of the next one against what the calendar really holds, so nothing is duplicated and
no athlete edit is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.base import (
    AuthError,
    CalendarConnector,
    CalendarError,
    Conflict,
    NotFound,
    RemoteEvent,
    SessionEvent,
    managed_id,
)
from connectors.icsfile import IcsError
from scheduler.model import Interval, PlacedSession, PlanError, PlanRequest, Race
from scheduler.plan import build_plan, zone
from scheduler.races import resolve_priorities
from service.calendars import AthleteCalendars, SourceError
from service.config.load import AthleteConfig
from service.planning import read_sources
from service.store.database import Store
from service.store.models import (
    Athlete,
    AthleteEdit,
    RaceDateChange,
    RaceSeen,
    SessionWritten,
    SyncRun,
)
from service.store.payload import from_payload, to_payload
from service.sync.decide import (
    Action,
    Create,
    Delete,
    Edits,
    Update,
    Written,
    action_key,
    content_hash,
    decide,
    detect_edits,
    perform,
    remote_hash,
)


@dataclass(frozen=True)
class PassResult:
    athlete: str
    created: int = 0
    updated: int = 0
    deleted: int = 0
    problems: tuple[str, ...] = ()
    error: str | None = None
    needs_reauth: bool = False
    # What kind of failure `error` is, for metrics and alerts: source (a race or busy calendar
    # cannot be read), plan, calendar (the training calendar refused or failed), auth (a person
    # must sign in again), conflict (the calendar kept changing under the pass).
    error_kind: str | None = None

    @property
    def writes(self) -> int:
        return self.created + self.updated + self.deleted


class PassFailed(Exception):
    """The pass stopped; nothing more was written and the store keeps the last good state."""


class ChangedMeanwhile(PassFailed):
    """An event changed in the calendar between our read and our write (etag mismatch)."""


ATTEMPTS = 3  # re-read and re-diff this many times when the calendar changes under a pass


def run_pass(
    store: Store,
    entry: AthleteConfig,
    now: datetime,
    calendars: AthleteCalendars | CalendarConnector | None = None,
) -> PassResult:
    """One pass. Give the same `calendars` to every pass of an athlete (the daemon does) and a
    pass where nothing changed costs one change query per calendar; a bare connector is taken
    as the athlete's training calendar."""
    athlete_id = entry.athlete.id
    if not isinstance(calendars, AthleteCalendars):
        calendars = AthleteCalendars(entry, calendars, store)
    with store.session() as s, s.begin():
        if s.get(Athlete, athlete_id) is None:
            s.add(Athlete(id=athlete_id, created_at=now))
        run = SyncRun(athlete_id=athlete_id, started_at=now)
        s.add(run)
        s.flush()
        run_id = run.id
    counts = {"created": 0, "updated": 0, "deleted": 0}
    problems: tuple[str, ...] = ()
    error: str | None = None
    kind: str | None = None
    needs_reauth = False
    for attempt in range(1, ATTEMPTS + 1):
        try:
            problems = _sync(store, entry, now, calendars, counts)
            error = kind = None
            break
        except ChangedMeanwhile as exc:
            # Never overwrite the athlete's change: read again and diff again.
            error = f"{exc} (after {attempt} attempt{'s' if attempt > 1 else ''})"
            kind = "conflict"
            calendars.forget()
        except AuthError as exc:
            error = f"{exc}; needs re-auth: fix the credentials, other athletes go on"
            kind = "auth"
            needs_reauth = True
            calendars.forget()
            break
        except (PassFailed, IcsError, PlanError, CalendarError, SourceError) as exc:
            error, kind = str(exc), _kind(exc)
            # What the calendar holds after a failed write is unknown: list it whole next time.
            calendars.forget()
            break
    with store.session() as s, s.begin():
        row = s.get(SyncRun, run_id)
        assert row is not None
        row.finished_at = datetime.now(now.tzinfo)
        row.created, row.updated, row.deleted = (
            counts[k] for k in ("created", "updated", "deleted")
        )
        row.error = error
        athlete_row = s.get(Athlete, athlete_id)
        assert athlete_row is not None
        if error is None or needs_reauth:
            athlete_row.needs_reauth = needs_reauth
    return PassResult(
        athlete_id,
        problems=problems,
        error=error,
        needs_reauth=needs_reauth,
        error_kind=kind,
        **counts,
    )


def _kind(exc: Exception) -> str:
    if isinstance(exc, CalendarError):
        return "calendar"
    if isinstance(exc, PlanError):
        return "plan"
    # A broken race file (PassFailed), an unreadable file or URL, a missing CalDAV calendar.
    return "source"


def _sync(
    store: Store,
    entry: AthleteConfig,
    now: datetime,
    calendars: AthleteCalendars,
    counts: dict[str, int],
) -> tuple[str, ...]:
    athlete = entry.athlete
    tz = zone(athlete.timezone)
    today = now.astimezone(tz).date()
    # Sources first: a broken race file ends the pass before anything is written.
    sources = read_sources(entry, today, entry.plan_weeks, calendars)
    if sources.broken_races:
        raise PassFailed(f"{sources.broken_races[0]}; the last plan is kept until it is fixed")
    busy = sources.busy
    calendar = calendars.training()
    remote, reset = calendars.remote()
    inputs = calendars.inputs()
    settled = (today, inputs)
    if inputs is not None and calendars.settled and calendars.settled[0] == settled:
        # Nothing the plan depends on changed since a pass that had nothing to write.
        return calendars.settled[1]

    with store.session() as s, s.begin():
        races = _record_races(s, athlete.id, list(sources.races), now)
        rows = _rows(s, athlete.id)
        if reset:
            # The whole calendar was deleted and made again: write every session anew rather
            # than read the empty calendar as the athlete deleting them one by one.
            for row in rows.values():
                s.delete(row)
            rows = {}
        _reconcile(s, rows, remote)
        written = {k: _as_written(r) for k, r in rows.items()}
        edits = detect_edits(written, remote, _load_edits(s, athlete.id))
        _save_edits(s, athlete.id, edits, now)
        previous = tuple(p for r in rows.values() if (p := from_payload(r.payload)) is not None)

    plan = build_plan(
        PlanRequest(
            athlete=athlete,
            races=resolve_priorities(races, today),
            today=today,
            weeks=entry.plan_weeks,
            busy=busy,
            previous=previous,
            pinned=tuple((k, Interval(*v)) for k, v in sorted(edits.pinned.items())),
            deleted=edits.deleted,
            now=now,
        )
    )
    placed = {p.key: p for p in plan.sessions}
    desired = {k: _event(athlete.id, p) for k, p in placed.items()}
    actions = decide(desired, written, remote, edits, now)
    problems = sources.problems + tuple(w.line() for w in plan.warnings)
    if actions:
        _record_intents(store, athlete.id, actions, placed, now)
        etags = _write(calendar, actions, counts)
        _record_outcomes(store, athlete.id, actions, etags)
        calendars.settled = None  # our writes come back as changes; the next pass looks
    elif inputs is not None:
        calendars.settled = (settled, problems)
    return problems


def _event(athlete_id: str, session: PlacedSession) -> SessionEvent:
    return SessionEvent(
        managed_id(athlete_id, session.key),
        session.key,
        session.title,
        session.description,
        session.start,
        session.end,
    )


def _as_written(row: SessionWritten) -> Written:
    return Written(row.key, row.remote_id, row.etag, row.content_hash, row.start, row.end)


def _reconcile(s: Session, rows: dict[str, SessionWritten], remote: dict[str, RemoteEvent]) -> None:
    """Settle writes a killed pass left pending: what the calendar holds is the truth."""
    for key, row in list(rows.items()):
        if row.state == "written":
            continue
        held = remote.get(row.remote_id)
        if held is None:
            if row.state in ("pending_create", "pending_delete"):
                s.delete(row)
                del rows[key]
                continue
            # pending_update of an event that is gone: the athlete deleted it.
            row.state = "written"
            continue
        if not isinstance(held.start, datetime) or not isinstance(held.end, datetime):
            continue
        row.etag, row.start, row.end = held.etag, held.start, held.end
        row.content_hash = remote_hash(held)
        row.state = "written"


def _rows(s: Session, athlete_id: str) -> dict[str, SessionWritten]:
    return {
        r.key: r
        for r in s.scalars(select(SessionWritten).where(SessionWritten.athlete_id == athlete_id))
    }


def _record_intents(
    store: Store,
    athlete_id: str,
    actions: list[Action],
    placed: dict[str, PlacedSession],
    now: datetime,
) -> None:
    """Before writing: every action as a pending row with its deterministic event id."""
    with store.session() as s, s.begin():
        rows = _rows(s, athlete_id)
        for action in actions:
            key = action_key(action)
            row = rows.get(key)
            if isinstance(action, Delete):
                assert row is not None
                row.state = "pending_delete"
            else:
                event = action.event
                if row is None:
                    row = SessionWritten(athlete_id=athlete_id, key=key, remote_id=event.id)
                    s.add(row)
                row.state = "pending_create" if isinstance(action, Create) else "pending_update"
                row.content_hash = content_hash(event)
                row.start, row.end = event.start, event.end
                row.payload = to_payload(placed[key])
            row.updated_at = now


def _write(
    calendar: CalendarConnector, actions: list[Action], counts: dict[str, int]
) -> dict[str, str | None]:
    etags: dict[str, str | None] = {}
    kinds = {Create: "created", Update: "updated", Delete: "deleted"}
    try:
        with calendar.batch():
            for action in actions:
                etags[action_key(action)] = perform(calendar, action)
                counts[kinds[type(action)]] += 1
    except (Conflict, NotFound) as exc:
        # Changed or deleted in the calendar since we read it: never overwrite, re-read.
        for name in counts:
            counts[name] = 0
        raise ChangedMeanwhile(f"an event changed in the calendar during the pass ({exc})") from exc
    return etags


def _record_outcomes(
    store: Store, athlete_id: str, actions: list[Action], etags: dict[str, str | None]
) -> None:
    with store.session() as s, s.begin():
        rows = _rows(s, athlete_id)
        for action in actions:
            row = rows[action_key(action)]
            if isinstance(action, Delete):
                s.delete(row)
            else:
                row.etag, row.state = etags[action_key(action)], "written"


def _record_races(s: Session, athlete_id: str, races: list[Race], now: datetime) -> list[Race]:
    """Remember when each race was first seen (P3 compresses against it) and every date it had;
    races no longer in the calendar are marked removed."""
    known = {r.uid: r for r in s.scalars(select(RaceSeen).where(RaceSeen.athlete_id == athlete_id))}
    out = []
    for race in races:
        row = known.pop(race.uid, None)
        if row is None:
            row = RaceSeen(
                athlete_id=athlete_id,
                uid=race.uid,
                title=race.title,
                race_date=race.date,
                first_seen=now,
                last_seen=now,
            )
            s.add(row)
            s.flush()
            s.add(RaceDateChange(race_id=row.id, race_date=race.date, seen_at=now))
        elif row.race_date != race.date:
            row.race_date = race.date
            s.add(RaceDateChange(race_id=row.id, race_date=race.date, seen_at=now))
        row.title, row.last_seen, row.removed_at = race.title, now, None
        first = row.first_seen.astimezone(now.tzinfo).date()
        since = min(race.planned_since, first) if race.planned_since else first
        out.append(replace(race, planned_since=since))
    for row in known.values():
        if row.removed_at is None:
            row.removed_at = now
    return out


def _load_edits(s: Session, athlete_id: str) -> Edits:
    rows = s.scalars(select(AthleteEdit).where(AthleteEdit.athlete_id == athlete_id)).all()
    pinned = {r.key: (r.start, r.end) for r in rows if r.kind == "pinned" and r.start and r.end}
    return Edits(pinned, frozenset(r.key for r in rows if r.kind == "deleted"))


def _save_edits(s: Session, athlete_id: str, edits: Edits, now: datetime) -> None:
    rows = {
        r.key: r for r in s.scalars(select(AthleteEdit).where(AthleteEdit.athlete_id == athlete_id))
    }
    for key in edits.deleted:
        row = rows.get(key) or AthleteEdit(athlete_id=athlete_id, key=key, seen_at=now)
        row.kind, row.start, row.end = "deleted", None, None
        s.add(row)
    for key, (start, end) in edits.pinned.items():
        row = rows.get(key) or AthleteEdit(athlete_id=athlete_id, key=key, seen_at=now)
        if (row.kind, row.start, row.end) != ("pinned", start, end):
            row.kind, row.start, row.end, row.seen_at = "pinned", start, end, now
        s.add(row)
