"""Per-exercise doses (S2), loads (S8) and how long a session takes.

S2 gives each phase one sets x reps x effort, and that is the dose of the session's main lifts;
the other exercises of a session are not dosed like a deadlift. A calf raise takes more reps and
less rest, an anti-rotation press is 8-12 controlled reps a side with no load to chase, a
plyometric set is counted in contacts with full recovery [004]. Each exercise therefore has a
role, and the dose comes from (phase, role).

Effort is reps in reserve (RIR; RPE = 10 - RIR, the RIR-based RPE scale of Zourdos et al. 2016).
With a tested one-repetition maximum the load is also given as % of it: the load a lifter can
move for reps + RIR repetitions, by Epley's formula 1RM = w x (1 + r / 30), so
%1RM = 1 / (1 + (reps + RIR) / 30). The taper and recovery weeks ask for light loads moved fast,
where that formula (fitted near failure) overstates the load, so they carry their own ranges.
Loads are rounded to what a gym can load: 2.5 kg, or 5 lb for imperial units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from scheduler.model import Exercise, Phase

LB_PER_KG = 2.20462
SECONDS_PER_REP = 4  # a controlled tempo: about 1 s up, 2-3 s down
TRANSITION_S = 60  # setting up the next exercise


class Role(StrEnum):
    PRIMARY = "main lift"  # the session's first lift: the S2 phase dose
    SECONDARY = "main lift (second)"  # the other main lower-body lifts, often single-leg
    CALF = "calf"
    ACCESSORY = "accessory"
    CORE = "core"
    UPPER = "upper body"
    PLYO = "plyometric"


@dataclass(frozen=True)
class Dose:
    sets: tuple[int, int]
    reps: tuple[int, int]
    # Reps in reserve at the end of each set; None where effort is not counted so (holds,
    # anti-rotation, jumps).
    rir: tuple[int, int] | None
    rest_s: tuple[int, int]
    # % of 1RM when it is not Epley's (light, fast loads).
    pct: tuple[int, int] | None = None


def _d(
    sets: tuple[int, int],
    reps: tuple[int, int],
    rir: tuple[int, int] | None,
    rest: tuple[int, int],
    pct: tuple[int, int] | None = None,
) -> Dose:
    return Dose(sets, reps, rir, rest, pct)


# S2 by phase for the main lifts [001][000]; the second main lifts as the 2-day template writes
# them (split squat and step-up 3 x 6-8 a side next to a 3-4 x 4-6 deadlift) [004]; calves
# 3 x 8-12 (straight knee) to 10-15 (bent knee), more of them in the race-specific phase [001];
# hamstring and hip accessories 2-3 x 6-15; anti-rotation 2-3 x 8-12 a side [004]; planks
# 30-45 s [000]; plyometrics only where S6 allows them.
DOSES: dict[tuple[Phase, Role], Dose] = {
    (Phase.OFFSEASON, Role.PRIMARY): _d((3, 3), (6, 8), (1, 2), (120, 180)),
    (Phase.OFFSEASON, Role.SECONDARY): _d((3, 3), (6, 8), (2, 2), (90, 120)),
    (Phase.OFFSEASON, Role.CALF): _d((3, 3), (8, 12), (2, 2), (60, 90)),
    (Phase.OFFSEASON, Role.ACCESSORY): _d((2, 3), (8, 12), (2, 3), (60, 60)),
    (Phase.OFFSEASON, Role.CORE): _d((2, 3), (8, 12), None, (45, 45)),
    (Phase.OFFSEASON, Role.UPPER): _d((3, 3), (6, 8), (1, 2), (90, 120)),
    (Phase.BASE, Role.PRIMARY): _d((3, 4), (10, 12), (3, 4), (60, 90)),
    (Phase.BASE, Role.SECONDARY): _d((3, 3), (10, 12), (3, 4), (60, 90)),
    (Phase.BASE, Role.CALF): _d((3, 3), (12, 15), (2, 3), (60, 60)),
    (Phase.BASE, Role.ACCESSORY): _d((2, 3), (10, 15), (2, 3), (60, 60)),
    (Phase.BASE, Role.CORE): _d((2, 3), (8, 12), None, (45, 45)),
    (Phase.BASE, Role.UPPER): _d((2, 3), (10, 12), (2, 3), (60, 90)),
    (Phase.BASE, Role.PLYO): _d((2, 3), (10, 20), None, (60, 90)),
    (Phase.STRENGTH, Role.PRIMARY): _d((3, 5), (4, 6), (1, 2), (120, 180)),
    (Phase.STRENGTH, Role.SECONDARY): _d((3, 3), (6, 8), (2, 2), (90, 120)),
    (Phase.STRENGTH, Role.CALF): _d((3, 3), (8, 12), (1, 2), (60, 90)),
    (Phase.STRENGTH, Role.ACCESSORY): _d((2, 3), (6, 10), (2, 3), (60, 90)),
    (Phase.STRENGTH, Role.CORE): _d((2, 3), (8, 12), None, (45, 60)),
    (Phase.STRENGTH, Role.UPPER): _d((2, 3), (8, 10), (2, 3), (60, 90)),
    (Phase.RACE_SPECIFIC, Role.PRIMARY): _d((2, 3), (6, 8), (3, 3), (120, 120)),
    (Phase.RACE_SPECIFIC, Role.SECONDARY): _d((2, 3), (6, 8), (3, 3), (90, 90)),
    (Phase.RACE_SPECIFIC, Role.CALF): _d((3, 4), (8, 12), (1, 2), (60, 90)),
    (Phase.RACE_SPECIFIC, Role.ACCESSORY): _d((2, 2), (8, 10), (3, 3), (60, 60)),
    (Phase.RACE_SPECIFIC, Role.CORE): _d((2, 3), (8, 12), None, (45, 45)),
    (Phase.RACE_SPECIFIC, Role.UPPER): _d((2, 3), (8, 12), (2, 3), (60, 90)),
    (Phase.RACE_SPECIFIC, Role.PLYO): _d((2, 3), (6, 20), None, (60, 90)),
    (Phase.TAPER, Role.PRIMARY): _d((1, 2), (3, 5), (4, 5), (120, 120), (60, 70)),
    (Phase.TAPER, Role.SECONDARY): _d((1, 2), (3, 5), (4, 5), (90, 90), (55, 65)),
    (Phase.TAPER, Role.CALF): _d((2, 2), (8, 10), (3, 4), (60, 60)),
    (Phase.TAPER, Role.ACCESSORY): _d((1, 2), (8, 8), (4, 4), (60, 60)),
    (Phase.TAPER, Role.CORE): _d((2, 2), (8, 10), None, (45, 45)),
    (Phase.TAPER, Role.UPPER): _d((1, 2), (8, 10), (3, 4), (60, 60)),
    (Phase.RECOVERY, Role.PRIMARY): _d((2, 2), (8, 10), (5, 6), (60, 60), (50, 60)),
    (Phase.RECOVERY, Role.SECONDARY): _d((2, 2), (8, 10), (5, 6), (60, 60), (45, 55)),
    (Phase.RECOVERY, Role.CALF): _d((2, 2), (10, 12), (4, 5), (60, 60)),
    (Phase.RECOVERY, Role.ACCESSORY): _d((2, 2), (10, 10), (4, 5), (60, 60)),
    (Phase.RECOVERY, Role.CORE): _d((2, 2), (8, 10), None, (45, 45)),
    (Phase.RECOVERY, Role.UPPER): _d((2, 2), (10, 12), (4, 5), (60, 60)),
}
# A plank is held, not repeated: seconds per set by phase.
HOLD_S = {Phase.TAPER: (20, 30), Phase.RECOVERY: (20, 30)}
HOLD_DEFAULT = (30, 45)
# P7 deloads and S5's extra set in week 3 of the cycle touch the main lifts' sets only.
DELOAD_SETS = 1  # one set fewer on every lift (volume -30 to 40% [004])


@dataclass(frozen=True)
class Lift:
    """An exercise as the templates name it (S4) and what decides its dose."""

    name: str
    role: Role
    per_side: bool = False
    # Held for seconds (plank) rather than counted in reps.
    hold: bool = False
    # The key a tested 1RM is given under in the config (S8); empty when the exercise is not
    # loaded by percentage (calf raises, Nordics, bands, body weight).
    one_rm: str = ""
    # The exercise's own rep range where the seed articles give one instead of the role's.
    reps: tuple[int, int] | None = None
    # Done straight after the exercise before it without rest (supersets and circuits [000]).
    superset: bool = False
    unit: str = ""  # "contacts" for jumps


@dataclass(frozen=True)
class Effort:
    """What the athlete lifts at: reps in reserve, and the load when a 1RM is known."""

    rir: tuple[int, int] | None
    pct: tuple[int, int] | None  # % of 1RM
    load: tuple[float, float] | None  # in the athlete's units
    unit: str  # "kg" | "lb"


def epley_pct(reps: int) -> float:
    """% of 1RM that `reps` repetitions to failure take (Epley 1985)."""
    return 100.0 / (1 + reps / 30)


def load_pct(dose: Dose) -> tuple[int, int] | None:
    """S8: the % of 1RM range a dose asks for."""
    if dose.pct is not None:
        return dose.pct
    if dose.rir is None:
        return None
    low = epley_pct(dose.reps[1] + dose.rir[1])
    high = epley_pct(dose.reps[0] + dose.rir[0])
    return (round(low), round(high))


def plate_round(value: float, unit: str) -> float:
    step = 5.0 if unit == "lb" else 2.5
    return round(value / step) * step


def effort(dose: Dose, lift: Lift, one_rm_kg: float | None, unit: str) -> Effort:
    pct = load_pct(dose) if lift.one_rm else None
    load = None
    if pct is not None and one_rm_kg:
        one_rm = one_rm_kg * LB_PER_KG if unit == "lb" else one_rm_kg
        load = (plate_round(one_rm * pct[0] / 100, unit), plate_round(one_rm * pct[1] / 100, unit))
    return Effort(dose.rir, pct if load else None, load, unit)


def span(values: tuple[int, int], suffix: str = "") -> str:
    low, high = values
    return f"{low}{suffix}" if low == high else f"{low}-{high}{suffix}"


def number(value: float) -> str:
    return f"{value:g}"


def effort_text(e: Effort) -> str:
    if e.rir is None:
        return ""
    rpe = span((10 - e.rir[1], 10 - e.rir[0]))
    rir = f"{span(e.rir)} {'rep' if e.rir == (1, 1) else 'reps'} in reserve"
    if e.load is not None and e.pct is not None:
        low, high = e.load
        load = number(low) if low == high else f"{number(low)}-{number(high)}"
        return f"{load} {e.unit} ({span(e.pct)}% 1RM), RPE {rpe}, {rir}"
    return f"RPE {rpe} ({rir})"


def rest_text(rest: tuple[int, int]) -> str:
    low, high = rest
    if low >= 120 and low % 60 == 0 and high % 60 == 0:
        return span((low // 60, high // 60), " min")
    return span(rest, " s")


def exercise_seconds(
    sets: int, reps: int, rest: int, per_side: bool, hold: bool, superset: bool = False
) -> int:
    """The time an exercise takes at the top of its ranges: its sets, the rests between them
    and the move to the next exercise. An exercise done straight after the one before it
    shares that one's rests and adds only its work."""
    work = reps if hold else reps * SECONDS_PER_REP
    if per_side:
        work *= 2
    if superset:
        return sets * work
    return sets * work + (sets - 1) * rest + TRANSITION_S


def session_minutes(exercises: tuple[Exercise, ...]) -> int:
    """The booked length: the sum of the exercises' times (warm-up included), up to 5 min."""
    return math.ceil(sum(e.seconds for e in exercises) / 300) * 5
