"""The values the planner takes and returns: frozen dataclasses, no behaviour beyond derivation.

Weekdays are ints, 0 = Monday .. 6 = Sunday (``date.weekday()``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import NamedTuple


class PlanError(ValueError):
    """Input the planner cannot use; the message is one line naming the problem."""


class Priority(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class DistanceClass(StrEnum):
    SHORT = "5k-10k"
    HALF = "half"
    MARATHON = "marathon"
    ULTRA = "ultra"


def distance_class(km: float) -> DistanceClass:
    """Bucket a race distance into the classes P2 scales the block by."""
    if km <= 15.0:
        return DistanceClass.SHORT
    if km <= 30.0:
        return DistanceClass.HALF
    if km <= 43.0:
        return DistanceClass.MARATHON
    return DistanceClass.ULTRA


class Outcome(StrEnum):
    """How a race ended, as its event says (R7): only a finish sets paces."""

    FINISHED = "finished"
    DNF = "dnf"
    DNS = "dns"


@dataclass(frozen=True)
class Finish:
    """A race's result written in its event ("result 1:41:22", "Zeit: 44:58", "DNF")."""

    outcome: Outcome
    # The finish time in seconds; None for DNF and DNS.
    seconds: int | None = None
    # The words it was read from, as the event has them.
    text: str = ""


@dataclass(frozen=True)
class Race:
    uid: str
    title: str
    date: dt.date
    distance_km: float
    priority: Priority
    location: str = ""
    # False when the priority came from the P5 default rather than a marker in the event.
    priority_explicit: bool = False
    # The day racecal first saw the race. P3 compresses the block against this day rather
    # than against `today`, so a compressed block keeps its phases as the weeks pass.
    planned_since: dt.date | None = None
    # R7: the finish time the athlete aims for ("goal 3:29", "Goal: sub 3:45"), in seconds.
    goal_s: int | None = None
    # R7: the result written in the event once it was run.
    finish: Finish | None = None

    @property
    def distance_class(self) -> DistanceClass:
        return distance_class(self.distance_km)


class Phase(StrEnum):
    OFFSEASON = "offseason"
    BASE = "base"
    STRENGTH = "strength"
    RACE_SPECIFIC = "race-specific"
    TAPER = "taper"
    RECOVERY = "recovery"


class Units(StrEnum):
    """How paces, distances and loads read to the athlete (R7, S8); the planner counts in km."""

    METRIC = "metric"
    IMPERIAL = "imperial"


class SameDayOrder(StrEnum):
    AUTO = "auto"
    LIFT_FIRST = "lift_first"
    RUN_FIRST = "run_first"


@dataclass(frozen=True)
class TimeWindow:
    """A local wall-clock window in which the athlete can train."""

    start: time
    end: time

    @property
    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)


@dataclass(frozen=True)
class Athlete:
    id: str
    timezone: str
    run_days: frozenset[int]
    long_run_day: int
    # windows[weekday] lists that day's windows, the preferred one first (L8).
    windows: tuple[tuple[TimeWindow, ...], ...]
    weekly_km: float = 40.0
    easy_pace_s_per_km: int = 360
    max_strength_per_week: int = 3
    same_day_order: SameDayOrder = SameDayOrder.AUTO
    experienced: bool = False
    # P4: "unstructured maintenance" instead of the P8 offseason when the runner asks for it.
    offseason_maintenance: bool = False
    # R6: the runs come from another app's calendar (`PlanRequest.external_runs`); racecal
    # only places strength, around them.
    runs_from_calendar: bool = False
    # R7: a recent race result (distance and finish time) sets the training paces.
    recent_race_km: float | None = None
    recent_race_s: int | None = None
    units: Units = Units.METRIC
    # R7: optional heart-rate zones, from the lactate-threshold HR when known, else the max HR.
    max_hr: int | None = None
    threshold_hr: int | None = None
    # L11 (soft, on by default): no heavy lower-body strength on the long-run day.
    no_heavy_legs_on_long_run_day: bool = True
    # S8: tested one-repetition maxima in kg by lift (keys in scheduler.strength.ONE_RM_LIFTS);
    # loads are then written as % of them as well as RPE.
    one_rep_max: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Interval:
    """A span of real time; both ends timezone-aware."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class ExternalRun:
    """A run the athlete already has in their calendar from another plan (R6)."""

    start: datetime
    end: datetime
    key_run: bool
    title: str = ""
    # What scheduler.runkinds read from it (a RunKind's value); "" when it names none.
    kind: str = ""
    # An event with no time of day: start and end are its local midnights, and the run is
    # "some time that day" (scheduler.external).
    all_day: bool = False
    # The calendar it came from, for the plan's readers.
    source: str = ""


class LifeKind(StrEnum):
    """What a marker event in a race or busy calendar says of its days (L13-L16)."""

    HOLIDAY = "holiday"
    TRAVEL = "travel"
    SICK = "sick"
    INJURED = "injured"
    NOSTRENGTH = "nostrength"


@dataclass(frozen=True)
class LifeEvent:
    """Days the athlete marked in a calendar (#holiday, #sick, ...): `first` to `last`, both
    local days and both covered."""

    kind: LifeKind
    first: date
    last: date
    # The words after the marker, as the event has them ("bodyweight").
    note: str = ""
    # `#travel bodyweight`: one bodyweight session may stand in for the days (L13).
    bodyweight: bool = False

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class Exercise:
    """One exercise of a strength session as the athlete reads it (S2, S8); the warm-up is one
    too (role "warm-up", its length in `reps`)."""

    name: str
    sets: str
    reps: str
    note: str = ""
    # "RPE 8-9 (1-2 reps in reserve)", or with a tested 1RM "100-107.5 kg (79-86% 1RM), ..."
    effort: str = ""
    rest: str = ""
    per_side: bool = False
    # What the exercise takes of the booked slot, its rests included.
    seconds: int = 0
    role: str = ""

    def line(self) -> str:
        if self.role == "warm-up":
            return f"{self.name} {self.reps}: {self.note}"
        reps = f"{self.reps}/side" if self.per_side else self.reps
        text = f"{self.name}: {self.sets} x {reps}"
        if self.effort:
            text += f" at {self.effort}"
        if self.note:
            text += f", {self.note}"
        if self.rest:
            text += f"; rest {self.rest}"
        return text


class Zone(StrEnum):
    """Training intensities (R7), slowest first; RACE is the A race's goal pace, which sits
    wherever the race distance puts it."""

    RECOVERY = "recovery"
    EASY = "easy"
    LONG = "long"
    MARATHON = "marathon"
    THRESHOLD = "threshold"
    INTERVAL = "interval"
    REPETITION = "repetition"
    RACE = "race"


class Step(NamedTuple):
    """One part of a workout (R8), run once per pass of its block. `by` says whether the
    distance or the time is prescribed; the other follows from the zone's target pace, so a
    step's km and seconds always agree."""

    kind: str  # "warmup" | "work" | "recovery" | "steady" | "cooldown"
    zone: Zone
    km: float
    seconds: int
    by: str  # "distance" | "time"
    # The zone's pace range, fastest first, in seconds per km; equal ends for a single pace.
    pace: tuple[int, int]
    rpe: int
    # Heart-rate range in beats per minute, when the athlete gave a max or threshold HR.
    hr: tuple[int, int] | None = None
    note: str = ""


class Block(NamedTuple):
    """Steps run `repeat` times in a row: a warm-up is one pass of one step, "6 x 800 m with
    400 m jog" is six passes of two."""

    repeat: int
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Reason:
    """One sentence of a session's explanation and the rule that decided it."""

    rule: str
    text: str
    # "phase", "prescription" or "placement": which question the reason answers.
    about: str


@dataclass(frozen=True)
class WeekPlan:
    """One Monday-to-Sunday week of the plan as periodization sees it."""

    start: date
    phase: Phase
    # The A race whose block or recovery holds the week, or "offseason".
    anchor: str
    # Weeks relative to the anchor race's week (0 = race week, -3 = three weeks before,
    # +1 = the first recovery week); None for offseason weeks.
    rel: int | None
    deload: bool
    # Races (any priority) whose date falls in this week.
    races: tuple[Race, ...]
    # Position among the weeks the running taper (P2, counted in days) touches: 1 = its first
    # week .. run_taper_len = race week; 0 outside it.
    run_taper: int
    run_taper_len: int
    # 1-based position inside the (possibly compressed) block, 0 outside a block; build_weeks is
    # the block's base + strength length, where P7 deloads fall.
    block_week: int
    build_weeks: int
    reasons: tuple[Reason, ...]
    # Days from this Monday to the anchor race's day (negative in its recovery weeks), so the
    # running taper is counted in days (P2); None in offseason weeks.
    race_offset: int | None = None
    # R10: full weeks of the block before this one (deloads, weeks holding another race and
    # the taper are not steps up), and the block's count of non-deload weeks before its taper.
    growth: int = 0
    full_weeks: int = 0


@dataclass(frozen=True)
class PlacedSession:
    key: str
    kind: str  # "run" | "strength"
    type: str
    slot: str
    phase: Phase
    week: date
    anchor: str
    rel_week: int | None
    start: datetime
    end: datetime
    heavy_lower: bool
    key_run: bool
    title: str
    description: str
    reasons: tuple[Reason, ...]
    distance_km: float | None = None
    # "planned": placed by the rules; "kept": carried over unchanged from the previous
    # placement because it already started (history) or was pinned by the athlete (L9).
    origin: str = "planned"
    # R8: a run's structured workout; its distance and duration are the sums of these.
    steps: tuple[Block, ...] = ()
    # A strength session's warm-up and exercises, the booked slot's length summed from them.
    exercises: tuple[Exercise, ...] = ()

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(sorted({r.rule for r in self.reasons}, key=_rule_order))


def _rule_order(rule: str) -> tuple[str, int]:
    return (rule[:1], int(rule[1:]) if rule[1:].isdigit() else 0)


@dataclass(frozen=True)
class PlanWarning:
    rule: str
    message: str
    week: date | None = None
    # The message with no race or session title in it (keys and dates name them instead), for
    # logs that must not carry calendar contents; "" when the message has no such form.
    plain: str = ""

    def line(self) -> str:
        return f"{self._where()}{self.message} ({self.rule})"

    def plain_line(self) -> str:
        """`line()` without titles."""
        return f"{self._where()}{self.plain or 'a plan warning'} ({self.rule})"

    def _where(self) -> str:
        return f"week of {self.week.isoformat()}: " if self.week else ""


@dataclass(frozen=True)
class PlanRequest:
    athlete: Athlete
    races: tuple[Race, ...]
    today: date
    weeks: int = 16
    busy: tuple[Interval, ...] = ()
    # The last placement, used as the stability hint (L8); sessions of it that start before
    # `now` are history and come back unchanged.
    previous: tuple[PlacedSession, ...] = ()
    # Sessions the athlete moved (L9): key -> where the athlete put it.
    pinned: tuple[tuple[str, Interval], ...] = ()
    # Sessions the athlete deleted (L9): never placed again.
    deleted: frozenset[str] = frozenset()
    external_runs: tuple[ExternalRun, ...] = ()
    # The moment before which nothing new is placed; defaults to the start of `today`.
    now: datetime | None = None
    # Holidays, sick days, injuries, travel and strength-free days from the calendars (L13-L16).
    life: tuple[LifeEvent, ...] = ()


@dataclass(frozen=True)
class ResultNote:
    """One race result as the plan judged it (R7): `verdict` is "applied" (it sets the paces),
    "older" (a newer one does), "off" (too far from what the athlete was predicted to run:
    reported, not applied), "impossible" (faster than world-record pace or slower than a
    walk), "not-used" (too long ago, or a distance the pace model does not cover), "dnf" or
    "dns" (recorded; paces never change)."""

    race_uid: str
    title: str
    date: date
    distance_km: float
    outcome: Outcome
    seconds: int | None
    verdict: str
    # The result's VDOT and the VDOT the plan held before it, when there is a time.
    vdot: float | None
    expected_vdot: float | None
    message: str
    # The message naming the race by its date, not its title (for logs; see PlanWarning).
    plain: str = ""


@dataclass(frozen=True)
class Fitness:
    """What the plan's paces come from (R7), for `status`, the page and `plan show --json`:
    the VDOT, the words naming its source, the fitness zones' paces (seconds per km, fastest
    first; race pace is each block's own) and every race result read."""

    vdot: float
    source: str
    zones: tuple[tuple[Zone, int, int], ...]
    results: tuple[ResultNote, ...] = ()
    units: Units = Units.METRIC


@dataclass(frozen=True)
class Plan:
    athlete_id: str
    timezone: str
    today: date
    weeks: tuple[WeekPlan, ...]
    sessions: tuple[PlacedSession, ...]
    warnings: tuple[PlanWarning, ...]
    races: tuple[Race, ...] = field(default=())
    fitness: Fitness | None = None
    # R6: the other app's runs the plan was placed around (never written by racecal).
    external_runs: tuple[ExternalRun, ...] = ()

    def session(self, key: str) -> PlacedSession | None:
        return next((s for s in self.sessions if s.key == key), None)
