"""Run prescriptions (the R rules): how a week's running volume splits into a long run,
quality sessions and easy runs, with the text and reasons each carries. What to run, not yet
when, and not yet which week's keys.
"""

from __future__ import annotations

from typing import NamedTuple, TypeAlias

from scheduler.model import Athlete, DistanceClass, Phase, Reason, WeekPlan
from scheduler.volume import (
    EASY_MAX_OF_LONG,
    QUALITY_SHARE,
    long_run_km,
    minutes_for,
    round_km,
    volume_note,
    weekly_volume,
)

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
    week: WeekPlan, athlete: Athlete, cls: DistanceClass | None, run_days: int
) -> tuple[RunRx, ...]:
    """The week's runs: the long run, R3's quality sessions, then easy runs sharing the rest
    of the volume. Reads only what `run_shape` names from the week."""
    volume = weekly_volume(week, athlete, cls)
    phase = run_phase(week)
    vol_reason = Reason("R5", f"week volume {volume:.0f} km ({volume_note(week)})", "prescription")
    pace = athlete.easy_pace_s_per_km
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
    runs = [
        RunRx(
            slot="long",
            type="easy" if recovery else "long",
            minutes=minutes_for(long_km, pace),
            key_run=not recovery,
            value=VALUE_EASY if recovery else VALUE_LONG,
            title=f"{'Easy' if recovery else 'Long'} run {long_km:g} km",
            description=f"{long_km:g} km at an easy, conversational pace.",
            reasons=long_reasons,
            distance_km=long_km,
        )
    ]
    used_km = long_km
    budget = max(run_days - 1, 0)
    # Keep one easy run when the week has room for it.
    q_count = min(QUALITY[phase], budget - 1 if budget >= 2 else budget)
    q_types = quality_types(phase, cls)[:q_count]
    for n, q_type in enumerate(q_types, start=1):
        km = round_km(min(max(volume * QUALITY_SHARE, 6.0), 16.0))
        if phase is Phase.TAPER:
            km = round_km(km * 0.7)
        title, body = _quality_text(q_type, km, week, cls)
        key_run = q_type in KEY_RUN_TYPES
        runs.append(
            RunRx(
                slot=f"q{n}",
                type=q_type,
                minutes=minutes_for(km, pace, 0.95),
                key_run=key_run,
                value=VALUE_QUALITY,
                title=title,
                description=body,
                reasons=(
                    Reason(
                        "R3",
                        f"{len(q_types)} quality session(s) in {phase.value} weeks",
                        "prescription",
                    ),
                    KEY_QUALITY if key_run else NOT_KEY_QUALITY,
                    vol_reason,
                ),
                distance_km=km,
            )
        )
        used_km += km
    easy_count = max(budget - len(q_types), 0)
    if not easy_count:
        return tuple(runs)
    share = (volume - used_km) / easy_count
    # R4: the long run stays the week's longest; with few run days the week runs short of its
    # volume rather than turning an easy run into a second long run.
    easy_km = round_km(min(share, long_km * EASY_MAX_OF_LONG))
    easy = RunRx(
        slot="",
        type="easy",
        minutes=minutes_for(easy_km, pace),
        key_run=False,
        value=VALUE_EASY,
        title=f"Easy run {easy_km:g} km",
        description=f"{easy_km:g} km easy. Conversational pace; walk breaks are fine.",
        reasons=(
            RUN_DAY,
            Reason("R5", f"easy runs share the rest of the week's {volume:.0f} km", "prescription"),
        ),
        distance_km=easy_km,
    )
    runs.extend(easy._replace(slot=slot) for slot in EASY_SLOTS[:easy_count])
    return tuple(runs)


def _quality_text(
    q_type: str, km: float, week: WeekPlan, cls: DistanceClass | None
) -> tuple[str, str]:
    reps = 4 + min(max(week.block_week - 1, 0) // 2, 4)
    race = {
        DistanceClass.SHORT: "10K",
        DistanceClass.HALF: "half marathon",
        DistanceClass.MARATHON: "marathon",
        DistanceClass.ULTRA: "ultra",
    }[cls or DistanceClass.SHORT]
    if q_type == "strides":
        return (
            f"Easy run {km:g} km + strides",
            f"{km:g} km easy, then 6 x 20 s strides (fast, relaxed) with full recovery.",
        )
    if q_type == "intervals":
        if week.phase is Phase.TAPER:
            return (
                "Sharpener 4 x 400 m",
                f"{km:g} km: 15 min easy, 4 x 400 m at 5K pace, 200 m jog, 10 min easy.",
            )
        return (
            f"Intervals {reps} x 800 m",
            f"{km:g} km: 15 min easy, {reps} x 800 m at 5K-10K pace with 400 m jog, 10 min easy.",
        )
    if q_type == "tempo":
        minutes = 15 + 5 * min(reps - 4, 3)
        return (
            f"Tempo run {km:g} km",
            f"{km:g} km: 15 min easy, {minutes} min at threshold (comfortably hard), 10 min easy.",
        )
    if q_type == "hills":
        return (
            f"Hill repeats {reps + 2} x 60 s",
            f"{km:g} km: 15 min easy, {reps + 2} x 60 s uphill hard, jog down, 10 min easy.",
        )
    at_pace = max(2.0, round_km(km * (0.35 if week.phase is Phase.TAPER else 0.55)))
    return (
        f"Race pace {km:g} km",
        f"{km:g} km with {at_pace:g} km at goal {race} pace in the middle.",
    )
