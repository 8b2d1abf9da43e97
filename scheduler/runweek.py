"""What a week's running holds before any run is built (R3, R9, P2, P5, L4, L7): which run
days the races leave open (scheduler.racedays), which slot a race takes, how many quality
sessions fit and on which days, the short runs tied to a race's neighbour days and the ultra's
back-to-back run, and the running phase of the week."""

from __future__ import annotations

from itertools import combinations
from typing import NamedTuple

from scheduler.model import Athlete, DistanceClass, Phase, Priority, WeekPlan
from scheduler.periodize import taper_days
from scheduler.racedays import FREE, NO_KEY, NO_RUN, RECOVERY, SHAKEOUT
from scheduler.volume import TAPER_QUALITY, WeekLoad, other_race, quality_cap

KEY_RUN_TYPES = frozenset({"long", "tempo", "intervals", "hills", "race_pace"})  # R2

# R3: quality sessions by phase (the taper's one is a short sharpener).
QUALITY = {
    Phase.OFFSEASON: 0,
    Phase.BASE: 1,
    Phase.STRENGTH: 1,
    Phase.RACE_SPECIFIC: 2,
    Phase.TAPER: 1,
    Phase.RECOVERY: 0,
}
# A race this long takes the long run's place in its week (P5): a half or more is a long run.
LONG_RACE_KM = 15.0
QUALITY_DAY_ORDER = (1, 5, 3, 2, 4, 0, 6)  # L7: Tue quality, Sat tempo, then the rest


def run_phase(week: WeekPlan, cls: DistanceClass | None) -> Phase:
    """The strength taper (P1) is longer than the running one (P2): until the running taper
    holds most of a week's days, its runs stay race-specific."""
    if week.phase is not Phase.TAPER:
        return week.phase
    if not week.run_taper or cls is None:
        return Phase.RACE_SPECIFIC
    if week.run_taper == week.run_taper_len:
        return Phase.TAPER  # race week
    offset = week.race_offset or 0
    days = taper_days(cls, offset % 7)
    taper = sum(1 for day in range(7) if offset - day <= days)
    return Phase.TAPER if taper >= 4 else Phase.RACE_SPECIFIC


def quality_types(phase: Phase, cls: DistanceClass | None) -> tuple[str, ...]:
    """R3 by distance (R9): which workouts, in order of importance. Ultras climb and run long
    tempo; marathoners hold their goal pace inside long runs, so their midweek work is
    threshold and VO2max (Pfitzinger); 5K/10K runners sharpen with short fast reps."""
    if phase is Phase.BASE:
        return ("strides",)
    if phase is Phase.STRENGTH:
        return ("hills",) if cls is DistanceClass.ULTRA else ("intervals",)
    if phase is Phase.TAPER:
        return {
            DistanceClass.SHORT: ("intervals",),
            DistanceClass.HALF: ("race_pace",),
            DistanceClass.MARATHON: ("race_pace",),
            DistanceClass.ULTRA: ("tempo",),
        }[cls or DistanceClass.SHORT]
    if phase is Phase.RACE_SPECIFIC:
        return {
            DistanceClass.SHORT: ("intervals", "tempo"),
            DistanceClass.HALF: ("tempo", "race_pace"),
            DistanceClass.MARATHON: ("tempo", "intervals"),
            DistanceClass.ULTRA: ("hills", "tempo"),
        }[cls or DistanceClass.SHORT]
    return ()


def quality_days(key_days: list[int], long_day: int | None, count: int) -> list[int]:
    """The days placement will try for `count` quality sessions, in L7's order, none next to
    the long run or to each other (L4); fewer when the week has no room. The days are chosen
    together: taking the first open day in L7's order one at a time can leave the next session
    no day (Thursday in a Monday long-run week of Monday-Friday running leaves nothing;
    Wednesday and Friday hold two)."""
    ranked = [
        d
        for d in QUALITY_DAY_ORDER
        if d in key_days and d != long_day and (long_day is None or _apart(d, long_day))
    ]
    for n in range(min(count, len(ranked)), 0, -1):
        # combinations() keeps L7's order: the first set that keeps L4 is the preferred one.
        for days in combinations(ranked, n):
            if all(_apart(a, b) for a, b in combinations(days, 2)):
                return list(days)
    return []


def _apart(a: int, b: int) -> bool:
    """L4 across the week's edges too: weeks repeat their shape, so a quality run on Sunday
    sits next to the next week's Monday one (a Wednesday long-run week of Mon, Wed, Thu and
    Sun running put quality on both, and each Monday's ran easy)."""
    gap = abs(a - b)
    return min(gap, 7 - gap) > 1


class Slots(NamedTuple):
    """What the week holds before the km are shared out."""

    long: bool  # a long run of its own (a race may be the week's long run instead)
    replaced_km: float  # volume a race took over (its slot's share of the week)
    # (type, phase, weekday): a week the running taper starts in ties each session to the day
    # its content is for; elsewhere the day is placement's (None).
    quality: tuple[tuple[str, Phase, int | None], ...]
    tied: tuple[tuple[int, str], ...]  # (weekday, "shakeout" | "recovery" | "back-to-back")
    easy: int


def week_slots(
    week: WeekPlan,
    athlete: Athlete,
    cls: DistanceClass | None,
    rules: tuple[int, ...],
    phase: Phase,
    load: WeekLoad,
) -> Slots:
    """P5/R2/R3: how many runs the week's open days hold and which slot each race takes."""
    lr = athlete.long_run_day
    days = sorted(athlete.run_days)
    open_days = [d for d in days if rules[d] < NO_RUN]
    # L4 across the week's edges: a Sunday long run makes Monday a bad key day (and a Monday
    # long run next week, Sunday).
    edge = 0 if lr == 6 else 6 if lr == 0 else -1
    key_days = [d for d in open_days if rules[d] == FREE and d != edge]
    tied = [(d, "shakeout" if rules[d] == SHAKEOUT else "recovery") for d in open_days]
    tied = [(d, kind) for d, kind in tied if rules[d] in (SHAKEOUT, RECOVERY)]
    recovery = week.phase is Phase.RECOVERY
    first = taper_weekday(week, cls)
    # Where the running taper starts inside the week, the sessions before it are race-specific.
    q_phase = phase if first is None else Phase.RACE_SPECIFIC
    quality = list(quality_types(q_phase, cls)[: min(QUALITY[q_phase], quality_cap(athlete))])
    q_km = load.quality_km * (TAPER_QUALITY if q_phase is Phase.TAPER else 1.0)
    has_long, replaced = True, 0.0
    for race in week.races:
        if race.uid == week.anchor:
            has_long = False  # the A race is its week's long run; the taper volume stays
        elif race.distance_km >= LONG_RACE_KM and has_long:
            # P5: a long B or C race is the week's long run (a C 100 km kept a 4:35 h long run
            # beside it, which P9's days after the race then dropped).
            has_long = False
            replaced += 0.0 if recovery else load.long_km
        elif race.priority is Priority.C or (
            race.distance_km < LONG_RACE_KM
            and rules[lr] == FREE
            and any(q in KEY_RUN_TYPES for q in quality)
        ):
            # P5: a C race (or a short B race away from the long-run day) is the week's key run.
            if quality:
                quality.pop(0)
                replaced += q_km
        elif has_long:
            has_long = False  # P5: a short B race on the long-run day is the week's long run
            replaced += 0.0 if recovery else load.long_km
    # A key long run needs a key day; a recovery week's (an easy run) stays off the short-run
    # days around a race, where placement would put it first.
    has_long = has_long and (rules[lr] <= NO_KEY if recovery else bool(key_days))
    free = len(open_days) - len(tied) - (1 if has_long else 0)
    keep_easy = 1 if free >= 2 else 0
    long_day = None
    if has_long and not recovery:
        # Where placement will put the long run: its day, else the nearest day that may hold
        # a key run (a B race's easy days after it can take the long-run day).
        long_day = min(key_days, key=lambda d: (d != lr, abs(d - lr), d)) if key_days else lr
    days_for = quality_days(key_days, long_day, min(len(quality), free - keep_easy))
    picked: list[tuple[str, Phase, int | None]] = []
    if first is None:
        picked = [(q, phase, None) for q in quality[: len(days_for)]]
    else:
        # P2 in days: the sessions before the taper's first day are race-specific work, the
        # first one inside it the taper's sharpener (R3: one).
        sharpener = quality_types(Phase.TAPER, cls)[:1]
        for q, day in zip(quality, days_for, strict=False):
            if day < first:
                picked.append((q, Phase.RACE_SPECIFIC, day))
            elif sharpener:
                picked.append((sharpener[0], Phase.TAPER, day))
                sharpener = ()
    easy = free - len(picked)
    if (
        cls is DistanceClass.ULTRA
        and phase is Phase.RACE_SPECIFIC
        and has_long
        and easy
        and not week.deload
        and other_race(week) is None
    ):
        # R9: the back-to-back run sits next to the long run, before it when it can.
        tied_days = {d for d, _ in tied}
        for day in (lr - 1, lr + 1):
            if day in open_days and day not in tied_days:
                tied.append((day, "back-to-back"))
                easy -= 1
                break
    return Slots(has_long, replaced, tuple(picked), tuple(tied), easy)


def taper_weekday(week: WeekPlan, cls: DistanceClass | None) -> int | None:
    """The weekday the running taper starts on, in the week it starts in (not race week)."""
    if not week.run_taper or cls is None or week.race_offset is None or week.race_offset < 7:
        return None
    first = week.race_offset - taper_days(cls, week.race_offset % 7)
    return first if 0 < first <= 6 else None
