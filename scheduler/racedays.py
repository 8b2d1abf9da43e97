"""The days around races (P5, P9, P10): which days may hold no run, one short easy run, or no key
run. Races in, one rule per date out. The run prescriptions read it to size a week (how many
runs, which slot a race takes) and placement reads it to choose days, so the two agree.

Rules are ints ordered by strength; where two races' days meet, the stronger rule holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from scheduler.model import DistanceClass, Priority, Race

FREE = 0
NO_KEY = 1  # easy running only: no key run, no strides (P5's easy days, a race's neighbours, L4)
RECOVERY = 2  # the day after a race: one short recovery run at most (P5)
SHAKEOUT = 3  # the day before an A or B race: one short easy run at most (P10)
NO_RUN = 4  # the days after a marathon or longer (P9)
RACE = 5

# P5: a B race's mini-taper is 3-4 days with no key run; the longer one before a half or more.
MINI_TAPER_DAYS = {
    DistanceClass.SHORT: 3,
    DistanceClass.HALF: 4,
    DistanceClass.MARATHON: 4,
    DistanceClass.ULTRA: 4,
}
# P5: 3-5 easy days after a B race, more the longer it was (Daniels' "one easy day per 3 km
# raced" rounds to 2 after a 5K and 7 after a half; P5 keeps them inside 3-5).
EASY_DAYS_AFTER = {
    DistanceClass.SHORT: 3,
    DistanceClass.HALF: 4,
    DistanceClass.MARATHON: 5,
    DistanceClass.ULTRA: 5,
}
# P9: no running for 2-3 days after a marathon or longer (Pfitzinger & Douglas, Advanced
# Marathoning: rest or cross-train the first days); the top of the range.
NO_RUN_DAYS_AFTER = 3
LONG_RACES = frozenset({DistanceClass.MARATHON, DistanceClass.ULTRA})


def race_rules(race: Race) -> list[tuple[int, int]]:
    """(days from the race day, rule) for one race."""
    cls = race.distance_class
    out = [(0, RACE), (-1, NO_KEY), (1, NO_KEY)]  # L4: a race is a hard day
    after = 1
    if cls in LONG_RACES:
        out.extend((n, NO_RUN) for n in range(1, NO_RUN_DAYS_AFTER + 1))
        after = NO_RUN_DAYS_AFTER + 1
    elif race.priority is not Priority.C:
        out.append((1, RECOVERY))
        after = 2
    if race.priority is not Priority.C:
        # P10: only easy running the day before (a B race's mini-taper; before an A race the
        # taper already asks no more than a shakeout).
        out.append((-1, SHAKEOUT))
    if race.priority is Priority.A:
        # P9: the rest of an A race's week is easy; its recovery weeks are easy by prescription.
        out.extend((n, NO_KEY) for n in range(after, 7 - race.date.weekday()))
    elif race.priority is not Priority.C:
        out.extend((-n, NO_KEY) for n in range(2, MINI_TAPER_DAYS[cls] + 1))
        out.extend((n, NO_KEY) for n in range(after, EASY_DAYS_AFTER[cls] + 1))
    return out


def day_rules(races: Iterable[Race]) -> dict[date, int]:
    """The strongest rule on each date near a race; dates not in the answer are FREE."""
    out: dict[date, int] = {}
    for race in races:
        for offset, rule in race_rules(race):
            day = race.date + timedelta(days=offset)
            if out.get(day, FREE) < rule:
                out[day] = rule
    return out
