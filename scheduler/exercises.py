"""The exercises of a strength session and each one's dose: the templates' lifts (S4) with the
role that decides their sets x reps x effort (S2, the table in scheduler.doses), the load from
a tested 1RM in kg or lb (S8), the warm-up, and the seconds each takes of the booked slot."""

from __future__ import annotations

from scheduler.doses import (
    DELOAD_SETS,
    DOSES,
    HOLD_DEFAULT,
    HOLD_S,
    Dose,
    Lift,
    Role,
    effort,
    effort_text,
    exercise_seconds,
    rest_text,
    span,
)
from scheduler.model import Exercise, Phase

DEADLIFT = Lift("Trap-bar deadlift", Role.PRIMARY, one_rm="trap_bar_deadlift")
SPLIT_SQUAT = Lift("Split squat", Role.SECONDARY, per_side=True, one_rm="split_squat")
STRAIGHT_CALF = Lift("Straight-knee calf raise", Role.CALF)
NORDIC = Lift("Nordic hamstring curl", Role.ACCESSORY, reps=(6, 10))
PALLOF = Lift("Pallof press", Role.CORE, per_side=True)
FRONT_SQUAT = Lift("Front or goblet squat", Role.PRIMARY, one_rm="front_squat")
STEP_UP = Lift("Step-up with knee drive", Role.SECONDARY, per_side=True, one_rm="step_up")
RDL = Lift("Romanian deadlift", Role.SECONDARY, one_rm="romanian_deadlift")
BENT_CALF = Lift("Bent-knee (soleus) calf raise", Role.CALF, reps=(10, 15))
LATERAL_HIP = Lift(
    "Lateral hip: side-lying abduction", Role.ACCESSORY, per_side=True, reps=(10, 15)
)
CHEST_PRESS = Lift("Chest press", Role.UPPER, one_rm="chest_press")
ROW = Lift("Row", Role.UPPER, one_rm="row", superset=True)
PUSH = Lift("Push-up or chest press", Role.UPPER)
PLANK = Lift("Plank", Role.CORE, hold=True)
SIDE_PLANK = Lift("Side plank", Role.CORE, per_side=True, hold=True, superset=True)
DEAD_BUG = Lift("Dead bug", Role.CORE, per_side=True, superset=True)
POGO = Lift("Pogo hops", Role.PLYO, reps=(20, 20), unit="contacts")
BOUNDING = Lift("Bounding", Role.PLYO, per_side=True, reps=(6, 6))

MAIN_LOWER_LIFTS = frozenset(
    lift.name for lift in (DEADLIFT, SPLIT_SQUAT, FRONT_SQUAT, STEP_UP, RDL)
)  # S7
TEMPLATES = {  # S4
    "A": ("force + control", (DEADLIFT, SPLIT_SQUAT, STRAIGHT_CALF, NORDIC, PALLOF)),
    "B": ("single leg + stiffness", (FRONT_SQUAT, STEP_UP, RDL, BENT_CALF, LATERAL_HIP)),
}
# [004]'s short session for busy weeks: a hinge, a single-leg lift and calves.
SHORT = {"A": (DEADLIFT, SPLIT_SQUAT, STRAIGHT_CALF), "B": (RDL, STEP_UP, BENT_CALF)}
MAIN_LIFT = {"A": DEADLIFT.name, "B": FRONT_SQUAT.name}
OFFSEASON_EXTRA = (CHEST_PRESS, ROW)  # S4: push/pull, done as a superset [000]
CORE = (PLANK, SIDE_PLANK, DEAD_BUG)  # S4: a circuit [000]
UPPER_VARIANT = (PUSH, ROW, PALLOF, PLANK, SIDE_PLANK, DEAD_BUG)
PLYOS = (POGO, BOUNDING)
# S8: the lifts a tested 1RM may be given for (config keys).
ONE_RM_LIFTS = tuple(
    sorted(
        {lift.one_rm for lift in (*TEMPLATES["A"][1], *TEMPLATES["B"][1], CHEST_PRESS, ROW)} - {""}
    )
)

# Warm-up before each gym session, 8-12 minutes [004].
WARM_UP_LOWER = (
    "3-4 min easy bike or treadmill; ankle mobility and calf activation; glute bridges or "
    "banded lateral walks; body-weight squat and split-squat patterning; 2 ramp-up sets of the "
    "first lift"
)
WARM_UP_UPPER = (
    "3 min easy bike or rowing; band pull-aparts and shoulder circles; push-up and row "
    "patterning; 2 ramp-up sets of the first lift"
)
WARM_UP_MINUTES = {"full": 10, "short": 6, "light": 10, "light_short": 6, "upper": 8}
# Effort floors (reps in reserve) for a runner new to lifting: heavy sessions stop three reps
# short of failure, the week's other sessions four ("lighter starting loads and emphasis on
# technique" [004]; "starting with body weight or lighter resistance is appropriate" [000]).
NOVICE_RIR = 3
LIGHT_RIR = 4


class DoseFacts:
    """What dosing one exercise reads, gathered once per prescription."""

    def __init__(
        self,
        phase: Phase,
        deload: bool,
        extra_set: bool,
        beginner: bool,
        light: bool,
        unit: str,
        one_rm: dict[str, float],
    ) -> None:
        self.phase = phase
        self.deload = deload
        self.extra_set = extra_set
        self.beginner = beginner
        self.light = light
        self.unit = unit
        self.one_rm = one_rm


def dose_of(lift: Lift, f: DoseFacts, short: bool) -> Dose:
    base = DOSES.get((f.phase, lift.role)) or DOSES[(Phase.RACE_SPECIFIC, lift.role)]
    low, high = base.sets
    reps = lift.reps or base.reps
    if lift.hold:
        reps = HOLD_S.get(f.phase, HOLD_DEFAULT)
    rir = base.rir
    if f.deload:
        low, high = max(low - DELOAD_SETS, 1), max(high - DELOAD_SETS, 1)
    if f.extra_set and lift.role is Role.PRIMARY and not short and not f.light:
        low, high = low + 1, high + 1  # S5: week 3 adds one set to one main lift
    if rir is not None and (f.beginner or f.light):
        floor = LIGHT_RIR if f.light else NOVICE_RIR
        if rir[0] < NOVICE_RIR and lift.role in (Role.PRIMARY, Role.SECONDARY):
            reps = (max(reps[0], 6), max(reps[1], 8))  # no near-maximal low-rep sets
        rir = (max(rir[0], floor), max(rir[1], floor))
        high = low
    if short:
        high = low
    return Dose((low, high), reps, rir, base.rest_s, base.pct)


def exercise(lift: Lift, f: DoseFacts, *, short: bool = False, after: str = "") -> Exercise:
    dose = dose_of(lift, f, short)
    e = effort(dose, lift, f.one_rm.get(lift.one_rm), f.unit)
    sets, reps, rest = dose.sets[1], dose.reps[1], (dose.rest_s[0] + dose.rest_s[1]) // 2
    seconds = exercise_seconds(sets, reps, rest, lift.per_side, lift.hold, lift.superset)
    unit = " s" if lift.hold else f" {lift.unit}" if lift.unit else ""
    note = ""
    if lift.superset:
        note = f"straight after the {after.lower()}, no rest between"
    elif lift.role is Role.CORE and not lift.hold:
        note = "slow, resist the rotation"
    elif lift.role is Role.PLYO:
        note = "quick contacts, full recovery"
    return Exercise(
        name=lift.name,
        sets=span(dose.sets),
        reps=span(dose.reps, unit),
        note=note,
        effort=effort_text(e),
        rest="" if lift.superset else rest_text(dose.rest_s),
        per_side=lift.per_side,
        seconds=seconds,
        role=lift.role.value,
    )


def exercises_of(
    lifts: tuple[Lift, ...], f: DoseFacts, *, short: bool = False
) -> tuple[Exercise, ...]:
    out: list[Exercise] = []
    for n, lift in enumerate(lifts):
        out.append(exercise(lift, f, short=short, after=lifts[n - 1].name if n else ""))
    return tuple(out)


def warm_up(variant: str, first: str) -> Exercise:
    minutes = WARM_UP_MINUTES[variant]
    text = f"{WARM_UP_UPPER if variant == 'upper' else WARM_UP_LOWER} ({first})"
    return Exercise("Warm-up", "1", f"{minutes} min", text, seconds=minutes * 60, role="warm-up")
