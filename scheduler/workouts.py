"""Structured workouts (R8): every run is steps (warm-up, repeats of work + recovery, steady
blocks, cool-down), each with a distance or a time and a pace zone (R7). A run's distance, its
duration, its booked minutes, its title and its calendar text are all derived from the steps,
so they cannot disagree.

`workout_for` is the one door: the run's type and its distance budget in, a Workout out. The
main sets follow Daniels' Running Formula (I-pace repeats of 3-5 minutes' effort, no more
than 8 % of the week at I; T-pace runs of 20 min steady or cruise intervals, no more than 10 %
at T) and Pfitzinger's marathon-pace long runs; warm-up and cool-down take what is left of the
distance budget, at least 2 km and 1.5 km (1.5 and 1 km when the budget is tight).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

from scheduler.model import Block, DistanceClass, Phase, Step, Units, Zone
from scheduler.paces import MILE_KM, Paces, ZonePace, zone_text

WARMUP_KM = 2.0
COOLDOWN_KM = 1.5
SHORTEST_RUN = 20  # booked minutes
INTERVAL_SHARE = 0.08  # Daniels: I-pace running <= 8 % of the week (and <= 10 km)
THRESHOLD_SHARE = 0.10  # Daniels: T-pace running <= 10 % of the week

PURPOSE = {
    "easy": "Aerobic base: easy running builds capillaries, mitochondria and durable legs "
    "without adding fatigue.",
    "recovery": "Recovery: gentle blood flow loosens the legs after hard days; slower is better.",
    "long": "Endurance: the week's longest run, easy throughout, builds fat use, glycogen "
    "stores and legs that last.",
    "long_mp": "Marathon rhythm: marathon pace late in a long run, on tired legs, as the race "
    "asks for it.",
    "time_on_feet": "Time on feet: hours of easy running, walking the steep climbs, prepare "
    "body and mind for the ultra.",
    "back_to_back": "Back-to-back: a second long day on tired legs, as the ultra's later hours "
    "will feel.",
    "shakeout": "Shakeout: loosen up for tomorrow's race; nothing fast.",
    "tempo": "Lactate threshold: comfortably hard running you could hold for about an hour "
    "raises the pace you can sustain.",
    "intervals": "VO2max: hard repeats of 3-5 minutes' effort raise your aerobic ceiling.",
    "sharpener": "Sharpening: a few short, fast repeats keep the legs quick while the taper "
    "sheds fatigue.",
    "hills": "Strength and economy: short uphill efforts build power and form with little impact.",
    "strides": "Economy: short, relaxed accelerations keep form and leg speed without fatigue.",
    "race_pace": "Race rehearsal: time at goal race pace teaches rhythm, fuelling and confidence.",
}
ZONE_WORDS = {
    Zone.RECOVERY: "very easy",
    Zone.EASY: "easy",
    Zone.LONG: "easy",
    Zone.MARATHON: "marathon pace",
    Zone.THRESHOLD: "threshold",
    Zone.INTERVAL: "interval pace",
    Zone.REPETITION: "repetition pace",
    Zone.RACE: "goal race pace",
}
RACE_WORDS = {
    DistanceClass.SHORT: "10K",
    DistanceClass.HALF: "half marathon",
    DistanceClass.MARATHON: "marathon",
    DistanceClass.ULTRA: "ultra",
}


UPHILL = "uphill, hard by effort"


class Workout(NamedTuple):
    type: str
    title: str  # "Intervals 6 x 800 m, 11.5 km": the name with the steps' total
    purpose: str
    blocks: tuple[Block, ...]
    km: float
    seconds: int
    units: Units

    @property
    def minutes(self) -> int:
        """The booked slot: the steps' duration, rounded up to 5 minutes."""
        return max(SHORTEST_RUN, math.ceil(self.seconds / 300) * 5)

    def lines(self) -> list[str]:
        """The calendar text: one line per block, the total, then the purpose."""
        lines = [block_text(b, self.units) for b in self.blocks]
        lines.append(
            f"Total {distance_text(self.km, self.units)}, about {duration_text(self.seconds)}."
        )
        lines.append(f"Purpose: {self.purpose}")
        return lines


# -- building steps --------------------------------------------------------------------------
def step(
    paces: Paces,
    kind: str,
    zone: Zone,
    *,
    km: float = 0.0,
    seconds: int = 0,
    note: str = "",
) -> Step:
    """A step by distance (`km`) or by time (`seconds`); the other follows from the pace."""
    z = paces.of(zone)
    pace = (z.fast, z.slow)
    if seconds:
        return Step(
            kind, zone, round(seconds / z.target, 2), seconds, "time", pace, z.rpe, z.hr, note
        )
    km = round(float(km), 2)
    return Step(kind, zone, km, round(km * z.target), "distance", pace, z.rpe, z.hr, note)


def once(s: Step) -> Block:
    return Block(1, (s,))


def build(
    run_type: str, name: str, blocks: list[Block], paces: Paces, purpose: str = ""
) -> Workout:
    """The workout of `blocks`; `name` is the title with "{total}" where the distance goes."""
    km = round(blocks_km(blocks), 1)
    seconds = 0
    for b in blocks:
        for s in b.steps:
            seconds += b.repeat * s.seconds
    purpose = PURPOSE.get(purpose or run_type, PURPOSE["easy"])
    title = name.replace("{total}", distance_text(km, paces.units))
    return Workout(run_type, title, purpose, tuple(blocks), km, seconds, paces.units)


def blocks_km(blocks: list[Block]) -> float:
    # A float loop rather than sum(): the compiled planner types sum() of floats as int.
    total = 0.0
    for b in blocks:
        for s in b.steps:
            total += b.repeat * s.km
    return total


def half_km(km: float) -> float:
    return round(km * 2) / 2


def framed(
    run_type: str, name: str, main: list[Block], km: float, paces: Paces, purpose: str = ""
) -> Workout:
    """Warm-up + `main` + cool-down, the two easy ends sharing what the main set leaves of the
    `km` budget (at least WARMUP_KM and COOLDOWN_KM)."""
    main_km = blocks_km(main)
    spare = max(km - main_km, 0.0)
    # A tight budget keeps the ends to about 10 and 6 minutes rather than outgrowing it much.
    least_warm, least_cool = (
        (WARMUP_KM, COOLDOWN_KM) if spare >= WARMUP_KM + COOLDOWN_KM else (1.5, 1.0)
    )
    warm = max(least_warm, half_km(spare * 0.6))
    cool = max(least_cool, half_km(spare - warm))
    blocks = [
        once(step(paces, "warmup", Zone.EASY, km=warm)),
        *main,
        once(step(paces, "cooldown", Zone.EASY, km=cool)),
    ]
    return build(run_type, name, blocks, paces, purpose)


# -- the run types -----------------------------------------------------------------------------
def easy_run(km: float, paces: Paces) -> Workout:
    return build("easy", "Easy run {total}", [once(step(paces, "steady", Zone.EASY, km=km))], paces)


def recovery_run(km: float, paces: Paces) -> Workout:
    blocks = [once(step(paces, "steady", Zone.RECOVERY, km=km))]
    return build("recovery", "Recovery run {total}", blocks, paces)


def long_run(km: float, paces: Paces) -> Workout:
    return build("long", "Long run {total}", [once(step(paces, "steady", Zone.LONG, km=km))], paces)


def long_mp_run(km: float, paces: Paces, progress: int, mp_km: float = 0.0) -> Workout:
    """Pfitzinger's marathon-pace long run: easy first, then `mp_km` continuous at marathon
    pace, 1 km easy to finish. Without `mp_km` the share at M grows with the block (25 % + 5 %
    a step, 5-16 km); at least 3 km stay easy before it."""
    if mp_km <= 0:
        mp_km = float(min(max(round(km * (0.25 + 0.05 * progress)), 5), 16))
    finish = 1.0
    mp_km = max(min(half_km(mp_km), half_km(km - finish - 3.0)), 1.0)
    first = max(half_km(km - mp_km - finish), 3.0)
    blocks = [
        once(step(paces, "steady", Zone.LONG, km=first)),
        once(step(paces, "work", Zone.MARATHON, km=mp_km)),
        once(step(paces, "cooldown", Zone.LONG, km=finish)),
    ]
    name = f"Long run {{total}} with {mp_km:g} km at marathon pace"
    return build("long", name, blocks, paces, "long_mp")


def time_on_feet(km: float, paces: Paces) -> Workout:
    """An ultra's long run prescribed by time: the distance budget turned into minutes at long
    pace, rounded to 5; the trail decides how far that is."""
    seconds = max(round(km * paces.of(Zone.LONG).target / 300), 1) * 300
    on_feet = step(paces, "steady", Zone.LONG, seconds=seconds, note="walk the steep climbs")
    name = f"Time on feet {duration_text(seconds)}, about {{total}}"
    return build("long", name, [once(on_feet)], paces, "time_on_feet")


def back_to_back_run(km: float, paces: Paces) -> Workout:
    blocks = [once(step(paces, "steady", Zone.LONG, km=km))]
    return build("easy", "Back-to-back long run {total}", blocks, paces, "back_to_back")


def shakeout_run(km: float, paces: Paces) -> Workout:
    blocks = [once(step(paces, "steady", Zone.RECOVERY, km=km))]
    return build("easy", "Shakeout {total}", blocks, paces, "shakeout")


def tempo_run(km: float, paces: Paces, progress: int, week_km: float) -> Workout:
    """Daniels' T pace: 15-30 min building with the block, as one steady block up to 20 min and
    as cruise intervals (10 min with 2 min jog) beyond; no more than 10 % of the week at T."""
    minutes = 15 + 5 * min(max(progress, 0), 3)
    t_target = paces.of(Zone.THRESHOLD).target
    if week_km:
        minutes = max(15, min(minutes, int(week_km * THRESHOLD_SHARE * t_target / 60 / 5) * 5))
    if minutes <= 20:
        main = [once(step(paces, "work", Zone.THRESHOLD, seconds=minutes * 60))]
        name = f"Tempo run {minutes} min, {{total}}"
    else:
        reps = minutes // 10
        work = step(paces, "work", Zone.THRESHOLD, seconds=minutes * 60 // reps)
        jog = step(paces, "recovery", Zone.RECOVERY, seconds=120, note="jog recovery")
        main = [Block(reps, (work, jog))]
        name = f"Tempo {reps} x {duration_text(work.seconds)} cruise intervals, {{total}}"
    return framed("tempo", name, main, km, paces)


def interval_run(km: float, paces: Paces, progress: int, week_km: float) -> Workout:
    """Daniels' I pace: 800 m repeats with a 400 m jog, 4-8 of them as the block builds, never
    more than 8 % of the week (10 km at most) at I."""
    reps = 4 + min(max(progress, 0), 4)
    if week_km:
        reps = max(3, min(reps, int(min(week_km * INTERVAL_SHARE, 10.0) / 0.8)))
    work = step(paces, "work", Zone.INTERVAL, km=0.8)
    jog = step(paces, "recovery", Zone.RECOVERY, km=0.4, note="jog recovery")
    name = f"Intervals {reps} x 800 m, {{total}}"
    return framed("intervals", name, [Block(reps, (work, jog))], km, paces)


def sharpener(km: float, paces: Paces) -> Workout:
    work = step(paces, "work", Zone.INTERVAL, km=0.4)
    jog = step(paces, "recovery", Zone.RECOVERY, km=0.2, note="jog recovery")
    name = "Sharpener 4 x 400 m, {total}"
    return framed("intervals", name, [Block(4, (work, jog))], km, paces, "sharpener")


def hill_run(km: float, paces: Paces, progress: int) -> Workout:
    reps = 6 + min(max(progress, 0), 4)
    up = step(paces, "work", Zone.INTERVAL, seconds=60, note=UPHILL)
    down = step(paces, "recovery", Zone.RECOVERY, seconds=90, note="jog back down")
    name = f"Hill repeats {reps} x 60 s, {{total}}"
    return framed("hills", name, [Block(reps, (up, down))], km, paces)


def strides_run(km: float, paces: Paces) -> Workout:
    """An easy run finished with 6 x 20 s strides at R pace, walking or jogging 60 s back."""
    stride = step(paces, "work", Zone.REPETITION, seconds=20, note="relaxed, fast")
    back = step(paces, "recovery", Zone.RECOVERY, seconds=60, note="walk or jog back")
    strides = Block(6, (stride, back))
    easy_km = max(half_km(km - 6 * (stride.km + back.km)), 3.0)
    blocks = [once(step(paces, "steady", Zone.EASY, km=easy_km)), strides]
    return build("strides", "Easy run {total} + 6 strides", blocks, paces)


def race_pace_run(km: float, paces: Paces, cls: DistanceClass | None, taper: bool) -> Workout:
    """Goal race pace in the middle of the run: 55 % of it (35 % in the taper, 2 km at least);
    as one block for the marathon and longer, as 1 km (10K) or 2 km (half) repeats with a
    400 m jog for the shorter races."""
    at_pace = max(2.0, half_km(km * (0.35 if taper else 0.55)))
    race = RACE_WORDS[cls or DistanceClass.SHORT]
    if cls in (DistanceClass.SHORT, DistanceClass.HALF):
        rep_km = 1.0 if cls is DistanceClass.SHORT else 2.0
        reps = max(2, round(at_pace / rep_km))
        work = step(paces, "work", Zone.RACE, km=rep_km)
        jog = step(paces, "recovery", Zone.RECOVERY, km=0.4, note="jog recovery")
        main = [Block(reps, (work, jog))]
        name = f"Race pace {reps} x {distance_text(rep_km, Units.METRIC)} at {race} pace, {{total}}"
    else:
        main = [once(step(paces, "work", Zone.RACE, km=at_pace))]
        name = f"Race pace {distance_text(at_pace, paces.units)} at {race} pace, {{total}}"
    return framed("race_pace", name, main, km, paces)


FOCUS_TYPES = {
    "long_mp": ("long", "marathon-pace"),
    "time_on_feet": ("long", "time-on-feet"),
    "recovery": ("easy", "recovery"),
    "shakeout": ("easy", "shakeout"),
    "back_to_back": ("easy", "back-to-back"),
}


def workout_for(
    run_type: str,
    km: float,
    paces: Paces,
    *,
    phase: Phase,
    cls: DistanceClass | None,
    progress: int = 0,
    week_km: float = 0.0,
    focus: str = "",
    pace_km: float = 0.0,
) -> Workout:
    """The workout for a run of `run_type` with a distance budget of `km`; it keeps `run_type`
    as its type. `progress` counts steps up the block (0 at its start); `week_km` caps the hard
    running by Daniels' shares. `focus` refines the type as the week's plan names it:
    long + "marathon-pace" (`pace_km` of it at M) or "time-on-feet"; easy + "recovery",
    "shakeout" or "back-to-back"; a quality type + "sharpen" (the taper's version, as the
    taper phase gives). A type this module does not know is run as an easy run of `km`."""
    sharpen = focus == "sharpen" or phase is Phase.TAPER
    given = run_type
    if run_type in FOCUS_TYPES:
        # A focus named as a type ("long_mp"): built as that focus, typed as asked.
        run_type, focus = FOCUS_TYPES[run_type]
    if run_type == "long":
        if focus == "marathon-pace":
            workout = long_mp_run(km, paces, progress, pace_km)
        elif focus == "time-on-feet":
            workout = time_on_feet(km, paces)
        else:
            workout = long_run(km, paces)
    elif run_type == "tempo":
        workout = tempo_run(km, paces, 0 if sharpen else progress, week_km)
    elif run_type == "intervals":
        workout = sharpener(km, paces) if sharpen else interval_run(km, paces, progress, week_km)
    elif run_type == "hills":
        workout = hill_run(km, paces, progress)
    elif run_type == "strides":
        workout = strides_run(km, paces)
    elif run_type == "race_pace":
        workout = race_pace_run(km, paces, cls, sharpen)
    elif focus == "recovery":
        workout = recovery_run(km, paces)
    elif focus == "shakeout":
        workout = shakeout_run(km, paces)
    elif focus == "back-to-back":
        workout = back_to_back_run(km, paces)
    else:
        workout = easy_run(km, paces)
    return workout if workout.type == given else workout._replace(type=given)


# -- text ------------------------------------------------------------------------------------------
def distance_text(km: float, units: Units) -> str:
    """ "800 m", "12 km", "7.5 mi"."""
    if km < 1.0:
        return f"{round(km * 1000):d} m"
    if units is Units.IMPERIAL:
        return f"{round(km / MILE_KM, 1):g} mi"
    return f"{round(km, 1):g} km"


def duration_text(seconds: int) -> str:
    """ "45 s", "10 min", "1:05 h"."""
    if seconds < 120:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes // 60}:{minutes % 60:02d} h"


def _amount(s: Step, units: Units) -> str:
    if s.by == "time":
        return duration_text(s.seconds)
    # Repeats are track distances, metres whatever the units.
    return distance_text(s.km, Units.METRIC if s.km < 1.0 else units)


def _effort(s: Step) -> str:
    hr = f", HR {s.hr[0]}-{s.hr[1]}" if s.hr else ""
    return f"(RPE {s.rpe}{hr})"


def step_text(s: Step, units: Units) -> str:
    """ "2 km warm-up easy @ 5:50-6:20 /km (RPE 3)"."""
    amount = _amount(s, units)
    pace = zone_text_of(s, units)
    label = {"warmup": " warm-up", "cooldown": " cool-down"}.get(s.kind, "")
    note = f", {s.note}" if s.note else ""
    return f"{amount}{label} {ZONE_WORDS[s.zone]} @ {pace} {_effort(s)}{note}"


def zone_text_of(s: Step, units: Units) -> str:
    return zone_text(ZonePace(s.zone, s.pace[0], s.pace[1], s.rpe, s.hr), units)


@lru_cache(maxsize=1024)
def block_text(block: Block, units: Units) -> str:
    """One line: a single step, or "6 x 800 m @ 4:20 /km (RPE 8), 400 m jog recovery"."""
    if block.repeat == 1 and len(block.steps) == 1:
        return step_text(block.steps[0], units)
    work, *rest = block.steps
    if work.note == UPHILL:
        # Pace means nothing on a hill: effort does.
        head = f"{block.repeat} x {_amount(work, units)} {UPHILL} {_effort(work)}"
    else:
        note = f", {work.note}" if work.note else ""
        head = (
            f"{block.repeat} x {_amount(work, units)} {ZONE_WORDS[work.zone]} @ "
            f"{zone_text_of(work, units)} {_effort(work)}{note}"
        )
    tails = [f"{_amount(r, units)} {r.note or ZONE_WORDS[r.zone] + ' between'}" for r in rest]
    return ", ".join([head, *tails])


__all__ = ["Workout", "block_text", "distance_text", "step_text", "workout_for"]
