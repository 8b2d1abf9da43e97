"""Phased weeks -> session specs (the S and R rules): what to do, not yet when.

A spec knows its stable key, its prescription and how much it is worth (L10); placement picks
its day and time and may swap a strength session for its upper-body variant (L3).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from scheduler.model import (
    Athlete,
    Block,
    DistanceClass,
    Exercise,
    Phase,
    PlacedSession,
    Race,
    Reason,
    WeekPlan,
)
from scheduler.paces import Paces, goal_race, paces_for
from scheduler.periodize import OFFSEASON, monday, taper_days
from scheduler.racedays import FREE, day_rules
from scheduler.results import ResultsRead, read_results
from scheduler.runs import RunRx, RunShape, run_prescriptions, run_shape
from scheduler.runweek import KEY_RUN_TYPES, run_phase
from scheduler.strength import StrengthRx, novice, strength_rx

# L10 values of strength: accessory strength goes first, then easy runs, then main strength,
# key runs last (run values in scheduler.runs).
VALUE_ACCESSORY = 1
VALUE_MAIN_STRENGTH = 3

FREE_WEEK = (FREE,) * 7

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
    # A run's weekday when it is tied to one (the short runs around a race, a back-to-back run).
    weekday: int | None = None
    # R8: a run's workout steps.
    steps: tuple[Block, ...] = ()
    # A run's phase when it is not the week's: P1's strength taper is longer than the running
    # taper (P2), and a run before the running taper is race-specific.
    phase: Phase | None = None
    # The running taper's first day and the race day, for a run in a week the taper touches:
    # the run's phase follows the day it lands on (P2 counts the taper in days).
    taper: tuple[date, date] | None = None

    @property
    def heavy_lower(self) -> bool:
        return self.strength is not None and self.strength.heavy_lower

    def placed(
        self,
        start: datetime,
        end: datetime,
        reasons: tuple[Reason, ...],
        heavy: bool,
        key_run: bool,
        title: str | None = None,
        description: str | None = None,
        origin: str = "planned",
        exercises: tuple[Exercise, ...] = (),
    ) -> PlacedSession:
        week = self.week
        phase = self.phase or week.phase
        if self.taper is not None:
            first, race_day = self.taper
            day = start.date()
            phase = (
                Phase.RECOVERY
                if day > race_day
                else Phase.TAPER
                if day >= first
                else Phase.RACE_SPECIFIC
            )
        # Positional, in PlacedSession's field order: this runs once per placed session and
        # keyword passing costs a third more.
        return PlacedSession(
            self.key,
            self.kind,
            self.type,
            self.slot,
            phase,
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
            self.steps,
            exercises or (self.strength.full.exercises if self.strength else ()),
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


def _strength_count(week: WeekPlan, athlete: Athlete) -> int:
    count = STRENGTH_PER_WEEK[week.phase]
    if week.phase is Phase.OFFSEASON and athlete.offseason_maintenance:
        count = 2
    if week.phase in (Phase.TAPER, Phase.RECOVERY):
        return count
    # S1: the athlete's max may clamp the count, but two stays the floor.
    return min(count, max(2, athlete.max_strength_per_week))


class StrengthSlot(NamedTuple):
    """One strength session of a week, everything but its key; `reasons` follow the week's
    phase reasons."""

    slot: str
    type: str
    value: int
    rx: StrengthRx
    reasons: tuple[Reason, ...]


class SpecBuilder:
    """Every session each week of one athlete's plan asks for, before placement. Weeks of the
    same shape (most offseason weeks) share their prescriptions, so those are worked out once
    per shape; only the keys and the week's phase reasons differ."""

    def __init__(self, athlete: Athlete, races: dict[str, Race], today: date | None = None) -> None:
        self.athlete = athlete
        self.races = races
        # R7: without a race result, this race's goal stands in for fitness in every week.
        self.goal_race = goal_race(races.values(), today)
        # R7: the newest believable result of a race run by today sets current fitness.
        self.results: ResultsRead = (
            read_results(athlete, races.values(), today, self.goal_race)
            if today is not None
            else ResultsRead(None, ())
        )
        # P5/P9/P10: the days around races, and the Mondays of the weeks they touch.
        self.day_rules = day_rules(races.values())
        self._ruled_weeks = {monday(day) for day in self.day_rules}
        self._runs: dict[
            tuple[RunShape, DistanceClass | None, tuple[int, ...], int], tuple[RunRx, ...]
        ] = {}
        self._paces: dict[str, tuple[Paces, int]] = {}
        self._pace_ids: dict[Paces, int] = {}
        self._lifts: dict[tuple[Phase, bool, int, int, int, int], tuple[StrengthSlot, ...]] = {}

    def week(self, week: WeekPlan) -> tuple[SessionSpec, ...]:
        athlete = self.athlete
        prefix = _key_prefix(week)
        specs: list[SessionSpec] = []
        if not athlete.runs_from_calendar:
            cls = anchor_class(week, self.races)
            rules = self.week_rules(week.start)
            # The anchor race sets race pace (R7): weeks share runs when their paces agree.
            paces, paces_id = self.paces(week.anchor)
            shape = (run_shape(week), cls, rules, paces_id)
            runs = self._runs.get(shape)
            if runs is None:
                runs = self._runs[shape] = run_prescriptions(week, athlete, cls, rules, paces)
            phase_reasons = week.reasons
            phase = run_phase(week, cls)
            taper = None
            if week.run_taper and cls is not None and week.race_offset is not None:
                race_day = week.start + timedelta(days=week.race_offset)
                days = taper_days(cls, race_day.weekday())
                taper = (race_day - timedelta(days=days), race_day)
            specs.extend(
                SessionSpec(
                    key=prefix + r.slot,
                    kind="run",
                    type=r.type,
                    slot=r.slot,
                    week=week,
                    minutes=r.minutes,
                    key_run=r.key_run,
                    value=r.value,
                    title=r.title,
                    description=r.description,
                    reasons=(*phase_reasons, *r.reasons),
                    distance_km=r.distance_km,
                    steps=r.steps,
                    weekday=r.weekday,
                    phase=phase,
                    taper=taper,
                )
                for r in runs
            )
        specs.extend(
            SessionSpec(
                key=prefix + lift.slot,
                kind="strength",
                type=lift.type,
                slot=lift.slot,
                week=week,
                minutes=lift.rx.minutes,
                key_run=False,
                value=lift.value,
                title=lift.rx.title,
                description=lift.rx.body(),
                reasons=(*week.reasons, *lift.reasons),
                strength=lift.rx,
            )
            for lift in self._strength(week)
        )
        return tuple(specs)

    def paces(self, anchor: str) -> tuple[Paces, int]:
        """R7: the athlete's paces for the block of the race `anchor` names (a goal on it sets
        race pace), or without a race; and a number equal for equal paces."""
        known = self._paces.get(anchor)
        if known is None:
            paces = paces_for(
                self.athlete, self.races.get(anchor), self.goal_race, self.results.result
            )
            paces_id = self._pace_ids.setdefault(paces, len(self._pace_ids))
            known = self._paces[anchor] = (paces, paces_id)
        return known

    def week_rules(self, start: date) -> tuple[int, ...]:
        """The day rules (scheduler.racedays) of the week from Monday `start`, by weekday."""
        if start not in self._ruled_weeks:
            return FREE_WEEK
        rules = self.day_rules
        return tuple([rules.get(start + timedelta(days=i), FREE) for i in range(7)])

    def _strength(self, week: WeekPlan) -> tuple[StrengthSlot, ...]:
        # What strength_slots reads from the week: S3's A/B parity and S5's 4-week cycle
        # count ISO weeks outside a block.
        rel, block_week = week.rel, week.block_week
        iso = week.start.isocalendar()[1] if rel is None or not block_week else 0
        parity = iso % 2 if rel is None else rel % 2
        shape = (
            week.phase,
            week.deload,
            block_week,
            week.build_weeks,
            (block_week or iso) % 4,
            parity,
        )
        lifts = self._lifts.get(shape)
        if lifts is None:
            lifts = self._lifts[shape] = strength_slots(week, self.athlete)
        return lifts


def week_specs(week: WeekPlan, athlete: Athlete, races: dict[str, Race]) -> tuple[SessionSpec, ...]:
    """Every session the week asks for, before placement."""
    return SpecBuilder(athlete, races).week(week)


def strength_slots(week: WeekPlan, athlete: Athlete) -> tuple[StrengthSlot, ...]:
    """S1's count of sessions, alternating A and B (S3), each with its prescription."""
    count = _strength_count(week, athlete)
    parity = week.start.isocalendar()[1] % 2 if week.rel is None else week.rel % 2
    # S3: alternate A and B; three a week run ABA then BAB.
    order = {3: ("ABA", "BAB"), 2: ("AB", "AB"), 1: ("A", "B")}[count][parity]
    why = _strength_reasons(count, week.phase, order)
    slots = []
    beginner = novice(athlete)
    for n, template in enumerate(order, start=1):
        # A novice's week holds one heavy session; the others are light (S7).
        rx = strength_rx(week, template, athlete, light=beginner and n > 1)
        slots.append(
            StrengthSlot(
                slot=STRENGTH_SLOTS[n - 1],
                type=f"strength-{template.lower()}",
                value=VALUE_ACCESSORY if n == 3 else VALUE_MAIN_STRENGTH,
                rx=rx,
                reasons=(*why, *rx.reasons),
            )
        )
    return tuple(slots)


STRENGTH_SLOTS = ("strength-1", "strength-2", "strength-3")


@lru_cache(maxsize=64)
def _strength_reasons(count: int, phase: Phase, order: str) -> tuple[Reason, Reason]:
    return (
        Reason("S1", f"{count} strength session(s) a week in {phase.value}", "prescription"),
        Reason("S3", f"sessions alternate A and B: this week {'-'.join(order)}", "prescription"),
    )


__all__ = [
    "KEY_RUN_TYPES",
    "SessionSpec",
    "SpecBuilder",
    "anchor_class",
    "session_key",
    "week_specs",
]
