"""Readers of a plan's running block, as a coach reads it: km a week, the long run of each week,
which weeks are full. Each reads the plan's output (or the week specs before placement), so a
test built on them can fail whatever the planner believes about itself."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from scheduler.model import Athlete, Phase, PlacedSession, Plan, Race, WeekPlan
from scheduler.sessions import SessionSpec, SpecBuilder


def runs_of(plan: Plan) -> list[PlacedSession]:
    return [s for s in plan.sessions if s.kind == "run"]


def run_days(plan: Plan) -> dict[date, list[PlacedSession]]:
    tz = ZoneInfo(plan.timezone)
    out: dict[date, list[PlacedSession]] = defaultdict(list)
    for s in runs_of(plan):
        out[s.start.astimezone(tz).date()].append(s)
    return out


def km_by_week(plan: Plan) -> dict[date, float]:
    out = {w.start: 0.0 for w in plan.weeks}
    for s in runs_of(plan):
        out[s.week] = out.get(s.week, 0.0) + (s.distance_km or 0.0)
    return out


def long_by_week(plan: Plan) -> dict[date, float]:
    out: dict[date, float] = {}
    for s in runs_of(plan):
        if s.type == "long":
            out[s.week] = max(out.get(s.week, 0.0), s.distance_km or 0.0)
    return out


def week_runs(week: WeekPlan, athlete: Athlete, races: tuple[Race, ...]) -> list[SessionSpec]:
    """The runs a week asks for before placement (no busy time can drop one)."""
    specs = SpecBuilder(athlete, {r.uid: r for r in races}).week(week)
    return [s for s in specs if s.kind == "run"]


def spec_km(specs: list[SessionSpec]) -> float:
    return sum(s.distance_km or 0.0 for s in specs)


def is_full(week: WeekPlan, races: tuple[Race, ...] = ()) -> bool:
    """R10: a week the next may grow from: no deload, no race, no taper, no recovery, and no
    marathon or longer in the 3 days before it (P9's days without running reach into it)."""
    if week.deload or week.races or week.run_taper or week.phase is Phase.RECOVERY:
        return False
    return not any(
        week.start - timedelta(days=3) <= r.date < week.start and r.distance_km > 40.0
        for r in races
    )


def last_full_before(
    weeks: list[WeekPlan], index: int, races: tuple[Race, ...] = ()
) -> WeekPlan | None:
    return next((weeks[j] for j in range(index - 1, -1, -1) if is_full(weeks[j], races)), None)


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())
