"""One sync pass for one athlete: read everything -> decide once -> act.

Read: the race and busy sources, the training calendar (one change query when nothing
changed, from the cursors the store keeps after a restart), and the store's `SyncState`. When
the last pass found nothing to write and nothing it depended on moved since (its key,
service.sync.quiet, is the one the store keeps), the pass ends there: nothing is parsed,
planned or decided, in this process or a new one. Decide (`plan_pass`, pure): whose each session is
(`decide.judge`), the race history, the plan around the athlete's sessions, and the actions
(`decide.decide`). Act: the one executor (`execute.apply`) records intents, writes, records
outcomes. Nothing is written anywhere before the decision, and a dry run stops there: it
returns the actions and writes nothing (no store rows, no race records, no calendar writes).

Crash safety: a pass killed at any point leaves pending rows whose versions are known; the
next pass judges what the calendar holds against them, so nothing is duplicated and no
athlete edit is lost.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from connectors.base import (
    AuthError,
    CalendarConnector,
    CalendarError,
    FileTrouble,
    IcsError,
    NotFound,
    RemoteEvent,
    SessionEvent,
    SourceError,
    managed_id,
)
from connectors.memory import MemoryCalendar
from scheduler.model import PlacedSession, PlanError
from scheduler.plan import zone
from service.calendars import AthleteCalendars
from service.config.load import AthleteConfig
from service.notices import UNSAID, Notice, as_is, lines, of_warning
from service.planning import Sources, window
from service.store import cursors, feeds, locks, state
from service.store.database import Store, refused_write
from service.store.payload import plan_body, to_payload
from service.store.records import SyncState
from service.sync import guard, quiet
from service.sync.decide import (
    WRITES,
    Action,
    Create,
    KeepPlan,
    RecordRaces,
    RecordSources,
    Update,
    decide,
    judge,
)
from service.sync.execute import ChangedMeanwhile, PassFailed, Tally, apply
from service.sync.fingerprint import WORKOUT_LINK
from service.sync.planned import plan_around
from service.sync.result import PassResult

__all__ = ["ChangedMeanwhile", "PassFailed", "PassResult", "plan_around", "plan_pass", "run_pass"]

log = logging.getLogger("racecal.sync")


@dataclass(frozen=True)
class Decision:
    """A pass's decision: the actions, and the placed sessions' JSON for the rows written."""

    actions: list[Action]
    payloads: Mapping[str, str] = field(default_factory=dict)


ATTEMPTS = 3  # re-read and re-decide this many times when the calendar changes under a pass
# How long a pass waits for another racecal's pass of the same athlete (a `sync --once`
# beside the service) to end; a pass takes seconds.
LOCK_WAIT = 30.0


def run_pass(
    store: Store,
    entry: AthleteConfig,
    now: datetime,
    calendars: AthleteCalendars | CalendarConnector | None = None,
    dry_run: bool = False,
    lock_wait: float = LOCK_WAIT,
) -> PassResult:
    """One pass. Give the same `calendars` to every pass of an athlete (the daemon does) and a
    pass where nothing changed costs one change query per calendar; a bare connector is taken
    as the athlete's training calendar. `dry_run`: decide, return the actions, write nothing.

    A pass that writes holds the athlete's lock (service.store.locks), waiting up to
    `lock_wait` seconds for another process's pass; when that one is still under way, this
    pass does nothing and says so (error_kind "held")."""
    if dry_run:
        return _run_pass(store, entry, now, calendars, dry_run)
    try:
        with locks.athlete(store.engine, entry.athlete.id, lock_wait):
            return _run_pass(store, entry, now, calendars, dry_run)
    except locks.Held as exc:
        return PassResult(entry.athlete.id, error=str(exc), error_kind="held")


def _run_pass(
    store: Store,
    entry: AthleteConfig,
    now: datetime,
    calendars: AthleteCalendars | CalendarConnector | None,
    dry_run: bool,
) -> PassResult:
    athlete_id = entry.athlete.id
    if dry_run and calendars is None:
        calendars = _looking(entry, store)
    elif not isinstance(calendars, AthleteCalendars):
        calendars = AthleteCalendars(entry, calendars, store, keep=not dry_run)
    # The run is recorded before anything is decided (a pass killed from there shows as begun);
    # a quiet one, or one that failed while looking, in one transaction at its end.
    run_id: int | None = None
    tally = Tally()
    notices: tuple[Notice, ...] = ()
    actions: tuple[Action, ...] = ()
    error: str | None = None
    kind: str | None = None
    needs_reauth = False
    skipped = False
    # A dry run writes nothing, not even what the calendars held.
    keep = calendars.kept.keep
    calendars.kept.keep = keep and not dry_run
    try:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                looked = _look(store, entry, now, calendars, dry_run)
                if looked.report is not None:
                    notices, skipped = looked.report, True
                    error = kind = None
                    break
                if run_id is None and not dry_run:
                    run_id = state.begin_run(store, athlete_id, now)
                notices, actions = _sync(store, entry, now, calendars, tally, dry_run, looked)
                error = kind = None
                break
            except ChangedMeanwhile as exc:
                # Never overwrite the athlete's change: read again and decide again.
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
            except OverflowError as exc:
                # A date the planner cannot count from (a race or a --now near year 9999).
                error, kind = f"a date is beyond the planning range ({exc})", "plan"
                calendars.forget()
                break
            except Exception as exc:
                refused = _store_refused(store, exc)
                if refused is not None:
                    # A full or read-only disk under the store: bad input, not a defect.
                    error, kind = refused, "file"
                    calendars.forget()
                    break
                # A defect: the run is closed as crashed before the traceback goes up, so
                # status never shows a pass that ended as "running or killed".
                crash = f"crashed ({type(exc).__name__}); see the service log"
                ended = datetime.now(now.tzinfo)
                if run_id is not None:
                    counts = (tally.created, tally.updated, tally.deleted)
                    state.finish_run(store, run_id, ended, counts, crash, False)
                elif not dry_run:
                    state.record_run(store, athlete_id, now, ended, crash, False)
                raise
    finally:
        calendars.kept.keep = keep
    counts = (tally.created, tally.updated, tally.deleted)
    finished = datetime.now(now.tzinfo)
    try:
        if kind in ("calendar", "conflict", "file") and not dry_run:
            # Writes may have gone through unseen: the next pass decides again, whatever its key.
            cursors.unsettle(store, athlete_id)
        if run_id is not None:
            state.finish_run(store, run_id, finished, counts, error, needs_reauth)
        elif not dry_run:
            state.record_run(store, athlete_id, now, finished, error, needs_reauth, quiet=skipped)
    except Exception as exc:
        refused = _store_refused(store, exc)
        if refused is None:
            raise
        # The pass's own outcome cannot be kept; it is still told, with why it is not kept.
        error = f"{error}; {refused}" if error and error != refused else refused
        kind = "file"
    return PassResult(
        athlete_id,
        *counts,
        problems=lines(notices),
        notices=notices,
        error=error,
        needs_reauth=needs_reauth,
        error_kind=kind,
        actions=actions,
        dry_run=dry_run,
        quiet=skipped,
    )


def _looking(entry: AthleteConfig, store: Store) -> AthleteCalendars:
    """A dry run's calendars: they only look (no training calendar is made); one that does
    not exist yet is taken as an empty one, into which the pass would write everything."""
    calendars = AthleteCalendars(entry, store=store, create=False, keep=False)
    try:
        calendars.training()
    except (SourceError, NotFound):
        calendars.close()
        return AthleteCalendars(entry, MemoryCalendar(), store, create=False, keep=False)
    return calendars


def _store_refused(store: Store, exc: Exception) -> str | None:
    """One line when the store's disk refused a write (full, read-only, gone)."""
    said = refused_write(exc)
    if said is None:
        return None
    url = store.engine.url
    where = url.database if url.get_backend_name() == "sqlite" else None
    return f"{where or url.render_as_string(hide_password=True)}: cannot write the store: {said}"


def _kind(exc: Exception) -> str:
    if isinstance(exc, FileTrouble):
        return "file"
    if isinstance(exc, CalendarError):
        return "calendar"
    if isinstance(exc, PlanError):
        return "plan"
    # A broken race file (PassFailed), an unreadable file or URL, a missing CalDAV calendar.
    return "source"


@dataclass(frozen=True)
class _Looked:
    """What a pass's first look found: the last quiet pass's key and report, whether the
    training calendar was looked at already (and re-created), and, when nothing had moved,
    the report to give again."""

    settled: tuple[str, tuple[Notice, ...]] | None
    reset: bool | None
    report: tuple[Notice, ...] | None = None


def _look(
    store: Store, entry: AthleteConfig, now: datetime, calendars: AthleteCalendars, dry_run: bool
) -> _Looked:
    """Every race and busy calendar's change query (sources before the training calendar: a
    broken race file ends the pass before anything is decided). When the last pass found
    nothing to write and nothing it depended on moved since (what each calendar holds, the
    day, the config, the code), neither is there anything to do now: nothing is parsed,
    planned or decided."""
    athlete_id = entry.athlete.id
    first = not calendars.kept.loaded
    calendars.look()
    stored = None if dry_run else calendars.kept.quiet(store, first)
    if stored is None:
        return _Looked(None, None)
    settled = stored[0], tuple(Notice(line, plain or UNSAID) for line, plain in stored[1])
    reset = calendars.look_training()
    inputs = calendars.inputs()
    today = now.astimezone(zone(entry.athlete.timezone)).date()
    if not reset and inputs is not None and quiet.key(today, entry, inputs) == settled[0]:
        log.debug("athlete %s: nothing changed since the last quiet pass", athlete_id)
        return _Looked(settled, reset, settled[1])
    return _Looked(settled, reset)


def _sync(
    store: Store,
    entry: AthleteConfig,
    now: datetime,
    calendars: AthleteCalendars,
    tally: Tally,
    dry_run: bool,
    looked: _Looked,
) -> tuple[tuple[Notice, ...], tuple[Action, ...]]:
    """The pass after its first look (`_look`): its problems and its actions."""
    athlete_id = entry.athlete.id
    tz = zone(entry.athlete.timezone)
    today = now.astimezone(tz).date()
    settled, reset = looked.settled, looked.reset
    sources = calendars.derive(tz, *window(today, entry.plan_weeks, tz))
    if sources.broken_races:
        raise PassFailed(f"{sources.broken_races[0]}; the last plan is kept until it is fixed")
    calendar = calendars.training()
    if reset is None:
        reset = calendars.look_training()
    remote = calendars.mirror()
    inputs = calendars.inputs()
    snapshot = state.load(store, athlete_id)
    # Decide. A source that suddenly reads empty holds the pass: the plan is kept as it is.
    verdict = guard.judge(sources.readings, snapshot.sources, now)
    if verdict.hold:
        held = tuple(line.replace("ATHLETE", athlete_id) for line in verdict.held)
        hold: list[Action] = [RecordSources(verdict.state, held)]
        if not dry_run:
            apply(store, athlete_id, calendar, hold, now, tally)
            if settled is not None:
                cursors.unsettle(store, athlete_id)
        return tuple(as_is(line) for line in held) + sources.notices, tuple(hold)
    links = workout_links(store, entry, now, dry_run)
    decision, warnings = plan_pass(entry, snapshot, sources, remote, reset, now, links)
    if verdict.state != snapshot.sources:
        decision.actions.append(RecordSources(verdict.state))
    problems = sources.notices + warnings
    if dry_run:
        return problems, tuple(decision.actions)
    # Act.
    apply(store, athlete_id, calendar, decision.actions, now, tally, decision.payloads)
    if any(isinstance(a, WRITES) for a in decision.actions) or reset or inputs is None:
        # Our writes come back as changes: the next pass looks again.
        if settled is not None:
            cursors.unsettle(store, athlete_id)
    else:
        key = quiet.key(today, entry, inputs)
        if settled != (key, problems):
            report = tuple((n.line, n.plain) for n in problems)
            cursors.settle(store, athlete_id, key, report, now)
    return problems, tuple(decision.actions)


def plan_pass(
    entry: AthleteConfig,
    snapshot: SyncState,
    sources: Sources,
    remote: Mapping[str, RemoteEvent],
    reset: bool,
    now: datetime,
    links: str | None = None,
) -> tuple[Decision, tuple[Notice, ...]]:
    """The whole decision of a pass, pure: whose each session is, the race history, the plan
    around the athlete's sessions, the actions. Also the plan's warnings (service.notices).
    `links`: the address each session's workout file is served below (see workout_links)."""
    tz = zone(entry.athlete.timezone)
    seen = judge(snapshot, remote, now, tz, reset)
    plan, news = plan_around(entry, snapshot, seen, sources, now)
    placed = {p.key: p for p in plan.sessions}
    desired = {k: session_event(entry.athlete.id, p, tz, links) for k, p in placed.items()}
    actions = decide(desired, seen, now)
    if news:
        actions.insert(len(seen.bookkeeping), RecordRaces(news))
    body = plan_body(plan)
    digest = hashlib.sha256(body.encode()).hexdigest()
    if digest != snapshot.plan_digest:
        actions.append(KeepPlan(digest, body))
    payloads = {
        a.key: to_payload(placed[a.key])
        for a in actions
        if isinstance(a, Create | Update) and a.key in placed
    }
    return Decision(actions, payloads), tuple(of_warning(w) for w in plan.warnings)


def workout_links(store: Store, entry: AthleteConfig, now: datetime, dry_run: bool) -> str | None:
    """The address below which the endpoint serves the athlete's workout files, for the links
    in the events: None unless [service] public_url is set. The feed's token is made on first
    use, except by a dry run (which writes nothing: it links only with a token made before)."""
    if entry.public_url is None:
        return None
    athlete_id = entry.athlete.id
    token = feeds.existing(store, athlete_id) if dry_run else feeds.token(store, athlete_id, now)
    if token is None:
        return None
    return entry.public_url + feeds.workouts_path(athlete_id, token)


def session_event(
    athlete_id: str, session: PlacedSession, tz: ZoneInfo, links: str | None = None
) -> SessionEvent:
    """The event of a session, on the athlete's clock: a session carried over from the store
    (history, a pin) comes back with a bare UTC offset, which an .ics file or a CalDAV server
    can only write as a TZID no VTIMEZONE defines (a floating time to every reader). With
    `links`, a session with a workout (a run's steps, a strength session's exercises) ends
    with the address of its FIT file."""
    description = session.description
    if links is not None and (session.steps or session.exercises):
        description += f"\n\n{WORKOUT_LINK}{links}{feeds.workout_name(session.key)}"
    return SessionEvent(
        managed_id(athlete_id, session.key),
        session.key,
        session.title,
        description,
        session.start.astimezone(tz),
        session.end.astimezone(tz),
    )
