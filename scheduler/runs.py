"""Run prescriptions (the R rules): which runs a week holds (a long run, R3's quality sessions,
easy runs), how long each is, and the reasons each carries. What to run, not yet when.

A week's day rules (scheduler.racedays) decide how many runs fit it, which slot a race takes
and which short runs are tied to the days around a race; the week's volume and long run come
from scheduler.volume. Each run is a structured workout (scheduler.workouts, R8) at the
athlete's paces (scheduler.paces, R7); `run_rx` derives a run's minutes, distance, title and
text from its steps.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple, TypeAlias

from scheduler.model import (
    Athlete,
    Block,
    DistanceClass,
    Phase,
    Priority,
    Reason,
    WeekPlan,
    Zone,
)
from scheduler.paces import Paces, paces_for
from scheduler.runweek import KEY_RUN_TYPES, QUALITY, run_phase, week_slots
from scheduler.volume import (
    EASY_MAX_OF_LONG,
    RUN_MAX_KM,
    TAPER_QUALITY,
    WeekLoad,
    ceil_km,
    floor_km,
    other_race,
    round_km,
    week_load,
)
from scheduler.workouts import Workout, workout_for

# L10 values of runs (see scheduler.sessions for strength's).
VALUE_EASY = 2
VALUE_QUALITY = 4
VALUE_LONG = 5

# P10 / P5: the short runs tied to a race's neighbour days: (km, minutes), whichever is less.
SHAKEOUT_RUN = (5.0, 30)
RECOVERY_RUN = (6.0, 40)
# R9: ultras run back-to-back weekend long runs in the race-specific phase, the second about 60%
# of the first (Koop; Powell, Relentless Forward Progress).
B2B_SHARE = 0.6
# R9: a marathon-pace long run holds up to half its length at goal pace, at most 16 km
# (Pfitzinger's longest marathon-pace segments run 12-14 miles inside 16-18).
MP_SHARE = 0.5
MP_MAX_KM = 16.0
# An easy run shorter than this (about 25 minutes) adds little: a small week runs fewer.
MIN_RUN_KM = 4.0
MIN_EASY_KM = 3.0  # the shortest run written at all (round_km's floor)

# Reasons whose text never varies, built once rather than per session.
RECOVERY_EASY = Reason("P9", "recovery: easy runs only", "prescription")
KEY_QUALITY = Reason("R2", "a key run", "prescription")
NOT_KEY_QUALITY = Reason("R2", "not a key run (strides)", "prescription")
RUN_DAY = Reason("R1", "one of your run days", "prescription")
FROM_STEPS = Reason(
    "R8", "distance, duration and booked time are the sums of the steps", "prescription"
)
EASY_SLOTS = tuple(f"easy-{n}" for n in range(1, 8))

# The week's facts a run prescription depends on, besides the athlete, the race distance and
# the week's day rules: weeks that agree on these (most offseason weeks do) get the same runs.
RunShape: TypeAlias = tuple[
    Phase,
    int | None,
    int,
    int,
    bool,
    int,
    int,
    int | None,
    int,
    int,
    tuple[tuple[int, Priority, float, bool], ...],
]


class RunRx(NamedTuple):
    """One run of a week, everything but its key; `reasons` follow the week's phase reasons."""

    slot: str
    type: str
    minutes: int
    key_run: bool
    value: int
    title: str
    description: str
    reasons: tuple[Reason, ...]
    distance_km: float
    steps: tuple[Block, ...] = ()
    # The weekday the run is tied to (the short runs around a race, the back-to-back run, a
    # quality session in the week the taper starts).
    weekday: int | None = None
    # What the run is for within its type: "marathon-pace", "time-on-feet", "back-to-back",
    # "shakeout", "recovery", "sharpen" or "" (the type says it all).
    focus: str = ""
    # km of the run at goal race pace (a marathon-pace long run's segment).
    pace_km: float = 0.0


# Runs whose paces come from the race (R7): goal race pace, and marathon pace set by a goal.
RACE_PACED = frozenset({"race_pace", "long_mp"})


def pace_reasons(paces: Paces, run_type: str) -> tuple[Reason, ...]:
    """R7's reasons for a run of `run_type`, then R8's."""
    if run_type in RACE_PACED and paces.race_reason is not None:
        return (paces.reason, paces.race_reason, FROM_STEPS)
    return (paces.reason, FROM_STEPS)


def run_rx(
    slot: str, workout: Workout, *, key_run: bool, value: int, reasons: tuple[Reason, ...]
) -> RunRx:
    """R8: everything the calendar shows of a run comes from its workout's steps; the text
    ends with why the run is there, rule by rule."""
    # R8 says how the numbers are made; the athlete's "why" is the rest.
    why = "; ".join(f"{r.text} ({r.rule})" for r in reasons if r is not FROM_STEPS)
    return RunRx(
        slot=slot,
        type=workout.type,
        minutes=workout.minutes,
        key_run=key_run,
        value=value,
        title=workout.title,
        description="\n".join([*workout.lines(), f"Why: {why}."]),
        reasons=reasons,
        distance_km=workout.km,
        steps=workout.blocks,
    )


def run_shape(week: WeekPlan) -> RunShape:
    rel = week.rel if week.phase is Phase.RECOVERY else None
    races = tuple(
        (r.date.weekday(), r.priority, r.distance_km, r.uid == week.anchor) for r in week.races
    )
    return (
        week.phase,
        rel,
        week.block_week,
        week.build_weeks,
        week.deload,
        week.run_taper,
        week.run_taper_len,
        week.race_offset if week.run_taper else None,
        week.growth,
        week.full_weeks,
        races,
    )


def run_prescriptions(
    week: WeekPlan,
    athlete: Athlete,
    cls: DistanceClass | None,
    rules: tuple[int, ...],
    paces: Paces | None = None,
) -> tuple[RunRx, ...]:
    """The week's runs: the long run, R3's quality sessions, the short runs tied to the days
    around a race, then easy runs sharing the rest of the volume. Reads only what `run_shape`
    names from the week, and the week's day `rules` (scheduler.racedays); `paces` (R7) default
    to the athlete's without a race."""
    if paces is None:
        paces = paces_for(athlete, None)
    load = week_load(week, athlete, cls, round(paces.of(Zone.LONG).target))
    phase = run_phase(week, cls)
    recovery = week.phase is Phase.RECOVERY
    vol_reason = Reason("R5", f"week volume {load.km:.0f} km ({load.note})", "prescription")
    slots = week_slots(week, athlete, cls, rules, phase, load)
    w = _Week(week, cls, paces, max(week.block_week - 1, 0) // 2, load.km, vol_reason)
    long_km = 0.0 if recovery or not slots.long else load.long_km
    # R9: the long run stays the longest run of its week.
    q_km = min(load.quality_km, long_km) if long_km else load.quality_km
    q_budget = [q_km * (TAPER_QUALITY if p is Phase.TAPER else 1.0) for _, p, _ in slots.quality]
    train = load.km - slots.replaced_km
    easy_pace = round(paces.of(Zone.EASY).target)
    tied_km = [_tied_km(kind, long_km, easy_pace) for _, kind in slots.tied]
    # In recovery weeks the long run's slot is one more easy run.
    lowest = 1 if recovery and slots.long else 0
    rest = train - long_km - sum(q_budget) - sum(tied_km)
    # A small week runs fewer easy runs rather than runs too short to count.
    easy_n = max(lowest, min(slots.easy + lowest, int(rest // MIN_RUN_KM)))
    if long_km and easy_n and rest / easy_n > min(RUN_MAX_KM, EASY_MAX_OF_LONG * long_km):
        # Few run days: the long run grows toward its cap before an easy run becomes a second
        # long run (R4); past the cap the week runs short of its volume.
        fill = (train - sum(q_budget) - sum(tied_km)) / (1 + EASY_MAX_OF_LONG * easy_n)
        long_km = max(long_km, min(load.long_cap, fill))
    runs: list[RunRx] = []
    for n, ((q_type, q_phase, weekday), km) in enumerate(
        zip(slots.quality, q_budget, strict=True), start=1
    ):
        runs.append(_quality(w, f"q{n}", q_type, round_km(km), q_phase)._replace(weekday=weekday))
    if slots.long and not recovery:
        # A workout's steps may run past its budget: the long run stays the longest (R9).
        longest = max((r.distance_km for r in runs), default=0.0)
        runs.insert(0, _capped_long(w, phase, load, max(round_km(long_km), ceil_km(longest))))
        long_km = runs[0].distance_km
    b2b: tuple[int, str] | None = None
    for (weekday, kind), km in zip(slots.tied, tied_km, strict=True):
        if kind == "back-to-back":
            b2b = (weekday, kind)
        else:
            runs.append(_tied(w, kind, weekday, km, slots.tied))
    if slots.long and not recovery and len(runs) > 1:
        # R5/P10: the workouts' floors (a warm-up and cool-down, a shakeout) may take more
        # than their share of a small week; the long run gives way, down to the week's
        # longest other run (R9), so a 3-day runner's taper week still runs under the one
        # before it.
        others = sum(r.distance_km for r in runs[1:])
        room = max(ceil_km(max(r.distance_km for r in runs[1:])), floor_km(train - others))
        if room < runs[0].distance_km:
            runs[0] = _capped_long(w, phase, load, room)
            long_km = runs[0].distance_km
    if b2b is not None:
        # R9: the back-to-back run is about 60% of the long run, less when the week has no
        # more left, never more than an easy run may be.
        rest = train - sum(r.distance_km for r in runs) - easy_n * MIN_EASY_KM
        cap = EASY_MAX_OF_LONG * long_km
        km = max(
            MIN_EASY_KM, floor_km(min(cap, max(B2B_SHARE * long_km, rest / (easy_n + 1)), rest))
        )
        runs.append(_tied(w, b2b[1], b2b[0], km, slots.tied))
    # Easy runs share what the workouts above left of the week (their km are their steps', and
    # the shortest workouts have floors): again fewer rather than too short.
    rest = train - sum(r.distance_km for r in runs)
    # The last easy run a week has room for may be short (MIN_EASY_KM) rather than none, so a
    # small taper week does not pile what is left onto its long run (below).
    short = 1 if easy_n and MIN_EASY_KM <= rest < MIN_RUN_KM else 0
    easy_n = max(lowest, short, min(easy_n, int(rest // MIN_RUN_KM)))
    if easy_n:
        easy_cap = min(RUN_MAX_KM, EASY_MAX_OF_LONG * long_km) if long_km else RUN_MAX_KM
        shares = _share(rest, easy_n, easy_cap)
        # At most two lengths: each workout is built once.
        built = {km: _easy(w, km) for km in set(shares)}
        easy = [built[km] for km in shares]
        if lowest:
            first = easy.pop(0)
            runs.insert(0, first._replace(slot="long", reasons=(RECOVERY_EASY, *first.reasons)))
        runs.extend(rx._replace(slot=slot) for rx, slot in zip(easy, EASY_SLOTS, strict=False))
    if slots.long and not recovery:
        # What the easy runs could not take (too few to make another, capped, or a workout's
        # steps rounding short) goes to the long run, so the week keeps its volume.
        left = floor_km(train - sum(r.distance_km for r in runs))
        if left >= 1.0 and runs[0].distance_km < load.long_cap:
            budget = min(load.long_cap, runs[0].distance_km + left)
            runs[0] = _capped_long(w, phase, load, budget)
        # The shortest workouts have a floor (their warm-up, 20 minutes): in a small week one
        # may pass the long run, which then grows to stay the week's longest (R9).
        longest = max((r.distance_km for r in runs[1:]), default=0.0)
        budget = ceil_km(longest)
        while runs[0].distance_km < longest:
            runs[0] = _long_run(w, phase, load, budget)
            budget += 0.5
    return tuple(runs)


def _share(km: float, runs: int, cap: float) -> list[float]:
    """`km` over `runs` easy runs in half kilometres, longest first, none past `cap`: the runs
    add up to the week's volume within half a kilometre and never pass it (R5, P11)."""
    each = max(MIN_EASY_KM, floor_km(min(km / runs, cap)))
    longer = 0 if each >= floor_km(cap) else min(runs, int((km - each * runs) / 0.5))
    return [each + 0.5 if n < longer else each for n in range(runs)]


class _Week(NamedTuple):
    """What every run of a week is built from."""

    week: WeekPlan
    cls: DistanceClass | None
    paces: Paces
    progress: int  # steps up the block, for the workouts (0 at its start)
    km: float
    vol_reason: Reason


def _tied_km(kind: str, long_km: float, pace: int) -> float:
    if kind == "back-to-back":
        return round_km(B2B_SHARE * long_km)  # a budget; sized to the week once it is built
    km, minutes = SHAKEOUT_RUN if kind == "shakeout" else RECOVERY_RUN
    short = floor_km(min(km, minutes * 60 / pace))
    return min(short, long_km) if long_km else short


@lru_cache(maxsize=4096)
def _workout(
    run_type: str,
    km: float,
    paces: Paces,
    phase: Phase,
    cls: DistanceClass | None,
    progress: int,
    week_km: float,
    focus: str,
    pace_km: float,
) -> Workout:
    """scheduler.workouts' one door, remembered: weeks of one plan (and athletes of one
    fitness) ask for the same easy and long runs again and again."""
    return workout_for(
        run_type,
        km,
        paces,
        phase=phase,
        cls=cls,
        progress=progress,
        week_km=week_km,
        focus=focus,
        pace_km=pace_km,
    )


def _capped_long(w: _Week, phase: Phase, load: WeekLoad, km: float) -> RunRx:
    """The long run for a budget of `km`, within the distance's cap (R9) once its steps are
    counted (a time-on-feet run rounds to whole 5 minutes)."""
    rx = _long_run(w, phase, load, km)
    while rx.distance_km > load.long_cap and km > MIN_RUN_KM:
        km -= 0.5
        rx = _long_run(w, phase, load, km)
    return rx


def _long_run(w: _Week, phase: Phase, load: WeekLoad, km: float) -> RunRx:
    week, cls = w.week, w.cls
    focus, pace_km = "", 0.0
    full_week = not week.deload and not week.run_taper and other_race(week) is None
    reasons = [
        Reason(
            "R4", f"long run {km:g} km, the week's longest, capped for the distance", "prescription"
        ),
        w.vol_reason,
    ]
    if cls is DistanceClass.ULTRA and phase is not Phase.TAPER:
        focus = "time-on-feet"
        reasons.append(Reason("R9", "ultra long runs count time on feet", "prescription"))
    elif (
        cls is DistanceClass.MARATHON
        and phase is Phase.RACE_SPECIFIC
        and full_week
        and load.long_km < load.long_peak
    ):
        focus, pace_km = "marathon-pace", min(MP_MAX_KM, floor_km(MP_SHARE * km))
        reasons.append(
            Reason("R9", "marathon-pace segment inside the long run (Pfitzinger)", "prescription")
        )
    if week.run_taper:
        reasons.append(Reason("P10", load.note, "prescription"))
    workout = _workout("long", km, w.paces, phase, cls, w.progress, 0.0, focus, pace_km)
    paced = "long_mp" if focus == "marathon-pace" else "long"
    rx = run_rx(
        "long",
        workout,
        key_run=True,
        value=VALUE_LONG,
        reasons=(*reasons, *pace_reasons(w.paces, paced)),
    )
    return rx._replace(focus=focus, pace_km=pace_km)


def _quality(w: _Week, slot: str, q_type: str, km: float, phase: Phase) -> RunRx:
    focus = "sharpen" if phase is Phase.TAPER else ""
    workout = _workout(q_type, km, w.paces, phase, w.cls, w.progress, w.km, focus, 0.0)
    key_run = q_type in KEY_RUN_TYPES
    reasons = [
        Reason("R3", f"{QUALITY[phase]} quality session(s) in {phase.value} weeks", "prescription"),
        KEY_QUALITY if key_run else NOT_KEY_QUALITY,
        w.vol_reason,
    ]
    if phase is Phase.TAPER:
        reasons.append(Reason("P10", "taper: shorter, as fast (intensity kept)", "prescription"))
    rx = run_rx(
        slot,
        workout,
        key_run=key_run,
        value=VALUE_QUALITY,
        reasons=(*reasons, *pace_reasons(w.paces, q_type)),
    )
    return rx._replace(focus=focus)


TIED_WHY = {
    "back-to-back": Reason(
        "R9", "back-to-back long runs: time on tired legs for the ultra", "prescription"
    ),
    "shakeout": Reason("P10", "the day before a race: only a short easy run", "prescription"),
    "recovery": Reason("P5", "the day after a race: a short recovery run", "prescription"),
}


def _tied(w: _Week, kind: str, weekday: int, km: float, tied: tuple[tuple[int, str], ...]) -> RunRx:
    same = [d for d, k in tied if k == kind]
    slot = f"easy-{kind}" + (f"-{same.index(weekday) + 1}" if len(same) > 1 else "")
    # Typed by what it is for (scheduler.workouts builds each), so easy runs keep one pace.
    run_type = kind.replace("-", "_")
    workout = _workout(run_type, km, w.paces, run_phase(w.week, w.cls), w.cls, 0, 0.0, "", 0.0)
    rx = run_rx(
        slot,
        workout,
        key_run=False,
        value=VALUE_EASY,
        reasons=(TIED_WHY[kind], *pace_reasons(w.paces, run_type)),
    )
    return rx._replace(weekday=weekday, focus=kind)


def _easy(w: _Week, km: float) -> RunRx:
    return run_rx(
        "",
        _workout("easy", km, w.paces, run_phase(w.week, w.cls), w.cls, 0, 0.0, "", 0.0),
        key_run=False,
        value=VALUE_EASY,
        reasons=(
            RUN_DAY,
            Reason("R5", f"easy runs share the rest of the week's {w.km:.0f} km", "prescription"),
            *pace_reasons(w.paces, "easy"),
        ),
    )
