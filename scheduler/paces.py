"""Training paces by zone (R7): Daniels' VDOT from a race result or a goal, Riegel's formula for
race predictions, effort (RPE) and optional heart-rate zones. Pure arithmetic.

Sources
- Daniels, J. and Gilbert, J. (1979), *Oxygen Power: Performance Tables for Distance Runners*:
  the oxygen cost of running at v metres per minute,
  VO2 = -4.60 + 0.182258 v + 0.000104 v^2 (ml/kg/min), and the share of VO2max a runner holds
  for t minutes (the "drop-dead" curve),
  %max = 0.8 + 0.1894393 e^(-0.012778 t) + 0.2989558 e^(-0.1932605 t).
  A race of d metres in t minutes gives VDOT = VO2(d / t) / %max(t).
- Daniels, J., *Daniels' Running Formula*, 3rd ed. (Human Kinetics, 2014), Table 5.2
  ("Training intensities based on current VDOT"): E 59-74 % of VDOT, M the predicted marathon
  pace, T about 88 %, I 95-100 %, R faster than I. Each zone below is a share of VDOT turned
  into a pace by inverting the cost equation; the shares are fitted to Table 5.2 and
  tests/test_paces.py holds the model to it (within 2 s/km). Two fits are ours, not Daniels'
  words: the table runs marathons past ~3:15 at a lower share than the drop-dead curve gives
  (MARATHON_SLOWDOWN), and its R column follows VO2 = 1.012 x VDOT + 2.0.
  Heart rate as % of max HR is Daniels' (E 65-79, M 80-90, T 88-92, I 98-100).
- Pfitzinger, P. and Douglas, S., *Advanced Marathoning*, 2nd ed. (2009): long runs 10-20 %
  slower than marathon pace, recovery runs slower than general aerobic ones: the LONG zone is
  the faster part of E and RECOVERY the pace below E.
- Friel, J., *The Triathlete's Training Bible* (2009): running zones as % of the
  lactate-threshold heart rate (Z1 < 85, Z2 85-89, Z3 90-94, Z4 95-99, Z5a 100-102,
  Z5b 103-106).
- Riegel, P. S. (1981), "Athletic records and human endurance", *American Scientist* 69(3):
  T2 = T1 x (D2 / D1)^1.06.

Which input sets which pace (a common coaching approach, Daniels' rule "train at your current
fitness, not your goal"): the recent race result sets current fitness, hence E, L, T, I and R;
the goal time on the A race sets marathon pace (for a marathon) and race-pace work; with only a
goal, the goal stands in for fitness too; with neither, the athlete's declared easy pace is
mapped to the VDOT whose E pace it is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from scheduler.model import Athlete, DistanceClass, Priority, Race, Reason, Units, Zone

MILE_KM = 1.609344
VDOT_MIN, VDOT_MAX = 20.0, 90.0
RIEGEL_EXPONENT = 1.06
# Daniels' Table 5.2 slows marathon pace below the drop-dead curve's share for marathons past
# about 3:15: 0.00028 of VO2max per minute beyond 195 (fitted to the table, see module doc).
MARATHON_SLOWDOWN = (0.00028, 195.0)
# A goal more than this much faster than the result predicts is trained at this line: race-pace
# work the athlete cannot yet hold teaches nothing but failing.
GOAL_STRETCH = 0.05

# Shares of VDOT (VO2 in ml/kg/min = share x VDOT) at each zone's slow and fast end.
EASY_SLOW = 0.63
EASY_FAST = (0.746, -0.62)  # VO2 = 0.746 x VDOT - 0.62 (Table 5.2's E column, fast end)
RECOVERY_SLOW = 0.57
LONG_SLOW = 0.66
THRESHOLD = 0.881
INTERVAL = 0.975
REPETITION = (1.012, 2.0)  # VO2 = 1.012 x VDOT + 2.0 (Table 5.2's R column)

RPE = {
    Zone.RECOVERY: 2,
    Zone.EASY: 3,
    Zone.LONG: 4,
    Zone.MARATHON: 6,
    Zone.THRESHOLD: 7,
    Zone.INTERVAL: 8,
    Zone.REPETITION: 9,
}
RACE_RPE = {
    DistanceClass.SHORT: 9,
    DistanceClass.HALF: 7,
    DistanceClass.MARATHON: 6,
    DistanceClass.ULTRA: 5,
}
# Heart rate as shares of max HR (Daniels) and of threshold HR (Friel); none for R pace, whose
# repeats end before the heart rate catches up.
HR_OF_MAX: dict[Zone, tuple[float, float]] = {
    Zone.RECOVERY: (0.60, 0.70),
    Zone.EASY: (0.65, 0.79),
    Zone.LONG: (0.65, 0.79),
    Zone.MARATHON: (0.80, 0.90),
    Zone.THRESHOLD: (0.88, 0.92),
    Zone.INTERVAL: (0.98, 1.00),
}
HR_OF_THRESHOLD: dict[Zone, tuple[float, float]] = {
    Zone.RECOVERY: (0.75, 0.84),
    Zone.EASY: (0.85, 0.89),
    Zone.LONG: (0.85, 0.89),
    Zone.MARATHON: (0.90, 0.94),
    Zone.THRESHOLD: (0.95, 1.02),
    Zone.INTERVAL: (1.03, 1.06),
}
# Race pace's heart rate follows the zone the distance is raced in.
RACE_HR_ZONES = {
    DistanceClass.SHORT: (Zone.THRESHOLD, Zone.INTERVAL),
    DistanceClass.HALF: (Zone.MARATHON, Zone.THRESHOLD),
    DistanceClass.MARATHON: (Zone.MARATHON, Zone.MARATHON),
    DistanceClass.ULTRA: (Zone.LONG, Zone.LONG),
}
ZONES = (
    Zone.RECOVERY,
    Zone.EASY,
    Zone.LONG,
    Zone.MARATHON,
    Zone.THRESHOLD,
    Zone.INTERVAL,
    Zone.REPETITION,
    Zone.RACE,
)
_INDEX = {zone: n for n, zone in enumerate(ZONES)}


# -- the Daniels-Gilbert equations ---------------------------------------------------------
def oxygen_cost(v: float) -> float:
    """VO2 (ml/kg/min) of running at v metres per minute."""
    return -4.60 + 0.182258 * v + 0.000104 * v * v


def velocity_for(vo2: float) -> float:
    """The speed (m/min) whose oxygen cost is `vo2`: the cost equation solved for v."""
    a, b, c = 0.000104, 0.182258, -4.60 - vo2
    return (-b + math.sqrt(b * b - 4.0 * a * c)) / (2.0 * a)


def share_of_max(minutes: float) -> float:
    """The share of VO2max a runner holds for a race of `minutes` (the drop-dead curve)."""
    return (
        0.8 + 0.1894393 * math.exp(-0.012778 * minutes) + 0.2989558 * math.exp(-0.1932605 * minutes)
    )


def vdot(km: float, seconds: float) -> float:
    """Daniels' VDOT of a race of `km` run in `seconds`."""
    minutes = seconds / 60.0
    return oxygen_cost(km * 1000.0 / minutes) / share_of_max(minutes)


def race_seconds(of_vdot: float, km: float) -> float:
    """The race time VDOT predicts for `km` (the VDOT equation solved for time)."""
    return _race_minutes(of_vdot, km, 0.0) * 60.0


def _race_minutes(of_vdot: float, km: float, slowdown: float) -> float:
    lo, hi = 1.0, 3000.0
    metres = km * 1000.0
    for _ in range(42):  # 3000 min / 2^42: far below a second
        mid = (lo + hi) / 2.0
        share = share_of_max(mid) - slowdown * max(0.0, mid - MARATHON_SLOWDOWN[1])
        if metres / velocity_for(share * of_vdot) > mid:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def pace_for(vo2: float) -> float:
    """Seconds per km at the speed whose oxygen cost is `vo2`."""
    return 60000.0 / velocity_for(vo2)


def riegel(seconds: float, km: float, to_km: float) -> float:
    """Riegel's prediction for `to_km` from a race of `km` in `seconds`."""
    return seconds * math.pow(to_km / km, RIEGEL_EXPONENT)


def marathon_pace(of_vdot: float) -> float:
    """M pace (s/km): the predicted marathon, slowed as Table 5.2 slows it past ~3:15."""
    return _race_minutes(of_vdot, 42.195, MARATHON_SLOWDOWN[0]) * 60.0 / 42.195


@lru_cache(maxsize=64)
def vdot_for_easy_pace(pace_s: float) -> float:
    """The VDOT whose E pace range is centred on `pace_s` (the fallback without a result)."""
    lo, hi = VDOT_MIN, VDOT_MAX
    for _ in range(36):  # 70 VDOT / 2^36
        mid = (lo + hi) / 2.0
        if _easy_target(mid) > pace_s:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def _easy_target(of_vdot: float) -> float:
    return (pace_for(EASY_SLOW * of_vdot) + pace_for(_easy_fast(of_vdot))) / 2.0


def _easy_fast(of_vdot: float) -> float:
    return EASY_FAST[0] * of_vdot + EASY_FAST[1]


# -- paces by zone ---------------------------------------------------------------------------
class ZonePace(NamedTuple):
    zone: Zone
    # Seconds per km, fastest first; equal for the single-pace zones (M, T, I, R, race).
    fast: int
    slow: int
    rpe: int
    hr: tuple[int, int] | None

    @property
    def target(self) -> float:
        """The pace a step's time or distance is worked out at: the middle of the range."""
        return (self.fast + self.slow) / 2.0


class Result(NamedTuple):
    """The race result that sets current fitness (R7): the config's `recent_race`, or the
    newest believable result in the race calendar (scheduler.results); `source` names it."""

    km: float
    seconds: int
    source: str


class Paces(NamedTuple):
    vdot: float
    units: Units
    zones: tuple[ZonePace, ...]  # in ZONES order
    # R7: where the paces came from, for the run's "why" and `plan explain`: `reason` for the
    # fitness zones, `race_reason` for race pace (and marathon pace when a goal set it).
    reason: Reason
    race_reason: Reason | None = None

    def of(self, zone: Zone) -> ZonePace:
        return self.zones[_INDEX[zone]]


@lru_cache(maxsize=64)
def zone_paces(of_vdot: float) -> dict[Zone, tuple[float, float]]:
    """Each zone's (fast, slow) pace in s/km at `of_vdot`, before rounding; RACE not included.
    Cached (athletes plan several blocks at one fitness): copy before changing it."""
    easy_slow = pace_for(EASY_SLOW * of_vdot)
    easy_fast = pace_for(_easy_fast(of_vdot))
    m = marathon_pace(of_vdot)
    t = pace_for(THRESHOLD * of_vdot)
    i = pace_for(INTERVAL * of_vdot)
    r = pace_for(REPETITION[0] * of_vdot + REPETITION[1])
    return {
        Zone.RECOVERY: (easy_slow, pace_for(RECOVERY_SLOW * of_vdot)),
        Zone.EASY: (easy_fast, easy_slow),
        Zone.LONG: (easy_fast, pace_for(LONG_SLOW * of_vdot)),
        Zone.MARATHON: (m, m),
        Zone.THRESHOLD: (t, t),
        Zone.INTERVAL: (i, i),
        Zone.REPETITION: (r, r),
    }


def paces_for(
    athlete: Athlete, race: Race | None, stand_in: Race | None = None, result: Result | None = None
) -> Paces:
    """The athlete's paces for a block aimed at `race` (None: no race, as in the offseason).
    `result` (a race result from the calendar) wins over the config's recent result. Without
    either, the goal on `race`, else on `stand_in` (the athlete's A race with a goal, see
    `goal_race`), stands in for fitness, so the easy pace does not change when a block starts
    or ends."""
    result = result or recent_result(athlete)
    goal = race.goal_s if race is not None and race.goal_s else None
    proxy = race if goal is not None else stand_in
    if result is not None:
        fitness = vdot(result.km, result.seconds)
        source = result.source
    elif proxy is not None and proxy.goal_s:
        fitness = vdot(proxy.distance_km, proxy.goal_s)
        too = ", race pace too" if proxy is race else ""
        source = f"your goal {clock(proxy.goal_s)} for {proxy.title}{too}"
    else:
        fitness = vdot_for_easy_pace(athlete.easy_pace_s_per_km)
        source = f"your easy pace {pace_text(athlete.easy_pace_s_per_km, athlete.units)}"
    fitness = min(max(fitness, VDOT_MIN), VDOT_MAX)
    raw = dict(zone_paces(fitness))
    reason = Reason("R7", f"paces from {source} (VDOT {fitness:.1f}, Daniels)", "prescription")
    notes: list[str] = []
    if race is not None:
        race_pace, note = _race_pace(race, result, goal, fitness)
        notes.append(note)
        if race.distance_class is DistanceClass.MARATHON and goal is not None:
            # The goal sets marathon pace, kept between threshold and long-run pace so the
            # zones stay in order whatever the goal says.
            m = min(max(race_pace, raw[Zone.THRESHOLD][0] + 3.0), _mid(raw[Zone.LONG]) - 4.0)
            if m != race_pace:
                notes.append(f"marathon pace held at {pace_text(round(m), athlete.units)}")
            raw[Zone.MARATHON] = (m, m)
        raw[Zone.RACE] = (race_pace, race_pace)
    else:
        raw[Zone.RACE] = raw[Zone.MARATHON]
    hr = _hr_zones(athlete, race)
    zones = tuple(_zone_pace(zone, raw[zone], hr.get(zone), race) for zone in ZONES)
    race_reason = Reason("R7", ", ".join(notes), "prescription") if notes else None
    return Paces(fitness, athlete.units, zones, reason, race_reason)


def goal_race(races: Iterable[Race], today: date | None = None) -> Race | None:
    """The A race whose goal stands in for fitness without a result: the first one with a goal
    from `today` on, else the last one before it."""
    with_goal = sorted(
        (r for r in races if r.priority is Priority.A and r.goal_s), key=lambda r: (r.date, r.uid)
    )
    if not with_goal:
        return None
    if today is not None:
        ahead = [r for r in with_goal if r.date >= today]
        return ahead[0] if ahead else with_goal[-1]
    return with_goal[0]


def _race_pace(
    race: Race, result: Result | None, goal: int | None, fitness: float
) -> tuple[float, str]:
    # Named by distance, not title: weeks of races that agree on distance and goal share runs.
    km = race.distance_km
    name = race_name(km)
    if result is not None:
        predicted = riegel(result[1], result[0], km)
        note = f"your {race_name(result[0])} predicts {clock(predicted)} for the {name} (Riegel)"
    else:
        predicted = race_seconds(fitness, km)
        note = f"{clock(predicted)} predicted for the {name} (Daniels)"
    if goal is None:
        return predicted / km, f"race pace from the prediction: {note}"
    if result is None:
        return goal / km, f"race pace from your goal {clock(goal)}"
    if goal < predicted * (1.0 - GOAL_STRETCH):
        line = predicted * (1.0 - GOAL_STRETCH)
        return line / km, (
            f"{note}: your goal {clock(goal)} is more than {GOAL_STRETCH:.0%} beyond that, so "
            f"race-pace work runs at {clock(line)} pace until a race shows the fitness"
        )
    return goal / km, f"race pace from your goal {clock(goal)} ({note})"


def _mid(pair: tuple[float, float]) -> float:
    return (pair[0] + pair[1]) / 2.0


def _zone_pace(
    zone: Zone,
    pair: tuple[float, float],
    hr: tuple[int, int] | None,
    race: Race | None,
) -> ZonePace:
    fast, slow = pair
    if fast == slow:
        return ZonePace(zone, round(fast), round(fast), _rpe(zone, race), hr)
    # Ranges read in steps of 5 s, widened outwards so the range still holds the model's.
    return ZonePace(zone, int(fast // 5 * 5), int(math.ceil(slow / 5) * 5), _rpe(zone, race), hr)


def _rpe(zone: Zone, race: Race | None) -> int:
    if zone is Zone.RACE:
        return RACE_RPE[race.distance_class] if race is not None else RPE[Zone.MARATHON]
    return RPE[zone]


def _hr_zones(athlete: Athlete, race: Race | None) -> dict[Zone, tuple[int, int]]:
    if athlete.threshold_hr:
        base, shares = athlete.threshold_hr, HR_OF_THRESHOLD
    elif athlete.max_hr:
        base, shares = athlete.max_hr, HR_OF_MAX
    else:
        return {}
    out = {zone: (round(base * lo), round(base * hi)) for zone, (lo, hi) in shares.items()}
    if athlete.max_hr:
        # Never above the athlete's real maximum.
        top = athlete.max_hr
        out = {zone: (min(lo, top), min(hi, top)) for zone, (lo, hi) in out.items()}
    low, high = (
        RACE_HR_ZONES[race.distance_class] if race is not None else (Zone.MARATHON, Zone.MARATHON)
    )
    out[Zone.RACE] = (out[low][0], out[high][1])
    return out


def recent_result(athlete: Athlete) -> Result | None:
    """The config's `recent_race`, which has no date (see scheduler.results for how a result
    in the calendar takes over from it)."""
    km, seconds = athlete.recent_race_km, athlete.recent_race_s
    if km is None or seconds is None or km <= 0 or seconds <= 0:
        return None
    return Result(km, seconds, f"your {race_name(km)} in {clock(seconds)}")


def fitness_vdot(athlete: Athlete, stand_in: Race | None) -> float:
    """The VDOT the athlete trains at before any result from the calendar: the config's
    recent result, else the goal of `stand_in`, else the easy pace (as `paces_for`)."""
    result = recent_result(athlete)
    if result is not None:
        fitness = vdot(result.km, result.seconds)
    elif stand_in is not None and stand_in.goal_s:
        fitness = vdot(stand_in.distance_km, stand_in.goal_s)
    else:
        fitness = vdot_for_easy_pace(athlete.easy_pace_s_per_km)
    return min(max(fitness, VDOT_MIN), VDOT_MAX)


# -- text --------------------------------------------------------------------------------------
def per_unit(pace_s_per_km: float, units: Units) -> int:
    """Seconds per km, or per mile for imperial units."""
    return round(pace_s_per_km * MILE_KM) if units is Units.IMPERIAL else round(pace_s_per_km)


def unit_label(units: Units) -> str:
    return "/mi" if units is Units.IMPERIAL else "/km"


def pace_text(pace_s_per_km: float, units: Units) -> str:
    """ "5:45 /km" or "9:15 /mi"."""
    return f"{_mmss(per_unit(pace_s_per_km, units))} {unit_label(units)}"


def zone_text(zone: ZonePace, units: Units) -> str:
    """ "5:50-6:20 /km" for a range, "4:20 /km" for a single pace."""
    if zone.fast == zone.slow:
        return pace_text(zone.fast, units)
    fast, slow = per_unit(zone.fast, units), per_unit(zone.slow, units)
    if units is Units.IMPERIAL:
        fast, slow = fast // 5 * 5, -(-slow // 5) * 5
    return f"{_mmss(fast)}-{_mmss(slow)} {unit_label(units)}"


def _mmss(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def clock(seconds: float) -> str:
    """ "3:29:00" or "48:30"."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def race_name(km: float) -> str:
    for name, distance in (("5K", 5.0), ("10K", 10.0), ("half marathon", 21.0975)):
        if abs(km - distance) < 0.05:
            return name
    if abs(km - 42.195) < 0.1:
        return "marathon"
    return f"{km:g} km race"


__all__ = [
    "ZONES",
    "Paces",
    "Result",
    "ZonePace",
    "clock",
    "fitness_vdot",
    "goal_race",
    "marathon_pace",
    "pace_text",
    "paces_for",
    "race_name",
    "race_seconds",
    "recent_result",
    "riegel",
    "vdot",
    "vdot_for_easy_pace",
    "zone_paces",
    "zone_text",
]
