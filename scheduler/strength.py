"""Strength prescriptions: templates A/B (S4), sets x reps x effort by phase (S2), load
progression (S5), plyometrics (S6) and what counts as heavy lower-body work (S7)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from scheduler.model import Athlete, Exercise, Phase, Reason, WeekPlan

MAIN_LOWER_LIFTS = frozenset(
    {
        "Trap-bar deadlift",
        "Split squat",
        "Front or goblet squat",
        "Step-up with knee drive",
        "Romanian deadlift",
    }
)  # S7

TEMPLATES = {  # S4
    "A": (
        "force + control",
        (
            "Trap-bar deadlift",
            "Split squat",
            "Straight-knee calf raise",
            "Nordic hamstring curl",
            "Pallof press",
        ),
    ),
    "B": (
        "single leg + stiffness",
        (
            "Front or goblet squat",
            "Step-up with knee drive",
            "Romanian deadlift",
            "Bent-knee (soleus) calf raise",
            "Lateral hip: side-lying abduction",
        ),
    ),
}
MAIN_LIFT = {"A": "Trap-bar deadlift", "B": "Front or goblet squat"}
OFFSEASON_EXTRA = ("Chest press", "Row")  # S4: push/pull
CORE = ("Plank", "Side plank", "Dead bug")  # S4
UPPER_VARIANT = ("Push-up or chest press", "Row", "Pallof press", "Plank", "Side plank", "Dead bug")
PLYOS = (Exercise("Pogo hops", "3", "20 contacts"), Exercise("Bounding", "3", "6 per leg"))


@dataclass(frozen=True)
class Dose:
    sets: str
    reps: str
    rpe: str
    rpe_top: int
    rest: str
    load: str
    minutes: int


DOSES = {  # S2
    Phase.OFFSEASON: Dose(
        "3", "6-8", "7-8 (1-2 reps in reserve, 70-80% effort)", 8, "2 min", "heavy, total body", 60
    ),
    Phase.BASE: Dose("3-4", "10-12", "6-7", 7, "60-90 s", "moderate, hypertrophy", 60),
    Phase.STRENGTH: Dose("3-5", "4-6", "8-9", 9, "2-3 min", "heavy", 55),
    Phase.RACE_SPECIFIC: Dose("2-3", "6-8", "7", 7, "2 min", "moderate", 50),
    Phase.TAPER: Dose(
        "1-2", "3-5", "5-6", 6, "2 min", "light to moderate, fast controlled reps", 35
    ),
    Phase.RECOVERY: Dose("2", "8-10", "4-5", 5, "60 s", "light", 30),
}
DELOAD_SETS = {Phase.BASE: "2-3", Phase.STRENGTH: "2-3"}  # P7: volume -30 to 40%
UPPER_MINUTES = 40


@dataclass(frozen=True)
class StrengthRx:
    template: str
    phase: Phase
    title: str
    exercises: tuple[Exercise, ...]
    upper_exercises: tuple[Exercise, ...]
    dose: Dose
    notes: tuple[str, ...]
    reasons: tuple[Reason, ...]
    minutes: int
    heavy_lower: bool

    # Rendered once per prescription (prescriptions are cached and shared across sessions).
    full_text: str = ""
    upper_text: str = ""

    def body(self, *, upper: bool = False) -> str:
        return self.upper_text if upper else self.full_text


def _render(exercises: tuple[Exercise, ...], dose: Dose | None, notes: tuple[str, ...]) -> str:
    head = (
        f"Effort RPE {dose.rpe}; rest {dose.rest}; load {dose.load}."
        if dose
        else "Upper body and core only: legs rest from heavy work today."
    )
    return "\n".join([head, *(f"- {e.line()}" for e in exercises), *notes])


def strength_rx(week: WeekPlan, template: str, athlete: Athlete) -> StrengthRx:
    """The prescription depends on a handful of the week's facts only; plans for many athletes
    share them, so they are cached."""
    cycle = (week.block_week or week.start.isocalendar()[1]) % 4
    return _rx(
        week.phase,
        week.deload,
        week.block_week,
        week.build_weeks,
        cycle,
        template,
        athlete.experienced,
    )


@lru_cache(maxsize=4096)
def _rx(
    phase: Phase,
    deload: bool,
    block_week: int,
    build_weeks: int,
    cycle: int,
    template: str,
    experienced: bool,
) -> StrengthRx:
    dose = DOSES[phase]
    sets = DELOAD_SETS.get(phase, dose.sets) if deload else dose.sets
    name, lifts = TEMPLATES[template]
    exercises = [Exercise(lift, sets, dose.reps) for lift in lifts]
    reasons = [
        Reason(
            "S2",
            f"{phase.value}: {dose.sets} x {dose.reps} at RPE {dose.rpe}, rest {dose.rest}",
            "prescription",
        ),
        Reason("S4", f"template {template} ({name})", "prescription"),
    ]
    notes: list[str] = []
    if phase is Phase.OFFSEASON:
        exercises += [Exercise(e, sets, dose.reps) for e in OFFSEASON_EXTRA]
        exercises += [Exercise(e, "2-3", "30-45 s") for e in CORE]
        reasons.append(Reason("S4", "offseason adds push/pull and core", "prescription"))
    if phase is Phase.RACE_SPECIFIC:
        notes.append("Calf/soleus work matters most now: do both calf raises slowly.")
    plyos = _plyos_allowed(phase, block_week, build_weeks, experienced)
    if plyos:
        exercises += list(PLYOS)
        reasons.append(Reason("S6", "plyometrics allowed in this phase", "prescription"))
    elif phase in (Phase.BASE, Phase.OFFSEASON, Phase.RACE_SPECIFIC):
        reasons.append(Reason("S6", _no_plyo_reason(phase, experienced), "prescription"))
    progression = _progression(phase, deload, cycle, template)
    if progression:
        notes.append(progression[1])
        reasons.append(Reason(progression[0], progression[1], "prescription"))
    upper = tuple(Exercise(e, "2-3", "30-45 s" if e in CORE else "8-12") for e in UPPER_VARIANT)
    heavy = any(e.name in MAIN_LOWER_LIFTS for e in exercises) and (
        dose.rpe_top >= 7 or phase is Phase.STRENGTH
    )
    reasons.append(
        Reason(
            "S7", "heavy lower-body session" if heavy else "not heavy lower-body", "prescription"
        )
    )
    title = f"Strength {template} - {name}"
    if phase is Phase.RECOVERY:
        title = f"Recovery strength {template} - light"
    elif phase is Phase.TAPER:
        title = f"Strength {template} - taper, light and fast"
    return StrengthRx(
        template=template,
        phase=phase,
        title=title,
        exercises=tuple(exercises),
        upper_exercises=upper,
        dose=dose,
        notes=tuple(notes),
        reasons=tuple(reasons),
        minutes=dose.minutes,
        heavy_lower=heavy,
        full_text=_render(tuple(exercises), dose, tuple(notes)),
        upper_text=_render(upper, None, ()),
    )


def _plyos_allowed(phase: Phase, block_week: int, build_weeks: int, experienced: bool) -> bool:
    """S6: race-specific yes, base/offseason only for the experienced, never with heavy lifting
    at peak mileage, which R5's growth reaches from the third race-specific week on."""
    if phase is Phase.RACE_SPECIFIC:
        return block_week - build_weeks <= 2
    if phase is Phase.BASE:
        return experienced
    return False


def _no_plyo_reason(phase: Phase, experienced: bool) -> str:
    if phase is Phase.RACE_SPECIFIC:
        return "no plyometrics with heavy lifting at peak mileage"
    if phase is Phase.BASE and not experienced:
        return "no plyometrics in base unless experienced"
    return "no plyometrics in the offseason"


def _progression(phase: Phase, deload: bool, cycle: int, template: str) -> tuple[str, str] | None:
    """S5 on the main lift; P7 on deload weeks."""
    if deload:
        return ("P7", "Deload week: one set fewer on every lift, same load.")
    if phase not in (Phase.OFFSEASON, Phase.BASE, Phase.STRENGTH, Phase.RACE_SPECIFIC):
        return None
    lift = MAIN_LIFT[template]
    if cycle == 3:
        return ("S5", f"{lift}: add one set this week (week 3 of the 4-week cycle).")
    return (
        "S5",
        f"{lift}: add 2.5-5% to last week's load if you recovered well "
        "(+5-10 lb lower body, +2.5-5 lb upper body).",
    )
