"""Race results from the calendar set the paces (R7), the way a coach reads them.

After a race, its event may say how it went (scheduler.finish reads "Zeit: 44:58", "DNF").
The newest believable result of a race already run sets current fitness for every session
the plan places from today on: the next block's paces, and the easy runs of the recovery
before it. It wins over the config's `recent_race`, which has no date: a result in the
calendar is dated, and a coach goes by the last race run, not by what a runner said when
they set racecal up. Only results of the last year count (RESULT_DAYS): past that, a result
says less about today than the config, which the runner keeps (or the easy pace).

A result is judged against the fitness the plan held before it (the config's result, a goal
standing in, the easy pace, or the previous applied result), and reported instead of applied
when it is:
- impossible: faster than the world records (VDOT above RECORD_VDOT) or slower than a walk
  for the distance (a typo, or h:mm read as m:ss by the writer);
- far off: a VDOT more than RESULT_STRETCH away from that fitness (a short course, a race run
  with a friend, a hot day; or real progress, which `recent_race` in the config confirms);
- outside the model: Daniels' VDOT covers 1500 m to the marathon, not ultras.
A DNF or DNS is recorded and never changes a pace. Pure: `today` is an argument.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from scheduler.finish import PACE_BOUNDS
from scheduler.model import Athlete, Fitness, Outcome, PlanWarning, Race, ResultNote, Zone
from scheduler.paces import Result, clock, fitness_vdot, paces_for, race_name, vdot

RESULT_STRETCH = 0.15
# The men's world records from 5K to the marathon stand at about VDOT 85.5.
RECORD_VDOT = 86.0
RESULT_DAYS = 365
MODEL_KM = (1.5, 43.0)


@dataclass(frozen=True)
class ResultsRead:
    # The result that sets current fitness, None when the config's (or a stand-in) does.
    result: Result | None
    notes: tuple[ResultNote, ...]


def read_results(
    athlete: Athlete, races: Iterable[Race], today: date, stand_in: Race | None = None
) -> ResultsRead:
    """Every result in the races run by `today`, oldest first, each judged against the fitness
    the plan held before it; the newest applied one sets the paces."""
    run = sorted(
        (r for r in races if r.finish is not None and r.date <= today),
        key=lambda r: (r.date, r.uid),
    )
    fitness = fitness_vdot(athlete, stand_in)
    notes: list[ResultNote] = []
    current: Result | None = None
    applied: int | None = None
    for race in run:
        note = _judge(race, fitness, today)
        if note.verdict == "applied":
            assert race.finish is not None
            assert race.finish.seconds is not None
            if applied is not None:
                notes[applied] = _older(notes[applied], race)
            applied = len(notes)
            fitness = note.vdot or fitness
            current = Result(race.distance_km, race.finish.seconds, _source(race))
        notes.append(note)
    return ResultsRead(current, tuple(notes))


def _judge(race: Race, fitness: float, today: date) -> ResultNote:
    finish = race.finish
    assert finish is not None
    name = f"'{race.title}' on {race.date.isoformat()}"

    def note(verdict: str, message: str, of: float | None = None) -> ResultNote:
        return ResultNote(
            race.uid,
            race.title,
            race.date,
            race.distance_km,
            finish.outcome,
            finish.seconds,
            verdict,
            None if of is None else round(of, 1),
            None if of is None else round(fitness, 1),
            f"{name}: {message}",
            f"the race on {race.date.isoformat()}: {message}",
        )

    if finish.outcome is Outcome.DNF:
        return note("dnf", "did not finish (DNF); recorded, your paces stay as they were")
    if finish.outcome is Outcome.DNS:
        return note("dns", "did not start (DNS); recorded, your paces stay as they were")
    seconds = finish.seconds or 0
    km = race.distance_km
    said = f"{race_name(km)} in {clock(seconds)}"
    if today - race.date > timedelta(days=RESULT_DAYS):
        return note("not-used", f"{said} is more than a year old; it does not set your paces")
    if not MODEL_KM[0] <= km <= MODEL_KM[1]:
        return note(
            "not-used",
            f"{said}: the pace model (Daniels' VDOT) covers 1500 m to the marathon; "
            "recorded, your paces stay as they were",
        )
    of = vdot(km, seconds)
    if of > RECORD_VDOT:
        return note(
            "impossible",
            f"{said} is faster than the world record; not applied: check the time in the event",
            of,
        )
    if seconds / km > PACE_BOUNDS[1]:
        return note(
            "impossible",
            f"{said} is slower than walking pace; not applied: check the time in the event",
            of,
        )
    change = of / fitness - 1.0
    if abs(change) > RESULT_STRETCH:
        way = "faster" if change > 0 else "slower"
        return note(
            "off",
            f"{said} (VDOT {of:.1f}) is {abs(change):.0%} {way} than the fitness your paces "
            f"come from (VDOT {fitness:.1f}), more than the {RESULT_STRETCH:.0%} a result may "
            f'move them; not applied. If it is right, set recent_race = "{_config(km)} '
            f'{clock(seconds)}" in your config',
            of,
        )
    return note("applied", f"{said} (VDOT {of:.1f}, before it {fitness:.1f}) sets your paces", of)


def _older(note: ResultNote, newer: Race) -> ResultNote:
    message = note.message.replace(
        "sets your paces", f"set your paces until '{newer.title}' on {newer.date.isoformat()}"
    )
    return ResultNote(
        note.race_uid,
        note.title,
        note.date,
        note.distance_km,
        note.outcome,
        note.seconds,
        "older",
        note.vdot,
        note.expected_vdot,
        message,
    )


def _source(race: Race) -> str:
    assert race.finish is not None
    assert race.finish.seconds is not None
    return (
        f"your {race_name(race.distance_km)} in {clock(race.finish.seconds)} at "
        f"'{race.title}' on {race.date.isoformat()}"
    )


def _config(km: float) -> str:
    """The distance as `recent_race` in the config reads it back."""
    name = race_name(km)
    return name if not name.endswith("km race") else f"{km:g} km"


def fitness(athlete: Athlete, read: ResultsRead, stand_in: Race | None) -> Fitness:
    """What the plan's paces come from, and the fitness zones' paces (race pace is each
    block's own), for the views."""
    paces = paces_for(athlete, None, stand_in, read.result)
    zones = tuple((z.zone, z.fast, z.slow) for z in paces.zones if z.zone is not Zone.RACE)
    return Fitness(round(paces.vdot, 1), paces.reason.text, zones, read.notes, athlete.units)


def warnings(read: ResultsRead) -> tuple[PlanWarning, ...]:
    """One warning for each result read but not applied for what it says."""
    return tuple(
        PlanWarning("R7", n.message, plain=n.plain)
        for n in read.notes
        if n.verdict in ("off", "impossible")
    )


__all__ = [
    "RECORD_VDOT",
    "RESULT_DAYS",
    "RESULT_STRETCH",
    "ResultsRead",
    "fitness",
    "read_results",
    "warnings",
]
