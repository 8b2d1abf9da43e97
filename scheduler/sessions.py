"""Phased weeks -> session specs (the S and R rules): what to do, not yet when.

A spec knows its stable key, its prescription and how much it is worth (L10); placement picks
its day and time and may swap a strength session for its upper-body variant (L3).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from scheduler.model import (
    Athlete,
    DistanceClass,
    Phase,
    PlacedSession,
    Race,
    Reason,
    WeekPlan,
)
from scheduler.periodize import OFFSEASON
from scheduler.strength import StrengthRx, strength_rx
from scheduler.volume import (
    EASY_MAX_OF_LONG,
    QUALITY_SHARE,
    long_run_km,
    minutes_for,
    round_km,
    volume_note,
    weekly_volume,
)

# L10 values: accessory strength goes first, then easy runs, then main strength, key runs last.
VALUE_ACCESSORY = 1
VALUE_EASY = 2
VALUE_MAIN_STRENGTH = 3
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
# S1: strength sessions a week by phase.
STRENGTH_PER_WEEK = {
    Phase.OFFSEASON: 3,
    Phase.BASE: 3,
    Phase.STRENGTH: 2,
    Phase.RACE_SPECIFIC: 2,
    Phase.TAPER: 1,
    Phase.RECOVERY: 1,
}


class SessionSpec(NamedTuple):
    """Immutable like the model's values; a named tuple because a plan builds hundreds of
    these and a frozen dataclass costs several times as much to create."""

    key: str
    kind: str  # "run" | "strength"
    type: str
    slot: str
    week: WeekPlan
    minutes: int
    key_run: bool
    value: int
    title: str
    description: str
    reasons: tuple[Reason, ...]
    distance_km: float | None = None
    strength: StrengthRx | None = None
    # A run's weekday when it is tied to one (easy runs live on their run day, L7/L8).
    weekday: int | None = None

    @property
    def heavy_lower(self) -> bool:
        return self.strength is not None and self.strength.heavy_lower

    def placed(
        self,
        start: datetime,
        end: datetime,
        reasons: tuple[Reason, ...],
        *,
        heavy: bool,
        key_run: bool,
        title: str | None = None,
        description: str | None = None,
        origin: str = "planned",
    ) -> PlacedSession:
        week = self.week
        # Positional, in PlacedSession's field order: this runs once per placed session and
        # keyword passing costs a third more.
        return PlacedSession(
            self.key,
            self.kind,
            self.type,
            self.slot,
            week.phase,
            week.start,
            week.anchor,
            week.rel,
            start,
            end,
            heavy,
            key_run,
            title or self.title,
            description or self.description,
            (*self.reasons, *reasons),
            self.distance_km,
            origin,
        )


def session_key(week: WeekPlan, slot: str) -> str:
    """Stable identity: (race uid | offseason, week relative to the race, slot). Offseason weeks
    are named by ISO week so a far race moving does not rename them."""
    return _key_prefix(week) + slot


def _key_prefix(week: WeekPlan) -> str:
    """What every key of the week starts with; the slot follows."""
    if week.anchor == OFFSEASON or week.rel is None:
        year, number, _ = week.start.isocalendar()
        return f"{OFFSEASON}/{year}-W{number:02d}/"
    return f"{week.anchor}/w{week.rel:+03d}/"


def anchor_class(week: WeekPlan, races: dict[str, Race]) -> DistanceClass | None:
    race = races.get(week.anchor)
    return race.distance_class if race else None


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


def _strength_count(week: WeekPlan, athlete: Athlete) -> int:
    count = STRENGTH_PER_WEEK[week.phase]
    if week.phase is Phase.OFFSEASON and athlete.offseason_maintenance:
        count = 2
    if week.phase in (Phase.TAPER, Phase.RECOVERY):
        return count
    # S1: the athlete's max may clamp the count, but two stays the floor.
    return min(count, max(2, athlete.max_strength_per_week))


def week_specs(week: WeekPlan, athlete: Athlete, races: dict[str, Race]) -> tuple[SessionSpec, ...]:
    """Every session the week asks for, before placement."""
    cls = anchor_class(week, races)
    specs: list[SessionSpec] = []
    if not athlete.runs_from_calendar:
        runs = _run_specs(week, athlete, cls, len(athlete.run_days))
        if week.races:
            replaced = replaced_slots(week, athlete, {s.slot for s in runs})
            runs = [s for s in runs if s.slot not in replaced]
        specs.extend(runs)
    specs.extend(_strength_specs(week, athlete))
    return tuple(specs)


def replaced_slots(week: WeekPlan, athlete: Athlete, slots: set[str]) -> dict[str, Race]:
    """P5/R2: a race is that week's key run. The A race and long races take the long run's
    place; a short B or C race replaces the week's first quality session unless it sits next
    to the long-run day."""
    replaced: dict[str, Race] = {}
    for race in week.races:
        near_long = abs(race.date.weekday() - athlete.long_run_day) <= 2
        takes_long = race.uid == week.anchor or race.distance_km >= 15.0 or near_long
        order = ("long", "q1") if takes_long else ("q1", "long")
        slot = next((s for s in order if s in slots and s not in replaced), None)
        if slot:
            replaced[slot] = race
    return replaced


# Reasons whose text never varies, built once rather than per session.
RECOVERY_EASY = Reason("P9", "recovery: easy runs only", "prescription")
KEY_QUALITY = Reason("R2", "a key run", "prescription")
NOT_KEY_QUALITY = Reason("R2", "not a key run (strides)", "prescription")
RUN_DAY = Reason("R1", "one of your run days", "prescription")


def _run_specs(
    week: WeekPlan, athlete: Athlete, cls: DistanceClass | None, run_days: int
) -> list[SessionSpec]:
    volume = weekly_volume(week, athlete, cls)
    phase = run_phase(week)
    vol_reason = Reason("R5", f"week volume {volume:.0f} km ({volume_note(week)})", "prescription")
    phase_reasons = week.reasons
    prefix = _key_prefix(week)
    pace = athlete.easy_pace_s_per_km
    specs: list[SessionSpec] = []
    long_km = long_run_km(week, athlete, cls, volume)
    recovery = week.phase is Phase.RECOVERY
    if recovery:
        long_reasons = (*phase_reasons, RECOVERY_EASY, vol_reason)
    else:
        long_reasons = (
            *phase_reasons,
            Reason(
                "R4",
                f"long run {long_km:g} km: ~30% of the week, capped for the distance",
                "prescription",
            ),
            vol_reason,
        )
    specs.append(
        SessionSpec(
            key=prefix + "long",
            kind="run",
            type="easy" if recovery else "long",
            slot="long",
            week=week,
            minutes=minutes_for(long_km, pace),
            key_run=not recovery,
            value=VALUE_EASY if recovery else VALUE_LONG,
            title=f"{'Easy' if recovery else 'Long'} run {long_km:g} km",
            description=f"{long_km:g} km at an easy, conversational pace.",
            reasons=long_reasons,
            distance_km=long_km,
        )
    )
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
        specs.append(
            SessionSpec(
                key=f"{prefix}q{n}",
                kind="run",
                type=q_type,
                slot=f"q{n}",
                week=week,
                minutes=minutes_for(km, pace, 0.95),
                key_run=key_run,
                value=VALUE_QUALITY,
                title=title,
                description=body,
                reasons=(
                    *phase_reasons,
                    _quality_count(len(q_types), phase),
                    KEY_QUALITY if key_run else NOT_KEY_QUALITY,
                    vol_reason,
                ),
                distance_km=km,
            )
        )
        used_km += km
    easy_count = max(budget - len(q_types), 0)
    if not easy_count:
        return specs
    share = (volume - used_km) / easy_count
    # R4: the long run stays the week's longest; with few run days the week runs short of its
    # volume rather than turning an easy run into a second long run.
    easy_km = round_km(min(share, long_km * EASY_MAX_OF_LONG))
    easy_reasons = (
        *phase_reasons,
        RUN_DAY,
        Reason("R5", f"easy runs share the rest of the week's {volume:.0f} km", "prescription"),
    )
    minutes = minutes_for(easy_km, pace)
    title = f"Easy run {easy_km:g} km"
    description = f"{easy_km:g} km easy. Conversational pace; walk breaks are fine."
    for slot in EASY_SLOTS[:easy_count]:
        specs.append(
            SessionSpec(
                key=prefix + slot,
                kind="run",
                type="easy",
                slot=slot,
                week=week,
                minutes=minutes,
                key_run=False,
                value=VALUE_EASY,
                title=title,
                description=description,
                reasons=easy_reasons,
                distance_km=easy_km,
            )
        )
    return specs


EASY_SLOTS = tuple(f"easy-{n}" for n in range(1, 8))


@lru_cache(maxsize=64)
def _quality_count(count: int, phase: Phase) -> Reason:
    return Reason("R3", f"{count} quality session(s) in {phase.value} weeks", "prescription")


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


def _strength_specs(week: WeekPlan, athlete: Athlete) -> list[SessionSpec]:
    count = _strength_count(week, athlete)
    parity = week.start.isocalendar()[1] % 2 if week.rel is None else week.rel % 2
    # S3: alternate A and B; three a week run ABA then BAB.
    order = {3: ("ABA", "BAB"), 2: ("AB", "AB"), 1: ("A", "B")}[count][parity]
    prefix = _key_prefix(week)
    why = _strength_reasons(count, week.phase, order)
    specs = []
    for n, template in enumerate(order, start=1):
        rx = strength_rx(week, template, athlete)
        slot = STRENGTH_SLOTS[n - 1]
        specs.append(
            SessionSpec(
                key=prefix + slot,
                kind="strength",
                type=f"strength-{template.lower()}",
                slot=slot,
                week=week,
                minutes=rx.minutes,
                key_run=False,
                value=VALUE_ACCESSORY if n == 3 else VALUE_MAIN_STRENGTH,
                title=rx.title,
                description=rx.body(),
                reasons=(*week.reasons, *why, *rx.reasons),
                strength=rx,
            )
        )
    return specs


STRENGTH_SLOTS = ("strength-1", "strength-2", "strength-3")


@lru_cache(maxsize=64)
def _strength_reasons(count: int, phase: Phase, order: str) -> tuple[Reason, Reason]:
    return (
        Reason("S1", f"{count} strength session(s) a week in {phase.value}", "prescription"),
        Reason("S3", f"sessions alternate A and B: this week {'-'.join(order)}", "prescription"),
    )
