"""What the plan checks (scheduler.check) read from a placed plan: sessions by day, km by week,
which weeks are full, the key starts L1 measures from. Read from the plan's output alone, so a
check built on them can fail whatever the planner believes about itself; the one exception is
`planned_km`, the level each week was meant to run (R5's baseline), read from the week's own
prescription before placement."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.model import (
    ExternalRun,
    Phase,
    PlacedSession,
    Plan,
    PlanRequest,
    Priority,
    Race,
    WeekPlan,
)
from scheduler.sessions import SpecBuilder


def day_of(s: PlacedSession, tz: ZoneInfo) -> date:
    return s.start.astimezone(tz).date()


def by_day(plan: Plan) -> dict[date, list[PlacedSession]]:
    tz = ZoneInfo(plan.timezone)
    out: dict[date, list[PlacedSession]] = {}
    for s in plan.sessions:
        out.setdefault(day_of(s, tz), []).append(s)
    return out


def external_by_day(req: PlanRequest) -> dict[date, list[ExternalRun]]:
    """The other app's runs (R6) by their local day; rest days are listed too."""
    tz = ZoneInfo(req.athlete.timezone)
    out: dict[date, list[ExternalRun]] = {}
    for run in req.external_runs:
        out.setdefault(run.start.astimezone(tz).date(), []).append(run)
    return out


def race_days(plan: Plan) -> set[date]:
    return {r.date for r in plan.races}


def key_starts(plan: Plan, req: PlanRequest) -> list[datetime]:
    """Start of every key run and race (a race counts from its local midnight)."""
    zone = ZoneInfo(plan.timezone)
    starts = [s.start for s in plan.sessions if s.key_run]
    starts += [datetime.combine(r.date, time(0, 0), tzinfo=zone) for r in req.races]
    starts += [e.start for e in req.external_runs if e.key_run]
    return starts


def whole(plan: Plan, week: WeekPlan) -> bool:
    """A week the plan holds from its Monday: the week holding `today` lacks its past days."""
    return week.start >= plan.today


def km_by_week(plan: Plan) -> dict[date, float]:
    out = {w.start: 0.0 for w in plan.weeks}
    for s in plan.sessions:
        if s.kind == "run":
            out[s.week] = out.get(s.week, 0.0) + (s.distance_km or 0.0)
    return out


def is_full(week: WeekPlan, races: tuple[Race, ...]) -> bool:
    """R10: a week the next may grow from: no deload, no race, no taper, no recovery, and no
    marathon or longer in the 3 days before it (P9's days without running reach into it)."""
    if week.deload or week.races or week.run_taper or week.phase is Phase.RECOVERY:
        return False
    return not any(
        week.start - timedelta(days=3) <= r.date < week.start and r.distance_km > 40.0
        for r in races
    )


def a_races(plan: Plan) -> list[Race]:
    return [r for r in plan.races if r.priority is Priority.A]


def when(d: date) -> str:
    return f"week of {d.isoformat()}"


def planned_km(plan: Plan, req: PlanRequest) -> dict[date, float]:
    """The km each week's prescription asks for before placement: what the plan meant for it.
    Growth (R5, R10) and the taper's fall (P10) are measured from this level, not from a week
    that lost a run to busy time or to a race's days; the week measured is the one it ran."""
    builder = SpecBuilder(req.athlete, {r.uid: r for r in req.races}, req.today)
    return {
        w.start: sum(s.distance_km or 0.0 for s in builder.week(w) if s.kind == "run")
        for w in plan.weeks
    }
