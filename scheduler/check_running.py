"""The running checks (R4, R5, R7-R10): the long run the longest of its week and within its
distance's band, volume growth counted over the last full week, paces and steps that add up.
Each re-derives its rule from the placed plan and the request (scheduler.check)."""

from __future__ import annotations

import itertools
from datetime import date

from scheduler.check_read import (
    a_races,
    is_full,
    km_by_week,
    planned_km,
    when,
    whole,
)
from scheduler.model import (
    DistanceClass,
    Plan,
    PlanRequest,
    WeekPlan,
)

# R9: the peak long run's band (km low, km high) and its time cap (minutes) by distance.
LONG_BAND: dict[DistanceClass, tuple[float, float, int]] = {
    DistanceClass.SHORT: (14.0, 18.0, 90),
    DistanceClass.HALF: (18.0, 22.0, 150),
    DistanceClass.MARATHON: (30.0, 35.0, 180),
    DistanceClass.ULTRA: (35.0, 50.0, 300),
}
# R9 "when the athlete's volume allows": the declared km a week from which the band is owed.
BAND_FROM_KM: dict[DistanceClass, float] = {
    DistanceClass.SHORT: 35.0,
    DistanceClass.HALF: 30.0,
    DistanceClass.MARATHON: 45.0,
    DistanceClass.ULTRA: 45.0,
}
# R9 below BAND_FROM_KM: a half block still builds its long run to 16 km from 20 km a week
# (Higdon's novice half plans: a 10-mile long run for runners of about 13 miles a week).
LOW_FLOOR: dict[DistanceClass, tuple[float, float]] = {DistanceClass.HALF: (20.0, 16.0)}
# P2: the shortest full block (weeks, race week included) and the taper in days (low, high).
FULL_BLOCK: dict[DistanceClass, int] = {
    DistanceClass.SHORT: 10,
    DistanceClass.HALF: 12,
    DistanceClass.MARATHON: 16,
    DistanceClass.ULTRA: 18,
}
GROWTH = 1.10  # R5/R10: at most 10% over the last full week
KM_SLACK = 1.0  # km a week: runs are booked to the half kilometre


def check_R4(plan: Plan, req: PlanRequest) -> list[str]:
    """The long run is the longest run of its week."""
    longest: dict[date, float] = {}
    for s in plan.sessions:
        if s.kind == "run" and s.type != "long":
            longest[s.week] = max(longest.get(s.week, 0.0), s.distance_km or 0.0)
    return [
        f"R4: {s.key} ({s.distance_km} km) shorter than a {longest[s.week]} km run of its week"
        for s in plan.sessions
        if s.kind == "run" and s.type == "long" and (s.distance_km or 0.0) < longest.get(s.week, 0)
    ]


def check_R9(plan: Plan, req: PlanRequest) -> list[str]:
    """The peak long run stays within its distance's band (by km or by time), and reaches it
    when the block is full length, holds its peak weeks and the athlete's volume allows."""
    out = []
    athlete = req.athlete
    for race in a_races(plan):
        low, high, cap = LONG_BAND[race.distance_class]
        weeks = [w for w in plan.weeks if w.anchor == race.uid and w.rel is not None]
        longs = [
            s
            for s in plan.sessions
            if s.kind == "run"
            and s.type == "long"
            and s.anchor == race.uid
            and s.rel_week is not None
            and s.rel_week <= 0
        ]
        for s in longs:
            minutes = (s.end - s.start).total_seconds() / 60
            if (s.distance_km or 0.0) > high + 0.5 and minutes > cap + 5:
                out.append(f"R9: {s.key} {s.distance_km} km above the {high:g} km band")
        full = any(
            w.block_week and w.block_week - (w.rel or 0) >= FULL_BLOCK[race.distance_class]
            for w in weeks
        )
        peaks = {w.rel for w in weeks if w.rel is not None and -5 <= w.rel <= -3}
        allows = athlete.weekly_km >= BAND_FROM_KM[race.distance_class]
        floor = LOW_FLOOR.get(race.distance_class)
        if not allows and floor is not None and athlete.weekly_km >= floor[0]:
            allows, low = True, floor[1]  # a low-volume runner's half still builds
        if full and len(peaks) == 3 and allows and len(athlete.run_days) >= 4 and longs:
            peak = max(longs, key=lambda s: s.distance_km or 0.0)
            minutes = (peak.end - peak.start).total_seconds() / 60
            if (peak.distance_km or 0.0) < low - KM_SLACK / 2 and minutes < cap - 10:
                out.append(
                    f"R9: {race.uid}'s peak long run {peak.key} is {peak.distance_km} km, "
                    f"below the {low:g}-{high:g} km band"
                )
    return out


def check_R5(plan: Plan, req: PlanRequest) -> list[str]:
    """Weekly volume grows at most 10% over the last full week the plan holds (R10: a deload,
    race, taper or recovery week is no baseline), measured from the level that week was meant
    to run: a week that lost a run to busy time is no lower step to grow from."""
    km, meant = km_by_week(plan), planned_km(plan, req)
    out = []
    last: WeekPlan | None = None
    for week in plan.weeks:
        if not whole(plan, week):
            continue
        if last is not None and km[week.start] > GROWTH * meant[last.start] + KM_SLACK:
            base = meant[last.start]
            grew = km[week.start] / base - 1 if base else 1.0
            out.append(
                f"R5: {when(week.start)} runs {km[week.start]:.1f} km, +{grew:.0%} over the "
                f"last full week ({last.start.isoformat()}, planned at {base:.1f} km)"
            )
        if is_full(week, plan.races):
            last = week
    return out


def check_R10(plan: Plan, req: PlanRequest) -> list[str]:
    """After a drop (deload, race, recovery) the plan returns no higher than the last full
    week's planned level plus one step: the same measure as R5, read from the week after the
    drop."""
    km, meant = km_by_week(plan), planned_km(plan, req)
    weeks = [w for w in plan.weeks if whole(plan, w)]
    out = []
    for prev, week in itertools.pairwise(weeks):
        if is_full(prev, plan.races) or not is_full(week, plan.races):
            continue
        base = next(
            (w for w in reversed(weeks[: weeks.index(prev)]) if is_full(w, plan.races)), None
        )
        if base is not None and km[week.start] > GROWTH * meant[base.start] + KM_SLACK:
            out.append(
                f"R10: {when(week.start)} returns at {km[week.start]:.1f} km after a drop, "
                f"above {GROWTH:.2f} x {meant[base.start]:.1f} km planned for "
                f"{base.start.isoformat()}"
            )
    return out


def check_R7(plan: Plan, req: PlanRequest) -> list[str]:
    """Every run names its pace (min/km or min/mi) and an effort, step by step."""
    out = []
    for s in plan.sessions:
        if s.kind != "run" or s.origin != "planned":
            continue
        if not s.steps:
            out.append(f"R7: {s.key} has no steps and so no pace")
        elif "/km" not in s.description and "/mi" not in s.description:
            out.append(f"R7: {s.key}'s description names no pace")
        elif "RPE" not in s.description:
            out.append(f"R7: {s.key}'s description names no effort")
        elif any(st.pace[0] <= 0 for b in s.steps for st in b.steps):
            out.append(f"R7: {s.key} has a step without a pace")
    return out


def check_R8(plan: Plan, req: PlanRequest) -> list[str]:
    """A workout's steps sum to its booked distance and fit its booked slot (the slot is the
    steps' time rounded up to 5 minutes)."""
    out = []
    for s in plan.sessions:
        if s.kind != "run" or s.origin != "planned" or not s.steps:
            continue
        km = 0.0
        seconds = 0
        for b in s.steps:
            for st in b.steps:
                km += b.repeat * st.km
                seconds += b.repeat * st.seconds
        booked = (s.end - s.start).total_seconds()
        if abs(km - (s.distance_km or 0.0)) > 0.1:
            out.append(f"R8: {s.key} steps sum to {km:.2f} km, booked {s.distance_km} km")
        if not seconds <= booked < max(seconds + 300, 20 * 60 + 1):
            out.append(f"R8: {s.key} steps take {seconds // 60} min, booked {booked / 60:.0f} min")
    return out
