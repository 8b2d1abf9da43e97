"""Weekly running volume and long-run length (R4, R5, with P7 deloads, P8 offseason, P9
recovery and the P2 taper): numbers only, derived from a week's place in its block so they
never depend on the day the plan is computed."""

from __future__ import annotations

import math

from scheduler.model import Athlete, DistanceClass, Phase, WeekPlan

# R5: peak weekly volume by distance, never more than PEAK_CAP_RATIO x the athlete's volume.
PEAK_KM = {
    DistanceClass.SHORT: 45.0,
    DistanceClass.HALF: 55.0,
    DistanceClass.MARATHON: 70.0,
    DistanceClass.ULTRA: 85.0,
}
PEAK_CAP_RATIO = 1.5
GROWTH = 1.10  # R5: at most ~10% a week
DELOAD = 0.70  # P7 / R5: volume -30%
OFFSEASON_VOLUME = 0.70  # P8 / R5: -30%
TAPER_DROP = {  # R5 / P2: total drop across the running taper, reached in race week
    DistanceClass.SHORT: 0.35,
    DistanceClass.HALF: 0.45,
    DistanceClass.MARATHON: 0.50,
    DistanceClass.ULTRA: 0.50,
}
RECOVERY_VOLUME = (0.40, 0.60)  # P9: weeks +1 and +2, share of the athlete's volume
# R4: long-run caps (km, minutes) per distance; the offseason caps like a 10K block.
LONG_CAP = {
    DistanceClass.SHORT: (18.0, 120),
    DistanceClass.HALF: (24.0, 150),
    DistanceClass.MARATHON: (34.0, 180),
    DistanceClass.ULTRA: (40.0, 240),
}
LONG_SHARE = 0.30
EASY_MAX_OF_LONG = 0.75
QUALITY_SHARE = 0.16


def round_km(km: float) -> float:
    return max(3.0, round(km * 2) / 2)


def minutes_for(km: float, pace_s: int, factor: float = 1.0) -> int:
    return max(20, math.ceil(km * pace_s * factor / 60 / 5) * 5)


def weekly_volume(week: WeekPlan, athlete: Athlete, cls: DistanceClass | None) -> float:
    """R5/P7/P8/P9: the week's planned running km, derived from its place in the block only,
    so a week's volume never depends on the day the plan is computed."""
    base = athlete.weekly_km
    off = base if athlete.offseason_maintenance else base * OFFSEASON_VOLUME
    if week.phase is Phase.OFFSEASON or cls is None:
        return off
    if week.phase is Phase.RECOVERY:
        return base * RECOVERY_VOLUME[min(max(week.rel or 1, 1), 2) - 1]
    peak = min(max(base, PEAK_KM[cls]), base * PEAK_CAP_RATIO)
    growth_weeks = _growth_index(week.block_week - 1, week.build_weeks)

    def nominal(n: int) -> float:
        return min(peak, off * GROWTH ** (n + 1))

    if week.deload:
        return DELOAD * nominal(growth_weeks - 1) if growth_weeks else DELOAD * off
    if week.run_taper:
        # The taper drops from the volume of the last week before it.
        last = week.block_week - week.run_taper - 1
        peak_reached = nominal(_growth_index(last, week.build_weeks)) if last >= 0 else off
        return peak_reached * (1 - TAPER_DROP[cls] * week.run_taper / week.run_taper_len)
    return nominal(growth_weeks)


def _growth_index(index: int, build_weeks: int) -> int:
    """Full (non-deload) block weeks before the 0-based week `index`: P7 deloads fall on every
    4th build week and do not count as growth."""
    return index - sum(1 for j in range(min(index, build_weeks)) if (j + 1) % 4 == 0)


def long_run_km(
    week: WeekPlan, athlete: Athlete, cls: DistanceClass | None, volume: float
) -> float:
    cap_km, cap_min = LONG_CAP[cls or DistanceClass.SHORT]
    by_time = cap_min * 60 / athlete.easy_pace_s_per_km
    return round_km(min(volume * LONG_SHARE, cap_km, by_time))


def volume_note(week: WeekPlan) -> str:
    if week.phase is Phase.OFFSEASON:
        return "offseason, 30% under your usual volume"
    if week.phase is Phase.RECOVERY:
        return "recovery after the race"
    if week.deload:
        return "deload week, -30%"
    if week.run_taper:
        return f"running taper week {week.run_taper} of {week.run_taper_len}"
    return "growing at most 10% a week"
