"""Run prescriptions (the R rules): how a week's running volume splits into a long run,
quality sessions and easy runs, with the text and reasons each carries. What to run, not yet
when, and not yet which week's keys. Each run is a structured workout (scheduler.workouts, R8)
at the athlete's paces (scheduler.paces, R7); `run_rx` derives a run's minutes, distance,
title and text from its steps.
"""

from __future__ import annotations

from typing import NamedTuple, TypeAlias

from scheduler.model import Athlete, Block, DistanceClass, Phase, Reason, WeekPlan
from scheduler.paces import Paces, paces_for
from scheduler.volume import (
    EASY_MAX_OF_LONG,
    QUALITY_SHARE,
    long_run_km,
    round_km,
    volume_note,
    weekly_volume,
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

# Reasons whose text never varies, built once rather than per session.
RECOVERY_EASY = Reason("P9", "recovery: easy runs only", "prescription")
KEY_QUALITY = Reason("R2", "a key run", "prescription")
NOT_KEY_QUALITY = Reason("R2", "not a key run (strides)", "prescription")
RUN_DAY = Reason("R1", "one of your run days", "prescription")
FROM_STEPS = Reason(
    "R8", "distance, duration and booked time are the sums of the steps", "prescription"
)
EASY_SLOTS = tuple(f"easy-{n}" for n in range(1, 8))

# The week's facts a run prescription depends on, besides the athlete and the race distance:
# weeks that agree on these (most offseason weeks do) get the same runs.
RunShape: TypeAlias = tuple[Phase, int | None, int, int, bool, int, int]


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
    return (
        week.phase,
        rel,
        week.block_week,
        week.build_weeks,
        week.deload,
        week.run_taper,
        week.run_taper_len,
    )


def run_phase(week: WeekPlan) -> Phase:
    """The strength taper (P1) is longer than the running one (P2): until the running taper
    starts, the runs stay race-specific."""
    if week.phase is Phase.TAPER and week.run_taper == 0:
        return Phase.RACE_SPECIFIC
    return week.phase


def quality_types(phase: Phase, cls: DistanceClass | None) -> tuple[str, ...]:
    """R3: which workouts, in order of importance."""
    if phase is Phase.BASE:
        return ("strides",)
    if phase is Phase.STRENGTH:
        return ("intervals",)
    if phase is Phase.TAPER:
        return ("intervals",) if cls is DistanceClass.SHORT else ("race_pace",)
    if phase is Phase.RACE_SPECIFIC:
        return {
            DistanceClass.SHORT: ("intervals", "tempo"),
            DistanceClass.HALF: ("tempo", "race_pace"),
            DistanceClass.MARATHON: ("race_pace", "tempo"),
            DistanceClass.ULTRA: ("tempo", "hills"),
        }[cls or DistanceClass.SHORT]
    return ()


def run_prescriptions(
    week: WeekPlan,
    athlete: Athlete,
    cls: DistanceClass | None,
    run_days: int,
    paces: Paces | None = None,
) -> tuple[RunRx, ...]:
    """The week's runs: the long run, R3's quality sessions, then easy runs sharing the rest
    of the volume. Reads only what `run_shape` names from the week; `paces` (R7) default to
    the athlete's without a race."""
    if paces is None:
        paces = paces_for(athlete, None)
    volume = weekly_volume(week, athlete, cls)
    phase = run_phase(week)
    vol_reason = Reason("R5", f"week volume {volume:.0f} km ({volume_note(week)})", "prescription")
    progress = max(week.block_week - 1, 0) // 2
    long_km = long_run_km(week, athlete, cls, volume)
    recovery = week.phase is Phase.RECOVERY
    if recovery:
        long_reasons: tuple[Reason, ...] = (RECOVERY_EASY, vol_reason)
    else:
        long_reasons = (
            Reason(
                "R4",
                f"long run {long_km:g} km: ~30% of the week, capped for the distance",
                "prescription",
            ),
            vol_reason,
        )
    long = workout_for(
        "easy" if recovery else "long", long_km, paces, phase=phase, cls=cls, progress=progress
    )
    runs = [
        run_rx(
            "long",
            long,
            key_run=not recovery,
            value=VALUE_EASY if recovery else VALUE_LONG,
            reasons=(*long_reasons, *pace_reasons(paces, long.type)),
        )
    ]
    used_km = long.km
    budget = max(run_days - 1, 0)
    # Keep one easy run when the week has room for it.
    q_count = min(QUALITY[phase], budget - 1 if budget >= 2 else budget)
    q_types = quality_types(phase, cls)[:q_count]
    for n, q_type in enumerate(q_types, start=1):
        km = round_km(min(max(volume * QUALITY_SHARE, 6.0), 16.0))
        if phase is Phase.TAPER:
            km = round_km(km * 0.7)
        workout = workout_for(
            q_type, km, paces, phase=phase, cls=cls, progress=progress, week_km=volume
        )
        key_run = q_type in KEY_RUN_TYPES
        runs.append(
            run_rx(
                f"q{n}",
                workout,
                key_run=key_run,
                value=VALUE_QUALITY,
                reasons=(
                    Reason(
                        "R3",
                        f"{len(q_types)} quality session(s) in {phase.value} weeks",
                        "prescription",
                    ),
                    KEY_QUALITY if key_run else NOT_KEY_QUALITY,
                    vol_reason,
                    *pace_reasons(paces, q_type),
                ),
            )
        )
        used_km += workout.km
    easy_count = max(budget - len(q_types), 0)
    if not easy_count:
        return tuple(runs)
    share = (volume - used_km) / easy_count
    # R4: the long run stays the week's longest; with few run days the week runs short of its
    # volume rather than turning an easy run into a second long run.
    easy_km = round_km(min(share, long_km * EASY_MAX_OF_LONG))
    easy = run_rx(
        "",
        workout_for("easy", easy_km, paces, phase=phase, cls=cls),
        key_run=False,
        value=VALUE_EASY,
        reasons=(
            RUN_DAY,
            Reason("R5", f"easy runs share the rest of the week's {volume:.0f} km", "prescription"),
            *pace_reasons(paces, "easy"),
        ),
    )
    runs.extend(easy._replace(slot=slot) for slot in EASY_SLOTS[:easy_count])
    return tuple(runs)
