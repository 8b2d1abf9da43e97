"""The planning request of a pass, pure: the races with their history and the config's goal,
the athlete's sessions as the store holds them (pins, deletions, the last placement as the
stability hint), the busy time and the other app's runs. A pass plans this way and so do the
views (plan show, the page), from the edits the store recorded."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from scheduler.model import Interval, Plan, PlanRequest, Priority, Race
from scheduler.plan import build_plan, zone
from scheduler.races import resolve_priorities
from service.config.load import AthleteConfig
from service.planning import Sources
from service.store.payload import from_payload
from service.store.records import RaceNews, SyncState
from service.sync.decide import Seen
from service.sync.races import plannable, race_history, said


def plan_around(
    entry: AthleteConfig,
    snapshot: SyncState,
    seen: Seen,
    sources: Sources,
    now: datetime,
    weeks: int | None = None,
) -> tuple[Plan, RaceNews]:
    """The plan from the sources around the athlete's sessions (`seen.edits`), with the race
    history and the last placement the store holds; and what is new in the races. Pure: the
    views plan this way too, from the edits the store recorded."""
    request, news = request_around(entry, snapshot, seen, sources, now, weeks)
    return build_plan(request), news


def request_around(
    entry: AthleteConfig,
    snapshot: SyncState,
    seen: Seen,
    sources: Sources,
    now: datetime,
    weeks: int | None = None,
) -> tuple[PlanRequest, RaceNews]:
    """The planning request `plan_around` answers (`plan check` checks the plan against it)."""
    athlete = entry.athlete
    today = now.astimezone(zone(athlete.timezone)).date()
    plannable(sources.races)
    races, news = race_history(snapshot.races, sources.races, now)
    pins = seen.pinned()
    previous = []
    for row in snapshot.managed.values():
        last = from_payload(row.payload)
        if last is None:
            continue
        if row.key in pins:
            # History and the stability hint follow where the athlete put it.
            last = replace(last, start=pins[row.key][0], end=pins[row.key][1])
        previous.append(last)
    resolved = with_goal(resolve_priorities(races, today), entry.goal_s, today)
    news = said(news, snapshot.races, resolved)
    request = PlanRequest(
        athlete=athlete,
        races=resolved,
        today=today,
        weeks=weeks or entry.plan_weeks,
        busy=sources.busy,
        external_runs=sources.runs,
        previous=tuple(previous),
        pinned=tuple((k, Interval(*v)) for k, v in sorted(pins.items())),
        deleted=seen.deleted(),
        now=now,
        life=sources.life,
    )
    return request, news


def with_goal(races: tuple[Race, ...], goal_s: int | None, today: date) -> tuple[Race, ...]:
    """The config's goal on the next A race whose event names none (R7); its event's own goal
    wins."""
    ahead = [r for r in races if r.priority is Priority.A and r.date >= today]
    if goal_s is None or not ahead or ahead[0].goal_s:
        return races
    first = ahead[0]
    return tuple(replace(r, goal_s=goal_s) if r is first else r for r in races)
