"""Run prescriptions (the R rules): which runs a week holds (a long run, R3's quality sessions,
easy runs), how long each is, and the reasons each carries. What to run, not yet when.

A week's day rules (scheduler.racedays) decide how many runs fit it, which slot a race takes
and which short runs are tied to the days around a race; the week's volume and long run come
from scheduler.volume. Each run is a structured workout (scheduler.workouts, R8) at the
athlete's paces (scheduler.paces, R7); `run_rx` derives a run's minutes, distance, title and
text from its steps.
"""

from __future__ import annotations

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
from scheduler.periodize import RUN_TAPER_DAYS
from scheduler.racedays import FREE, NO_RUN, RECOVERY, SHAKEOUT
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
# R3 scaled to the athlete: under 30 km a week, or under 40 without experience, one quality
# session besides the long run (Daniels' beginner plans: one quality day a week; Hansons'
# beginners start at ~30 miles before a second one).
LOW_VOLUME_KM = 30.0
NOVICE_VOLUME_KM = 40.0
# A race this long takes the long run's place in its week (P5): a half or more is a long run.
LONG_RACE_KM = 15.0
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

# Reasons whose text never varies, built once rather than per session.
RECOVERY_EASY = Reason("P9", "recovery: easy runs only", "prescription")
KEY_QUALITY = Reason("R2", "a key run", "prescription")
NOT_KEY_QUALITY = Reason("R2", "not a key run (strides)", "prescription")
RUN_DAY = Reason("R1", "one of your run days", "prescription")
FROM_STEPS = Reason(
    "R8", "distance, duration and booked time are the sums of the steps", "prescription"
)
SHAKEOUT_WHY = Reason("P10", "the day before a race: only a short easy run", "prescription")
RECOVERY_WHY = Reason("P5", "the day after a race: a short recovery run", "prescription")
B2B_WHY = Reason("R9", "back-to-back long runs: time on tired legs for the ultra", "prescription")
EASY_SLOTS = tuple(f"easy-{n}" for n in range(1, 8))
QUALITY_DAY_ORDER = (1, 5, 3, 2, 4, 0, 6)  # L7: Tue quality, Sat tempo, then the rest

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
    taper = sum(1 for day in range(7) if offset - day <= RUN_TAPER_DAYS[cls])
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


def quality_cap(athlete: Athlete) -> int:
    """R3 scaled to the athlete: quality sessions a week besides the long run at most."""
    low = athlete.weekly_km < LOW_VOLUME_KM
    novice = not athlete.experienced and athlete.weekly_km < NOVICE_VOLUME_KM
    return 1 if low or novice else 2


def quality_days(key_days: list[int], long_day: int | None, count: int) -> list[int]:
    """The days placement will try for `count` quality sessions, in L7's order, none next to
    the long run or to each other (L4); fewer when the week has no room."""
    out: list[int] = []
    taken = [] if long_day is None else [long_day]
    for day in QUALITY_DAY_ORDER:
        if len(out) == count:
            break
        if day in key_days and day != long_day and all(abs(day - t) > 1 for t in taken):
            out.append(day)
            taken.append(day)
    return out


class _Slots(NamedTuple):
    """What the week holds before the km are shared out."""

    long: bool  # a long run of its own (a race may be the week's long run instead)
    replaced_km: float  # volume a race took over (its slot's share of the week)
    # (type, phase, weekday): a week the running taper starts in ties each session to the day
    # its content is for; elsewhere the day is placement's (None).
    quality: tuple[tuple[str, Phase, int | None], ...]
    tied: tuple[tuple[int, str], ...]  # (weekday, "shakeout" | "recovery" | "back-to-back")
    easy: int


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
    slots = _slots(week, athlete, cls, rules, phase, load)
    w = _Week(week, cls, paces, max(week.block_week - 1, 0) // 2, load.km, vol_reason)
    long_km = 0.0 if recovery or not slots.long else load.long_km
    # R9: the long run stays the longest run of its week.
    q_km = min(load.quality_km, long_km) if long_km else load.quality_km
    q_budget = [q_km * (TAPER_QUALITY if p is Phase.TAPER else 1.0) for _, p, _ in slots.quality]
    train = load.km - slots.replaced_km
    easy_pace = round(paces.of(Zone.EASY).target)
    tied_km = [_tied_km(kind, long_km, easy_pace) for _, kind in slots.tied]
    # In recovery weeks the long run's slot is one more easy run.
    easy_n = slots.easy + (1 if recovery and slots.long else 0)
    rest = train - long_km - sum(q_budget) - sum(tied_km)
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
        runs.insert(0, _long_run(w, phase, load, max(round_km(long_km), ceil_km(longest))))
        long_km = runs[0].distance_km
    for (weekday, kind), km in zip(slots.tied, tied_km, strict=True):
        runs.append(_tied(w, kind, weekday, km, slots.tied))
    if not easy_n:
        return tuple(runs)
    # Easy runs share what the workouts above left of the week (their km are their steps').
    rest = train - sum(r.distance_km for r in runs)
    easy_cap = min(RUN_MAX_KM, EASY_MAX_OF_LONG * long_km) if long_km else RUN_MAX_KM
    easy = _easy(w, round_km(min(rest / easy_n, easy_cap)))
    if slots.long and recovery:
        runs.insert(0, easy._replace(slot="long", reasons=(RECOVERY_EASY, *easy.reasons)))
    runs.extend(easy._replace(slot=slot) for slot in EASY_SLOTS[: slots.easy])
    return tuple(runs)


class _Week(NamedTuple):
    """What every run of a week is built from."""

    week: WeekPlan
    cls: DistanceClass | None
    paces: Paces
    progress: int  # steps up the block, for the workouts (0 at its start)
    km: float
    vol_reason: Reason


def _slots(
    week: WeekPlan,
    athlete: Athlete,
    cls: DistanceClass | None,
    rules: tuple[int, ...],
    phase: Phase,
    load: WeekLoad,
) -> _Slots:
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
    first = _taper_weekday(week, cls)
    # Where the running taper starts inside the week, the sessions before it are race-specific.
    q_phase = phase if first is None else Phase.RACE_SPECIFIC
    quality = list(quality_types(q_phase, cls)[: min(QUALITY[q_phase], quality_cap(athlete))])
    q_km = load.quality_km * (TAPER_QUALITY if q_phase is Phase.TAPER else 1.0)
    has_long, replaced = True, 0.0
    for race in week.races:
        if race.uid == week.anchor:
            has_long = False  # the A race is its week's long run; the taper volume stays
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
            has_long = False  # P5: a long B race is the week's long run
            replaced += 0.0 if recovery else load.long_km
    has_long = has_long and (recovery or bool(key_days))
    free = len(open_days) - len(tied) - (1 if has_long else 0)
    keep_easy = 1 if free >= 2 else 0
    long_day = lr if has_long and not recovery else None
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
    return _Slots(has_long, replaced, tuple(picked), tuple(tied), easy)


def _taper_weekday(week: WeekPlan, cls: DistanceClass | None) -> int | None:
    """The weekday the running taper starts on, in the week it starts in (not race week)."""
    if not week.run_taper or cls is None or week.race_offset is None or week.race_offset < 7:
        return None
    first = week.race_offset - RUN_TAPER_DAYS[cls]
    return first if 0 < first <= 6 else None


def _tied_km(kind: str, long_km: float, pace: int) -> float:
    if kind == "back-to-back":
        return round_km(B2B_SHARE * long_km)
    km, minutes = SHAKEOUT_RUN if kind == "shakeout" else RECOVERY_RUN
    short = floor_km(min(km, minutes * 60 / pace))
    return min(short, long_km) if long_km else short


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
    workout = workout_for(
        "long", km, w.paces, phase=phase, cls=cls, progress=w.progress, focus=focus, pace_km=pace_km
    )
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
    workout = workout_for(
        q_type,
        km,
        w.paces,
        phase=phase,
        cls=w.cls,
        progress=w.progress,
        week_km=w.km,
        focus=focus,
    )
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
    workout = workout_for(run_type, km, w.paces, phase=run_phase(w.week, w.cls), cls=w.cls)
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
        workout_for("easy", km, w.paces, phase=run_phase(w.week, w.cls), cls=w.cls),
        key_run=False,
        value=VALUE_EASY,
        reasons=(
            RUN_DAY,
            Reason("R5", f"easy runs share the rest of the week's {w.km:.0f} km", "prescription"),
            *pace_reasons(w.paces, "easy"),
        ),
    )
