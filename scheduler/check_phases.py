"""The block checks (P2, P5, P9, P10) and S1's strength floor: taper length and depth, race
weeks, the days after a marathon, two strength sessions a week. Each re-derives its rule from
the placed plan and the request (scheduler.check)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from scheduler.check_read import (
    a_races,
    by_day,
    day_of,
    is_full,
    km_by_week,
    planned_km,
    race_days,
    when,
    whole,
)
from scheduler.model import (
    DistanceClass,
    Phase,
    PlacedSession,
    Plan,
    PlanRequest,
    Priority,
    Race,
    WeekPlan,
)

# P10: the least a taper week steps down from the week before it (Pfitzinger's first taper
# week runs 20-25% under the peak; a step under 10% is no taper).
P10_STEP = 0.10
TAPER_DAYS: dict[DistanceClass, tuple[int, int]] = {
    DistanceClass.SHORT: (7, 10),
    DistanceClass.HALF: (10, 14),
    DistanceClass.MARATHON: (14, 21),
    DistanceClass.ULTRA: (14, 21),
}


def _taper_weeks(plan: Plan, race: Race) -> list[WeekPlan]:
    return [w for w in plan.weeks if w.anchor == race.uid and w.run_taper]


def check_P2(plan: Plan, req: PlanRequest) -> list[str]:
    """The running taper starts between P2's days for the distance before the race."""
    out = []
    for race in a_races(plan):
        low, high = TAPER_DAYS[race.distance_class]
        first = next((w for w in _taper_weeks(plan, race) if w.run_taper == 1), None)
        if first is None:
            continue
        if first.start > race.date - timedelta(days=low) or first.start + timedelta(
            days=6
        ) < race.date - timedelta(days=high):
            out.append(
                f"P2: {race.uid}'s taper starts in the {when(first.start)}, not {low}-{high} "
                f"days before {race.date.isoformat()}"
            )
    return out


def check_P10(plan: Plan, req: PlanRequest) -> list[str]:
    """Taper volume steps down every taper week, each at least P10_STEP under the level the
    week before was planned at, from the last full week before the taper on (a week that lost
    a run to busy time is no lower step, as in R5)."""
    km, meant = km_by_week(plan), planned_km(plan, req)
    out = []
    for race in a_races(plan):
        tapers = [w for w in _taper_weeks(plan, race) if whole(plan, w)]
        if not tapers:
            continue
        before = [
            w
            for w in plan.weeks
            if whole(plan, w) and w.start < tapers[0].start and is_full(w, plan.races)
        ]
        series = ([before[-1]] if before else []) + tapers
        for a, b in itertools.pairwise(series):
            if km[b.start] > (1 - P10_STEP) * meant[a.start]:
                out.append(
                    f"P10: {when(b.start)} runs {km[b.start]:.1f} km, not {P10_STEP:.0%} "
                    f"under the {meant[a.start]:.1f} km planned the week before "
                    f"({race.uid}'s taper)"
                )
    return out


def check_P5(plan: Plan, req: PlanRequest) -> list[str]:
    """Race weeks: only easy running the day before an A or B race; no key run in a B race's
    mini-taper nor in its easy days after; no heavy legs 2 days before a C race; no running
    for 3 days and no strength for 3 days after a marathon or longer."""
    days = by_day(plan)
    raced = race_days(plan)
    out = []

    def ours(day: date) -> list[PlacedSession]:
        if day < plan.today:
            return []
        return [s for s in days.get(day, []) if s.origin == "planned"]

    for r in plan.races:
        cls = r.distance_class
        if r.priority is not Priority.C:
            for s in ours(r.date - timedelta(days=1)):
                if s.kind == "run" and (s.key_run or (s.distance_km or 0.0) > 5.0):
                    out.append(f"P5: {s.key} the day before {r.uid} is not a short easy run")
        if r.priority is Priority.B:
            mini = 3 if cls is DistanceClass.SHORT else 4
            after = {DistanceClass.SHORT: 3, DistanceClass.HALF: 4}.get(cls, 5)
            for n in [*range(-mini, 0), *range(1, after + 1)]:
                day = r.date + timedelta(days=n)
                if day in raced:
                    continue
                for s in ours(day):
                    if s.key_run:
                        out.append(f"P5: key run {s.key} {n:+d} days from B race {r.uid}")
                    if n < 0 and s.heavy_lower:
                        out.append(f"P5: heavy {s.key} {-n} days before B race {r.uid}")
        if r.priority is Priority.C:
            for n in (1, 2):
                for s in ours(r.date - timedelta(days=n)):
                    if s.heavy_lower:
                        out.append(f"P5: heavy {s.key} {n} days before C race {r.uid}")
        if cls in (DistanceClass.MARATHON, DistanceClass.ULTRA):
            for n in (1, 2, 3):
                for s in ours(r.date + timedelta(days=n)):
                    out.append(f"P5/P9: {s.key} {n} days after {r.uid}")
    return out


def check_P9(plan: Plan, req: PlanRequest) -> list[str]:
    """No strength in the 3 days after a marathon or the 5 after an ultra, whatever the race's
    priority (the legs are repairing)."""
    tz = ZoneInfo(plan.timezone)
    out = []
    for r in req.races:
        rest = 5 if r.distance_km > 43 else 3 if r.distance_km >= 42 else 0
        for s in plan.sessions:
            if s.kind != "strength" or s.origin != "planned":
                continue
            gap = (day_of(s, tz) - r.date).days
            if 0 < gap <= rest:
                out.append(f"P9: strength {s.key} {gap} days after {r.distance_km} km race {r.uid}")
    return out


# -- strength (S) ---------------------------------------------------------------------------


def check_S1(plan: Plan, req: PlanRequest) -> list[str]:
    """Two strength sessions a week outside taper and recovery (or the athlete's max), or a
    warning that says why not. Soft: the placer may give one up (L10)."""
    floor = min(2, req.athlete.max_strength_per_week)
    count: dict[date, int] = {}
    for s in plan.sessions:
        if s.kind == "strength":
            count[s.week] = count.get(s.week, 0) + 1
    warned = {
        w.week
        for w in plan.warnings
        if w.week and (w.rule == "S1" or "strength" in w.message.lower())
    }
    return [
        f"S1: {when(w.start)} holds {count.get(w.start, 0)} strength sessions, floor {floor}"
        for w in plan.weeks
        if whole(plan, w)
        and w.phase not in (Phase.TAPER, Phase.RECOVERY)
        and not w.run_taper
        and count.get(w.start, 0) < floor
        and w.start not in warned
    ]
