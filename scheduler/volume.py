"""Weekly running volume and long-run length (R4, R5, R9, R10, P7-P11 and the P2/P10 taper):
numbers only, derived from a week's place in its block and the athlete, so they never depend on
the day the plan is computed.

A block grows from the athlete's base to a peak derived from their current volume, their run
days and the race distance, and holds it for the last full weeks before the taper (3-5 weeks
out). Growth is counted in full weeks (R10): a deload, a week holding another race or a recovery
week is a drop the next week returns from, not a step to grow from. The taper falls day by day,
counted back from the race day (P2, P10).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

from scheduler.model import Athlete, DistanceClass, Phase, Priority, WeekPlan
from scheduler.periodize import taper_days
from scheduler.racedays import LONG_RACES, NO_RUN_DAYS_AFTER

# R5: weekly volume grows at most ~10% a week, R4: the long run 10-15%. Planned a little under
# those ceilings, so the workouts' rounding (whole repeats, 5-minute blocks) never passes them.
GROWTH = 1.08
LONG_GROWTH = 1.12
DELOAD = 0.70  # P7 / R5: volume -30% [004]
# P5: a B race week's mini-taper (Pfitzinger & Douglas, Advanced Marathoning: tune-up race
# weeks run at about 75-85% of the weeks around them).
B_RACE_WEEK = 0.80
# P8 / P11: the offseason lowers intensity and keeps the base: 10% under the athlete's
# declared volume (the floor is 20% under), so block week 1 grows the 10% R5 allows back to it.
OFFSEASON_VOLUME = 0.90
MAINTENANCE_VOLUME = 1.0  # P4: unstructured maintenance holds the declared volume
# R5/R9: peak weekly volume as a multiple of the athlete's current volume. Pfitzinger's 18/55
# marathon plan starts at 33 miles a week and peaks at 55 (x1.67); his half plans go 1.4-1.5x,
# his 5K/10K plans ~1.3x (Faster Road Racing); ultra blocks go a little further (Koop, Training
# Essentials for Ultrarunning).
PEAK_RATIO = {
    DistanceClass.SHORT: 1.3,
    DistanceClass.HALF: 1.5,
    DistanceClass.MARATHON: 1.7,
    DistanceClass.ULTRA: 1.8,
}
# The peak racecal builds to at most, whatever the ratio: the top of the recreational plans
# those books print for each distance (km a week).
PEAK_MAX_KM = {
    DistanceClass.SHORT: 80.0,
    DistanceClass.HALF: 95.0,
    DistanceClass.MARATHON: 115.0,
    DistanceClass.ULTRA: 130.0,
}
# R5 over the block: the peak rises over the declared volume by at most one step per 4-week
# cycle (P7's rhythm) of the weeks before the taper, each step at most a mile (1.6 km) per run
# of the week and 10 miles (16 km) in all: Daniels (Daniels' Running Formula) holds a load 3-4
# weeks before raising it by no more than that. A 16-week marathon block on five days: three
# steps of 8 km, 45 -> 69 km (+53%), where the ratio alone gave 76.5 (+70%).
STEP_WEEKS = 4
STEP_KM_PER_RUN = 1.609
STEP_KM_MAX = 16.09
# The peak is reached this many full weeks before the last full week and held (peak 3-5 weeks
# out, Pfitzinger's peak weeks), so two or three peak long runs fall in the last 8 weeks.
PEAK_HOLD = 2
# R9: peak long run by distance: (km low, km high, minutes), whichever of km high and minutes
# comes first caps it.
LONG_BAND = {
    DistanceClass.SHORT: (14.0, 18.0, 90),
    DistanceClass.HALF: (18.0, 22.0, 150),
    DistanceClass.MARATHON: (30.0, 35.0, 180),
    DistanceClass.ULTRA: (35.0, 50.0, 300),
}
# R9: the long run's largest share of its week. Pfitzinger's 18/55 runs 20 miles in 50-mile
# weeks (40%); half and short plans keep it nearer a third. An ultra's weekend holds the long
# run and the back-to-back run after it (60% of it, scheduler.runs): 37.5% keeps the pair at
# 60% of the week, so a 6-day runner's midweek keeps its quality sessions and easy runs.
LONG_SHARE_MAX = {
    DistanceClass.SHORT: 0.35,
    DistanceClass.HALF: 0.40,
    DistanceClass.MARATHON: 0.42,
    DistanceClass.ULTRA: 0.375,
}
# R9 for runners whose peak week is small: the long run may take up to half the peak week to
# reach this length (Higdon's novice plans: a 20-mile long run in 40-mile marathon weeks, 10-12
# miles in 21-23-mile half weeks), and the peak week is planned big enough to hold it at that
# share where the block allows it. The half's rises from 16 km at 20 km a week to R9's 18 at
# 30 (FLOOR_KM_A_WEEK), where R9's 18-22 km band is owed: Higdon's novice half plans build
# runners of about 13 miles (21 km) a week to a 10-mile (16 km) long run, three quarters of
# the race, in weeks of about 21 miles (34 km).
LONG_FLOOR = {
    DistanceClass.SHORT: (0.0, 0.0),
    DistanceClass.HALF: (16.0, 18.0),
    DistanceClass.MARATHON: (30.0, 30.0),
    DistanceClass.ULTRA: (35.0, 35.0),
}
FLOOR_KM_A_WEEK = (20.0, 30.0)
LONG_SHARE_TOP = 0.50
LONG_START_SHARE = 0.30  # the long run at the start of a block, and in the offseason
# P11: the offseason long run keeps the base, up to a half marathon's long run.
OFFSEASON_LONG = (22.0, 150)
EASY_MAX_OF_LONG = 0.80  # R4/R9: other runs stay clearly under the long run
RUN_MAX_KM = 16.0  # a run other than the long one: beyond this it is a second long run
# A quality session's share of its week, within 6-16 km; the taper's sharpener is 70% of the
# last full week's, as fast (P10: intensity kept).
QUALITY_SHARE = 0.16
QUALITY_KM = (6.0, 16.0)
TAPER_QUALITY = 0.7
# P10: share of the pre-taper week's volume, per day, by taper week counted back from the race
# (the last six days first). Marathon and ultra: Pfitzinger & Douglas' three-week taper
# (Advanced Marathoning: -20-25%, -40%, -60% of peak), here -20%, -35%, -60% as P10 says
# (0.47 a day leaves the six days before a Sunday race at 40% of the peak). Half and 5K/10K:
# Pfitzinger & Latter's two-week taper for 5K to the half (Faster Road Racing), inside P2's
# shorter days, with intensity kept: the half -25% then -53%, 5K/10K -20% a day in its first
# days so the week the taper starts in runs at least 10% under the peak even when it holds
# only four taper days (a Sunday race), then -44% in the last six.
TAPER_LEVELS = {
    DistanceClass.SHORT: (0.65, 0.80),
    DistanceClass.HALF: (0.55, 0.75),
    DistanceClass.MARATHON: (0.47, 0.65, 0.80),
    DistanceClass.ULTRA: (0.47, 0.65, 0.80),
}
# P9: the two recovery weeks after an A race, as shares of the athlete's volume; the longer the
# race, the lower (Daniels: one easy day per 3 km raced).
RECOVERY_VOLUME = {
    DistanceClass.SHORT: (0.70, 0.85),
    DistanceClass.HALF: (0.60, 0.80),
    DistanceClass.MARATHON: (0.40, 0.60),
    DistanceClass.ULTRA: (0.35, 0.55),
}


# R3 scaled to the athlete: under 30 km a week, or under 40 without experience, one quality
# session besides the long run (Daniels' beginner plans: one quality day a week; Hansons'
# beginners start at ~30 miles before a second one).
LOW_VOLUME_KM = 30.0
NOVICE_VOLUME_KM = 40.0
QUALITY_PEAK = 2  # R3: quality sessions in a race-specific week, the block's peak weeks


def quality_cap(athlete: Athlete) -> int:
    """R3 scaled to the athlete: quality sessions a week besides the long run at most."""
    low = athlete.weekly_km < LOW_VOLUME_KM
    novice = not athlete.experienced and athlete.weekly_km < NOVICE_VOLUME_KM
    return 1 if low or novice else 2


class Build(NamedTuple):
    """One athlete's block for one distance: where it starts, where it peaks, how fast."""

    base: float  # the week before the block (offseason)
    start: float
    peak: float
    growth: float
    long_base: float
    long_start: float
    long_peak: float
    long_growth: float
    long_cap: float


class WeekLoad(NamedTuple):
    km: float  # the week's training volume, including the slot another race takes
    long_km: float  # the long run as the block designs it; 0 when the week has none
    long_cap: float  # how far the long run may grow when few run days must hold the week
    note: str
    quality_km: float
    long_peak: float = 0.0  # the block's peak long run (0 outside a block)


def quality_km(week_km: float) -> float:
    low, high = QUALITY_KM
    return min(max(week_km * QUALITY_SHARE, low), high)


def _load(km: float, long: float, cap: float, note: str, long_peak: float = 0.0) -> WeekLoad:
    return WeekLoad(km, long, cap, note, quality_km(km), long_peak)


def round_km(km: float) -> float:
    return max(3.0, round(km * 2) / 2)


def floor_km(km: float) -> float:
    """Caps round down, so a capped run never passes its cap."""
    return math.floor(km * 2) / 2


def ceil_km(km: float) -> float:
    return math.ceil(km * 2) / 2


def long_cap(cls: DistanceClass | None, pace_s: int) -> float:
    """R9: the longest long run, km or minutes at easy pace, whichever comes first."""
    km, minutes = OFFSEASON_LONG if cls is None else LONG_BAND[cls][1:]
    return floor_km(min(km, minutes * 60 / pace_s))


def offseason_km(athlete: Athlete) -> float:
    share = MAINTENANCE_VOLUME if athlete.offseason_maintenance else OFFSEASON_VOLUME
    return athlete.weekly_km * share


@lru_cache(maxsize=1024)
def build(
    weekly_km: float,
    pace_s: int,
    run_days: int,
    maintenance: bool,
    cls: DistanceClass,
    full_weeks: int,
    quality: int = QUALITY_PEAK,
    build_weeks: int = 0,
) -> Build:
    """R5/R9: the block's start and peak. The peak is the athlete's volume times the distance's
    ratio (or what the long run's floor needs), within what the block's length allows over the
    declared volume (`block_allows`), what the distance asks and what their run days hold
    (`holds`); the long run peaks at the distance's cap or its share of the peak week.
    `quality`: the quality sessions the athlete's race-specific weeks hold at most (R3);
    `build_weeks`: the block's base and strength weeks, where P7's deloads fall."""
    base = weekly_km * (MAINTENANCE_VOLUME if maintenance else OFFSEASON_VOLUME)
    start = min(weekly_km, base * GROWTH)
    cap = long_cap(cls, pace_s)
    floor = min(long_floor(cls, weekly_km), cap)
    wanted = max(weekly_km * PEAK_RATIO[cls], floor / LONG_SHARE_TOP)
    pre_taper = full_weeks + build_weeks // 4  # P7: a deload every 4th build week
    peak = min(wanted, PEAK_MAX_KM[cls], block_allows(weekly_km, run_days, pre_taper))
    for _ in range(3):  # holds() grows with the peak (the quality sessions' share): settle it
        peak = min(peak, holds(peak, cap, run_days, quality))
    peak = max(start, peak)
    long_base = min(long_cap(None, pace_s), LONG_START_SHARE * base)
    long_start = min(cap, LONG_START_SHARE * start, long_base * LONG_GROWTH)
    share = max(LONG_SHARE_MAX[cls] * peak, min(floor, LONG_SHARE_TOP * peak))
    long_peak = max(long_start, min(cap, floor_km(share)))
    steps = full_weeks - 1 - PEAK_HOLD
    growth, long_growth = GROWTH, LONG_GROWTH
    if steps >= 1:
        growth = min(GROWTH, (peak / start) ** (1 / steps))
        long_growth = min(LONG_GROWTH, (long_peak / long_start) ** (1 / steps))
    return Build(base, start, peak, growth, long_base, long_start, long_peak, long_growth, cap)


def long_floor(cls: DistanceClass, weekly_km: float) -> float:
    """R9: the least long run a block builds to, at up to half its peak week (LONG_FLOOR)."""
    low, high = LONG_FLOOR[cls]
    a, b = FLOOR_KM_A_WEEK
    return low + (high - low) * min(max((weekly_km - a) / (b - a), 0.0), 1.0)


def block_allows(weekly_km: float, run_days: int, pre_taper_weeks: int) -> float:
    """R5 over the block (Daniels): the declared volume plus one step per STEP_WEEKS of the
    weeks before the taper."""
    step = min(STEP_KM_PER_RUN * run_days, STEP_KM_MAX)
    return weekly_km + pre_taper_weeks // STEP_WEEKS * step


def holds(peak: float, cap: float, run_days: int, quality: int) -> float:
    """What a peak week's runs can hold: the long run at its cap, the quality sessions at their
    share of the week (R3, no more than a race-specific week gets), the other runs at most
    RUN_MAX_KM and 80% of the long run. The taper steps down from this (P10), so a 3-day runner
    whose run days hold less than the planned peak still tapers from what they ran."""
    free = run_days - 1
    q = max(0, min(quality, free - (1 if free >= 2 else 0)))
    return cap + q * quality_km(peak) + (free - q) * min(RUN_MAX_KM, EASY_MAX_OF_LONG * cap)


def volume_at(b: Build, full: int) -> float:
    """The week after `full` full weeks of the block; -1 is the week before it."""
    return b.base if full < 0 else min(b.peak, b.start * b.growth**full)


def long_at(b: Build, full: int) -> float:
    return b.long_base if full < 0 else min(b.long_peak, b.long_start * b.long_growth**full)


def taper_level(cls: DistanceClass, days_out: int, taper: int) -> float:
    """P10: a day's share of the pre-taper volume, `days_out` days before the race, in a taper
    of `taper` days (P2, scheduler.periodize.taper_days)."""
    if days_out > taper:
        return 1.0
    levels = TAPER_LEVELS[cls]
    return levels[min(days_out // 7, len(levels) - 1)]


def other_race(week: WeekPlan) -> Priority | None:
    """The strongest priority of a race in the week other than its anchor (an A race sharing
    the anchor's week is raced like a B race, P6)."""
    found: Priority | None = None
    for race in week.races:
        if race.uid == week.anchor:
            continue
        if race.priority is not Priority.C:
            return Priority.B
        found = Priority.C
    return found


def week_load(
    week: WeekPlan, athlete: Athlete, cls: DistanceClass | None, long_pace_s: int | None = None
) -> WeekLoad:
    """R5/R10/P7-P11: the week's volume and long run from its place in the block; the long
    run's time cap counts at `long_pace_s` (the athlete's easy pace when not given)."""
    pace = long_pace_s or athlete.easy_pace_s_per_km
    other = other_race(week)
    if week.phase is Phase.OFFSEASON or cls is None:
        km = offseason_km(athlete) * (B_RACE_WEEK if other is Priority.B else 1.0)
        cap = long_cap(None, pace)
        note = "offseason: the base held, intensity down"
        return _load(km, min(cap, LONG_START_SHARE * km), cap, note)
    if week.phase is Phase.RECOVERY:
        rel = min(max(week.rel or 1, 1), 2)
        km = athlete.weekly_km * RECOVERY_VOLUME[cls][rel - 1]
        return _load(km, 0.0, 0.0, "recovery after the race")
    b = build(
        athlete.weekly_km,
        pace,
        len(athlete.run_days),
        athlete.offseason_maintenance,
        cls,
        week.full_weeks,
        min(QUALITY_PEAK, quality_cap(athlete)),
        week.build_weeks,
    )
    full = week.growth
    if week.run_taper:
        return _taper(week, athlete, cls, b)
    if week.deload:
        km, long = DELOAD * volume_at(b, full - 1), DELOAD * long_at(b, full - 1)
        return _load(km, long, b.long_cap, "deload week, -30%", b.long_peak)
    if other is Priority.B:
        km, long = B_RACE_WEEK * volume_at(b, full - 1), B_RACE_WEEK * long_at(b, full - 1)
        return _load(km, long, b.long_cap, "B race week: a mini-taper", b.long_peak)
    if other is Priority.C:
        note = "C race week: trained through at last week's level"
        km, long = volume_at(b, full - 1), long_at(b, full - 1)
        return _load(km, long, b.long_cap, note, b.long_peak)
    km = volume_at(b, full)
    note = "peak volume, held before the taper" if km >= b.peak else "growing at most 10% a week"
    return _load(km, long_at(b, full), b.long_cap, note, b.long_peak)


def _taper(week: WeekPlan, athlete: Athlete, cls: DistanceClass, b: Build) -> WeekLoad:
    """P2/P10: each day before the race holds its taper share of the last full week; the days
    after it are recovery (none at all after a marathon or longer, P9)."""
    pre_km = volume_at(b, week.growth - 1)
    offset = week.race_offset or 0
    days = taper_days(cls, offset % 7)
    # The race week's days after the race run recovery volume, never more than the block ran.
    after = min(athlete.weekly_km, b.peak) * RECOVERY_VOLUME[cls][0] / 7
    km = 0.0
    for day in range(7):
        out = offset - day
        if out > 0:
            km += pre_km / 7 * taper_level(cls, out, days)
        elif out < 0 and not (cls in LONG_RACES and -out <= NO_RUN_DAYS_AFTER):
            km += after
    # The race is the race week's long run.
    long_out = offset - athlete.long_run_day
    level = taper_level(cls, long_out, days)
    long = long_at(b, week.growth - 1) * level if offset > 6 else 0.0
    note = f"running taper, the last {days} days before the race"
    # Quality sessions keep the last full week's length; the sharpener is TAPER_QUALITY of it.
    q_km = quality_km(pre_km)
    return WeekLoad(km, long if long_out > 0 else 0.0, b.long_cap, note, q_km, b.long_peak)


def weekly_volume(week: WeekPlan, athlete: Athlete, cls: DistanceClass | None) -> float:
    """R5: the week's planned running km (see `week_load`)."""
    return week_load(week, athlete, cls).km
