"""Strength prescriptions: templates A/B (S4), each exercise dosed by its role and the phase (S2,
the table in scheduler.doses), loads as RPE / reps in reserve or % of a tested 1RM in kg or lb
(S8), load progression (S5), plyometrics (S6), what counts as heavy lower-body work (S7), a
warm-up, and the session's length summed from what it holds.

Each prescription comes in variants placement may choose from: the full session; the same
lifts below heavy (RPE <= 6, no jumps) for a day next to a hard day or a key run, where L1/L4
rule heavy legs out; the upper-body + core stand-in for the day after a long run or race (L3)
and the long-run day (L11); and the short session for a week with no room for the full one
("keep one short session focused on calves, split squat and hinge" [004]), which L10 tries
before it drops a main session.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from scheduler.doses import Dose, Role, rest_text, session_minutes, span
from scheduler.exercises import (
    CORE,
    MAIN_LIFT,
    MAIN_LOWER_LIFTS,
    OFFSEASON_EXTRA,
    PLYOS,
    SHORT,
    TEMPLATES,
    UPPER_VARIANT,
    DoseFacts,
    dose_of,
    exercises_of,
    warm_up,
)
from scheduler.model import Athlete, Exercise, Phase, Reason, WeekPlan

LOAD_WORDS = {
    Phase.OFFSEASON: "heavy, total body",
    Phase.BASE: "moderate, hypertrophy",
    Phase.STRENGTH: "heavy",
    Phase.RACE_SPECIFIC: "moderate",
    Phase.TAPER: "light to moderate, fast controlled reps",
    Phase.RECOVERY: "light",
}
NOVICE_KM = 30.0


@dataclass(frozen=True)
class PhaseDose:
    """S2's headline for the phase: the main lifts' dose."""

    sets: str
    reps: str
    rpe: str
    rpe_top: int
    rest: str
    load: str


@dataclass(frozen=True)
class Variant:
    """One way to do the session: its warm-up and exercises, its length and its text."""

    name: str  # "full" | "short" | "upper"
    exercises: tuple[Exercise, ...]  # the warm-up first
    minutes: int
    text: str


@dataclass(frozen=True)
class StrengthRx:
    template: str
    phase: Phase
    title: str
    # The full session's exercises, warm-up left out.
    exercises: tuple[Exercise, ...]
    dose: PhaseDose
    notes: tuple[str, ...]
    reasons: tuple[Reason, ...]
    minutes: int
    heavy_lower: bool
    full: Variant
    short: Variant
    # The same session below heavy (S7) for a day where L1/L4 rule heavy legs out.
    light: Variant
    light_short: Variant
    upper: Variant

    def body(self, *, upper: bool = False) -> str:
        return self.upper.text if upper else self.full.text


def novice(athlete: Athlete) -> bool:
    """A runner on low volume who has not said they are experienced gets beginner loads."""
    return not athlete.experienced and athlete.weekly_km < NOVICE_KM


def strength_rx(
    week: WeekPlan, template: str, athlete: Athlete, *, light: bool = False
) -> StrengthRx:
    """The prescription depends on a handful of the week's and the athlete's facts only; plans
    for many athletes share them, so they are cached. `light`: a novice's second and third
    sessions of the week, kept below heavy (S7) so the week holds one heavy session."""
    cycle = (week.block_week or week.start.isocalendar()[1]) % 4
    return _rx(
        week.phase,
        week.deload,
        week.block_week,
        week.build_weeks,
        cycle,
        template,
        athlete.experienced,
        novice(athlete),
        light,
        "lb" if athlete.units == "imperial" else "kg",
        athlete.one_rep_max,
    )


def _variant(
    name: str, exercises: tuple[Exercise, ...], head: str, notes: tuple[str, ...]
) -> Variant:
    first = exercises[0].name
    everything = (warm_up(name, first), *exercises)
    minutes = session_minutes(everything)
    text = "\n".join(
        [f"{head} About {minutes} min.", *(f"- {e.line()}" for e in everything), *notes]
    )
    return Variant(name, everything, minutes, text)


@lru_cache(maxsize=4096)
def _rx(
    phase: Phase,
    deload: bool,
    block_week: int,
    build_weeks: int,
    cycle: int,
    template: str,
    experienced: bool,
    beginner: bool,
    light: bool,
    unit: str,
    one_rm: tuple[tuple[str, float], ...],
) -> StrengthRx:
    progression = _progression(phase, deload, cycle, template, unit)
    extra_set = progression is not None and progression[2]
    f = DoseFacts(phase, deload, extra_set, beginner, light, unit, dict(one_rm))
    name, lifts = TEMPLATES[template]
    main = dose_of(lifts[0], f, False)
    dose = _phase_dose(phase, main, light)
    reasons = [
        Reason(
            "S2",
            f"{phase.value}: {dose.sets} x {dose.reps} at RPE {dose.rpe}, rest {dose.rest} on "
            "the main lifts; calves, accessories and core dosed for what they are",
            "prescription",
        ),
        Reason("S4", f"template {template} ({name})", "prescription"),
    ]
    chosen = list(lifts)
    notes: list[str] = []
    if phase is Phase.OFFSEASON:
        chosen += [*OFFSEASON_EXTRA, *CORE]
        reasons.append(Reason("S4", "offseason adds push/pull and core", "prescription"))
    if phase is Phase.RACE_SPECIFIC:
        notes.append("Calf/soleus work matters most now: do both calf raises slowly.")
    if _plyos_allowed(phase, block_week, build_weeks, experienced) and not light:
        chosen += PLYOS
        reasons.append(Reason("S6", "plyometrics allowed in this phase", "prescription"))
    elif phase in (Phase.BASE, Phase.OFFSEASON, Phase.RACE_SPECIFIC):
        reasons.append(Reason("S6", _no_plyo_reason(phase, experienced, light), "prescription"))
    if progression:
        notes.append(progression[1])
        reasons.append(Reason(progression[0], progression[1], "prescription"))
    if beginner or light:
        notes.append(_novice_note(light))
        reasons.append(Reason("S2", _novice_note(light), "prescription"))
    exercises = exercises_of(tuple(chosen), f)
    heavy = _heavy(exercises, phase, light)
    reasons.append(
        Reason(
            "S7", "heavy lower-body session" if heavy else "not heavy lower-body", "prescription"
        )
    )
    if one_rm:
        reasons.append(Reason("S8", "loads from your tested 1RM", "prescription"))
    title = f"Strength {template} - {name}"
    if phase is Phase.RECOVERY:
        title = f"Recovery strength {template} - light"
    elif phase is Phase.TAPER:
        title = f"Strength {template} - taper, light and fast"
    elif light:
        title = f"Strength {template} - light technique"
    head = f"Main lifts at RPE {dose.rpe}, rest {dose.rest}; load {dose.load}."
    short_notes = tuple(n for n in notes if progression is None or n != progression[1])
    full = _variant("full", exercises, head, tuple(notes))
    short = _variant(
        "short", exercises_of(SHORT[template], f, short=True), _short_head(head), short_notes
    )
    if light:
        light_full, light_short = full, short
    else:
        # A hard day or a key run next to this one (L1/L4): the legs still work, below heavy.
        fl = DoseFacts(phase, deload, extra_set, beginner, True, unit, dict(one_rm))
        light_dose = _phase_dose(phase, dose_of(lifts[0], fl, False), True)
        light_head = (
            f"Light legs today (a hard day is next to it): main lifts at RPE {light_dose.rpe}, "
            f"rest {light_dose.rest}."
        )
        plain = tuple(lift for lift in chosen if lift.role is not Role.PLYO)
        light_full = _variant("light", exercises_of(plain, fl), light_head, short_notes)
        light_short = _variant(
            "light_short",
            exercises_of(SHORT[template], fl, short=True),
            _short_head(light_head),
            short_notes,
        )
    upper = _variant(
        "upper",
        exercises_of(UPPER_VARIANT, f),
        "Upper body and core only: legs rest from heavy work today.",
        (),
    )
    return StrengthRx(
        template=template,
        phase=phase,
        title=title,
        exercises=exercises,
        dose=dose,
        notes=tuple(notes),
        reasons=tuple(reasons),
        minutes=full.minutes,
        heavy_lower=heavy,
        full=full,
        short=short,
        light=light_full,
        light_short=light_short,
        upper=upper,
    )


def _short_head(head: str) -> str:
    return f"Short session (a busy week): {head[0].lower()}{head[1:]}"


def _phase_dose(phase: Phase, main: Dose, light: bool) -> PhaseDose:
    rir = main.rir or (0, 0)
    return PhaseDose(
        sets=span(main.sets),
        reps=span(main.reps),
        rpe=span((10 - rir[1], 10 - rir[0])),
        rpe_top=10 - rir[0],
        rest=rest_text(main.rest_s),
        load="light, technique first" if light else LOAD_WORDS[phase],
    )


def _heavy(exercises: tuple[Exercise, ...], phase: Phase, light: bool) -> bool:
    """S7: a main lower-body lift at RPE >= 7, or at the strength phase's heavy dose (a light
    session of a novice's week does not take that dose)."""
    for e in exercises:
        if e.name not in MAIN_LOWER_LIFTS:
            continue
        if phase is Phase.STRENGTH and not light:
            return True
        if e.effort and _rpe_top(e.effort) >= 7:
            return True
    return False


def _rpe_top(effort: str) -> int:
    """The top of "RPE a-b" in an effort text."""
    text = effort.split("RPE ", 1)[1].split(" ", 1)[0].rstrip(",")
    return int(text.rsplit("-", 1)[-1])


def _novice_note(light: bool) -> str:
    if light:
        return (
            "Light technique session: stop 4 reps short of failure; the week's other session is "
            "the heavy one."
        )
    return "New to lifting: stop 3 reps short of failure and keep every rep clean; technique first."


def _plyos_allowed(phase: Phase, block_week: int, build_weeks: int, experienced: bool) -> bool:
    """S6: race-specific yes, base/offseason only for the experienced, never with heavy lifting
    at peak mileage, which R5's growth reaches from the third race-specific week on."""
    if phase is Phase.RACE_SPECIFIC:
        return block_week - build_weeks <= 2
    if phase is Phase.BASE:
        return experienced
    return False


def _no_plyo_reason(phase: Phase, experienced: bool, light: bool) -> str:
    if light:
        return "no plyometrics in a light technique session"
    if phase is Phase.RACE_SPECIFIC:
        return "no plyometrics with heavy lifting at peak mileage"
    if phase is Phase.BASE and not experienced:
        return "no plyometrics in base unless experienced"
    return "no plyometrics in the offseason"


def _progression(
    phase: Phase, deload: bool, cycle: int, template: str, unit: str
) -> tuple[str, str, bool] | None:
    """S5 on the main lift (its rule, its note, whether it adds a set); P7 on deload weeks."""
    if deload:
        return ("P7", "Deload week: one set fewer on every lift, same load.", False)
    if phase not in (Phase.OFFSEASON, Phase.BASE, Phase.STRENGTH, Phase.RACE_SPECIFIC):
        return None
    lift = MAIN_LIFT[template]
    if cycle == 3:
        return ("S5", f"{lift}: add one set this week (week 3 of the 4-week cycle).", True)
    # [000] gives the steps in pounds; in kilograms they round to plates of 1-2.5 kg.
    steps = (
        "+5-10 lb lower body, +2.5-5 lb upper body"
        if unit == "lb"
        else ("+2.5-5 kg lower body, +1-2.5 kg upper body")
    )
    return (
        "S5",
        f"{lift}: add 2.5-5% to last week's load if you recovered well ({steps}).",
        False,
    )
