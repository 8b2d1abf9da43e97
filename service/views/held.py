"""The plan as the calendar holds it, for `plan show`, `plan explain` and the plan page.

It is planned from the sources the way a pass plans, around the athlete's sessions the store
recorded (moved, retitled, edited: at their times, under their titles; deleted: listed apart),
with the store's race history and last placement. When a source cannot be read, it is the
store's last good plan instead, saying why and from when: a broken feed never blanks the view,
and a source the empty-source guard holds shows the plan the calendar still holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from connectors.base import CalendarError, IcsError, SourceError
from scheduler.explain import plan_to_json
from scheduler.model import (
    ExternalRun,
    PlacedSession,
    Plan,
    PlanError,
    PlanRequest,
    Priority,
    Race,
)
from scheduler.plan import MAX_WEEKS, build_plan, zone
from service.calendars import AthleteCalendars
from service.config.load import AthleteConfig
from service.planning import window
from service.store.glance import Reader
from service.store.payload import fitness_to_json, from_payload, plan_from_body
from service.store.records import Edit, SyncState
from service.sync import guard
from service.sync.decide import Seen
from service.sync.planned import request_around

RULES = (
    "Your edits: any change you make to a racecal session in your calendar (its time, length, "
    "title, description, location, colour, reminders or status) makes it yours. racecal never "
    "writes to it again; the plan keeps it where it sits, counts it in that week, places the "
    "rest around it and warns when it breaks a hard rule. A session you delete is not made "
    "again. `racecal release KEY` hands a session back to racecal."
)


@dataclass(frozen=True)
class Deleted:
    key: str
    title: str
    start: datetime | None


@dataclass(frozen=True)
class HeldPlan:
    plan: Plan
    # One-line problems with the sources that did not stop planning.
    problems: tuple[str, ...] = ()
    # The athlete's sessions (pinned or deleted) by key.
    edits: Mapping[str, Edit] = field(default_factory=dict)
    deleted: tuple[Deleted, ...] = ()
    # Set when a source could not be read: why, and that this is the last good plan instead.
    stale: str | None = None
    made_at: datetime | None = None
    # What the plan answers (busy time, pins, deletions), for `plan check`; None for the last
    # good plan, whose sources could not be read.
    request: PlanRequest | None = None

    def label(self, key: str) -> str | None:
        """ "you moved this" and the like for the athlete's sessions; None for racecal's."""
        edit = self.edits.get(key)
        return edit_label(edit) if edit is not None else None


def edit_label(edit: Edit) -> str:
    if edit.kind == "deleted":
        return "you deleted this"
    if "time" in edit.changes:
        return "you moved this"
    if edit.changes == ("title",):
        return "you renamed this"
    if edit.changes:
        return f"you changed its {', '.join(edit.changes)}"
    return "you changed this"


def held_json(held: HeldPlan) -> dict[str, object]:
    """`plan show --json`: the plan's JSON; each of the athlete's sessions also says `yours`
    (what they did) and `changes`; the deleted ones are listed apart, `paces` says what the
    paces come from (R7), and `stale` says why the last good plan is shown."""
    data = plan_to_json(held.plan)
    sessions = data["sessions"]
    assert isinstance(sessions, list)
    for item in sessions:
        edit = held.edits.get(str(item["key"]))
        if edit is not None:
            item["yours"] = edit_label(edit)
            item["changes"] = list(edit.changes)
    data["deleted"] = [
        {"key": d.key, "title": d.title, "start": d.start.isoformat() if d.start else None}
        for d in held.deleted
    ]
    # R7: what the paces come from, the fitness zones and the race results read.
    fitness = held.plan.fitness
    data["paces"] = fitness_to_json(fitness) if fitness is not None else None
    if held.plan.external_runs:
        # R6: the other app's runs the strength was placed around; never in the calendar.
        data["external_runs"] = [external_json(r) for r in held.plan.external_runs]
    data["stale"] = held.stale
    data["made_at"] = held.made_at.isoformat() if held.made_at else None
    return data


def external_json(run: ExternalRun) -> dict[str, object]:
    return {
        "title": run.title,
        "kind": run.kind or None,
        "key_run": run.key_run,
        "all_day": run.all_day,
        "start": run.start.isoformat(),
        "end": run.end.isoformat(),
        "from": "other app",
        "source": run.source,
    }


class NoPlan(Exception):
    """The sources cannot be read and no pass ever made a plan; str() says why in one line."""


def held_plan(
    entry: AthleteConfig,
    store: Reader | None,
    today: datetime | None = None,
    weeks: int | None = None,
    calendars: AthleteCalendars | None = None,
) -> HeldPlan:
    """The plan from `today` (a moment in the athlete's zone; None: now) as the calendar holds
    it, for `weeks`, or else for plan_weeks and on through the next A race's week. Raises
    NoPlan when no plan can be shown at all, PlanError for planning input."""
    tz = zone(entry.athlete.timezone)
    now = today or datetime.now(tz)
    day = now.astimezone(tz).date()
    athlete_id = entry.athlete.id
    snapshot = store.sync_state(athlete_id) if store is not None else SyncState(athlete_id)
    edits = {k: e for k, e in snapshot.edits.items() if e.kind != "released"}
    deleted = tuple(_deleted(snapshot, e) for e in edits.values() if e.kind == "deleted")
    shown = weeks or entry.plan_weeks
    own = calendars or AthleteCalendars(entry)
    try:
        try:
            own.look()
            sources = own.derive(tz, *window(day, shown, tz))
            if sources.broken_races:
                raise SourceError(sources.broken_races[0])
            # A source the empty-source guard holds: the calendar keeps the last good plan.
            verdict = guard.judge(sources.readings, snapshot.sources, now)
            if verdict.hold:
                raise SourceError(verdict.held[0].replace("ATHLETE", athlete_id))
        except (IcsError, SourceError, CalendarError, OSError) as exc:
            why = _why(exc)
            last = store.last_plan(athlete_id) if store is not None else None
            plan = plan_from_body(last[1]) if last is not None else None
            if last is None or plan is None:
                raise NoPlan(why) from None
            return HeldPlan(_as_held(plan, edits), (), edits, deleted, why, last[0])
        request, _ = request_around(entry, snapshot, Seen(edits=edits), sources, now, shown)
        through = weeks_through_a_race(request.races, day, shown) if weeks is None else shown
        if through > shown:
            # The busy time of the weeks up to the race as well (no new look: derived anew).
            sources = own.derive(tz, *window(day, through, tz))
            request, _ = request_around(entry, snapshot, Seen(edits=edits), sources, now, through)
    finally:
        if calendars is None:
            own.close()
    plan = build_plan(request)
    return HeldPlan(_as_held(plan, edits), sources.problems, edits, deleted, request=request)


def weeks_through_a_race(races: tuple[Race, ...], today: date, weeks: int) -> int:
    """`weeks`, or more when the next A race falls later: the plan a person looks at always
    reaches that race's week (up to the planner's limit), even before the calendar holds it
    (a pass writes `plan_weeks`)."""
    monday = today - timedelta(days=today.weekday())
    ahead = [r.date for r in races if r.priority is Priority.A and r.date >= today]
    if not ahead:
        return weeks
    needed = (min(ahead) - monday).days // 7 + 1
    return min(max(weeks, needed), MAX_WEEKS)


def _why(exc: Exception) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, CalendarError):
        return f"{exc.filename or 'a source'}: {exc.strerror or 'cannot be read'}"
    return str(exc)


def _as_held(plan: Plan, edits: Mapping[str, Edit]) -> Plan:
    """The athlete's sessions under their own titles."""

    def held(session: PlacedSession) -> PlacedSession:
        edit = edits.get(session.key)
        if edit is None or edit.kind != "pinned" or not edit.title:
            return session
        return replace(session, title=edit.title)

    return replace(plan, sessions=tuple(held(s) for s in plan.sessions))


def _deleted(snapshot: SyncState, edit: Edit) -> Deleted:
    row = snapshot.managed.get(edit.key)
    last = from_payload(row.payload) if row is not None else None
    title = edit.title or (last.title if last is not None else edit.key)
    return Deleted(edit.key, title, last.start if last is not None else None)


__all__ = [
    "RULES",
    "Deleted",
    "HeldPlan",
    "NoPlan",
    "PlanError",
    "edit_label",
    "held_json",
    "held_plan",
    "weeks_through_a_race",
]
