"""A session as a FIT workout file, for the watch: a run's steps (R8) with their intensity,
their distance or time and their pace as a speed range; a strength session's exercises with
their sets, reps and rests (S2), named by the FIT exercise catalogue where it has them
(service.views.fit_exercises).

Encoded by Garmin's FIT SDK (`garmin-fit-sdk`), never by hand. Pure: a session in, bytes out,
the same bytes for the same session, so a file changes exactly when its session does. The
SDK's encoder writes a dynamic field only under its main name, so the sub-fields of a step
(duration_time in ms, duration_distance in cm, custom_target_speed_low/high in mm/s) go in as
the main fields' raw values, at the scales the FIT profile gives those sub-fields.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from garmin_fit_sdk import Encoder, Profile

from scheduler.model import Block, Exercise, PlacedSession, Step, Units
from scheduler.paces import ZonePace, zone_text
from scheduler.workouts import UPHILL, ZONE_WORDS
from service.store.feeds import workout_name as file_name
from service.views.fit_exercises import fit_exercise

CONTENT_TYPE = "application/vnd.ant.fit"  # the IANA media type of FIT files
SUFFIX = ".fit"
HR_OFFSET = 100
_MESG = Profile["mesg_num"]
INTENSITY = {
    "warmup": "warmup",
    "cooldown": "cooldown",
    "recovery": "recovery",
    "work": "active",
    "steady": "active",
}
STEP_NAME = {"warmup": "Warm-up", "cooldown": "Cool-down", "recovery": "Recovery"}
# A FIT string field holds at most 255 bytes; watches show far fewer characters of a name.
NAME_BYTES = 60
NOTES_BYTES = 250


def has_workout(session: PlacedSession) -> bool:
    """Whether the session is a workout file: a run with steps or a strength session with its
    exercises."""
    return bool(session.steps or session.exercises)


def fit_workout(session: PlacedSession, units: Units = Units.METRIC) -> bytes:
    """The session's FIT workout file, its notes in `units`; ValueError when it has no
    workout (see has_workout)."""
    if not has_workout(session):
        raise ValueError(f"{session.key} has no steps or exercises to write as a workout")
    if session.kind == "run":
        steps = _run_steps(session.steps, units)
        sport, sub_sport = "running", "generic"
    else:
        steps = _strength_steps(session.exercises)
        sport, sub_sport = "training", "strength_training"
    serial = int.from_bytes(hashlib.sha256(session.key.encode()).digest()[:4]) or 1
    encoder = Encoder()
    encoder.write_mesg(
        {
            "mesg_num": _MESG["FILE_ID"],
            "type": "workout",
            "manufacturer": "development",
            "product": 0,
            # Stable per session; the planned start stands in for the creation time, so a
            # moved session is a new file to the apps that import it.
            "serial_number": serial,
            "time_created": session.start,
        }
    )
    encoder.write_mesg(
        {
            "mesg_num": _MESG["WORKOUT"],
            "wkt_name": _text(f"{session.start:%a %d %b} {session.title}", NAME_BYTES),
            "sport": sport,
            "sub_sport": sub_sport,
            "num_valid_steps": len(steps),
        }
    )
    for index, step in enumerate(steps):
        encoder.write_mesg({"mesg_num": _MESG["WORKOUT_STEP"], "message_index": index, **step})
    if session.kind == "strength":
        for index, (category, name, title) in enumerate(_titles(session.exercises)):
            encoder.write_mesg(
                {
                    "mesg_num": _MESG["EXERCISE_TITLE"],
                    "message_index": index,
                    "exercise_category": category,
                    "exercise_name": name,
                    "wkt_step_name": _text(title, NAME_BYTES),
                }
            )
    return encoder.close()


# -- runs ------------------------------------------------------------------------------------
def _run_steps(blocks: tuple[Block, ...], units: Units) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for block in blocks:
        first = len(out)
        out.extend(_run_step(s, units) for s in block.steps)
        if block.repeat > 1:
            out.append(_repeat(first, block.repeat))
    return out


def _run_step(s: Step, units: Units) -> dict[str, Any]:
    if s.by == "time":
        duration = {"duration_type": "time", "duration_value": s.seconds * 1000}
    else:
        duration = {"duration_type": "distance", "duration_value": round(s.km * 100_000)}
    if s.note == UPHILL:
        # Pace means nothing on a hill, effort does (as the calendar text says).
        target: dict[str, Any] = {"target_type": "open"}
    else:
        fast, slow = s.pace
        target = {
            "target_type": "speed",
            "target_value": 0,  # 0: the custom range below, not one of the watch's zones
            "custom_target_value_low": speed_mm_s(slow),
            "custom_target_value_high": speed_mm_s(fast),
        }
    if s.hr:
        # FIT reads a custom heart rate above 100 as beats per minute + 100 (up to 100: % of
        # max HR); the watches that know secondary targets show it beside the pace.
        target |= {
            "secondary_target_type": "heart_rate",
            "secondary_target_value": 0,
            "secondary_custom_target_value_low": s.hr[0] + HR_OFFSET,
            "secondary_custom_target_value_high": s.hr[1] + HR_OFFSET,
        }
    pace = zone_text(ZonePace(s.zone, s.pace[0], s.pace[1], s.rpe, s.hr), units)
    notes = f"{ZONE_WORDS[s.zone]} @ {pace}, RPE {s.rpe}" + (f", {s.note}" if s.note else "")
    name = STEP_NAME.get(s.kind, ZONE_WORDS[s.zone].capitalize())
    return {
        "wkt_step_name": _text(name, NAME_BYTES),
        **duration,
        **target,
        "intensity": INTENSITY[s.kind],
        "notes": _text(notes, NOTES_BYTES),
    }


def speed_mm_s(pace_s_per_km: int) -> int:
    """A pace in seconds per km as FIT's speed: millimetres per second."""
    return round(1_000_000 / pace_s_per_km)


def _repeat(first: int, times: int) -> dict[str, Any]:
    """Run the steps from `first` to here `times` times in all."""
    return {
        "duration_type": "repeat_until_steps_cmplt",
        "duration_value": first,
        "target_value": times,
    }


# -- strength ----------------------------------------------------------------------------------
def _strength_steps(exercises: tuple[Exercise, ...]) -> list[dict[str, Any]]:
    """The warm-up, then each exercise's sets as a repeat of (work, rest); a superset (an
    exercise done straight after the one before, with no rest of its own) joins that one's
    repeat, so the watch alternates them as the session text says."""
    out: list[dict[str, Any]] = []
    for group in _groups(exercises):
        lead = group[0]
        if lead.role == "warm-up":
            out.append(
                {
                    "wkt_step_name": "Warm-up",
                    "duration_type": "time",
                    "duration_value": lead.seconds * 1000,
                    "target_type": "open",
                    "intensity": "warmup",
                    "notes": _text(lead.note, NOTES_BYTES),
                }
            )
            continue
        first = len(out)
        out.extend(_lift(e) for e in group)
        sets, rest = top(lead.sets), rest_seconds(lead.rest)
        if rest and sets > 1:
            out.append(
                {
                    "wkt_step_name": "Rest",
                    "duration_type": "time",
                    "duration_value": rest * 1000,
                    "target_type": "open",
                    "intensity": "rest",
                }
            )
        if sets > 1:
            out.append(_repeat(first, sets))
    return out


def _groups(exercises: tuple[Exercise, ...]) -> list[list[Exercise]]:
    groups: list[list[Exercise]] = []
    for e in exercises:
        if groups and not e.rest and e.role != "warm-up" and groups[-1][0].role != "warm-up":
            groups[-1].append(e)
        else:
            groups.append([e])
    return groups


def _lift(e: Exercise) -> dict[str, Any]:
    reps = top(e.reps)
    if e.reps.endswith(" s"):
        duration = {"duration_type": "time", "duration_value": reps * 1000}
    else:
        duration = {"duration_type": "reps", "duration_value": reps}
    work: dict[str, Any] = {
        "wkt_step_name": _text(e.name, NAME_BYTES),
        **duration,
        "target_type": "open",
        "intensity": "active",
        "notes": _text(e.line(), NOTES_BYTES),
    }
    known = fit_exercise(e.name)
    if known is not None:
        work["exercise_category"], work["exercise_name"] = known
    return work


def _titles(exercises: tuple[Exercise, ...]) -> list[tuple[int, int, str]]:
    seen: dict[tuple[int, int], str] = {}
    for e in exercises:
        known = fit_exercise(e.name)
        if known is not None and known not in seen:
            seen[known] = e.name
    return [(c, n, title) for (c, n), title in seen.items()]


def top(span: str) -> int:
    """The top of a span as the session text writes it: "3-4" is 4, "30-45 s" is 45."""
    numbers = re.findall(r"\d+", span)
    if not numbers:
        raise ValueError(f"no number in {span!r}")
    return int(numbers[-1])


def rest_seconds(rest: str) -> int:
    """The middle of a rest span in seconds, as the booked slot counts it: "2-3 min" is 150,
    "60-90 s" is 75; 0 for none."""
    numbers = [int(n) for n in re.findall(r"\d+", rest)]
    if not numbers:
        return 0
    seconds = 60 if rest.endswith("min") else 1
    return (numbers[0] + numbers[-1]) * seconds // 2


def _text(text: str, size: int) -> str:
    data = text.encode()
    if len(data) <= size:
        return text
    return data[: size - 3].decode("utf-8", "ignore").rstrip() + "..."


__all__ = ["CONTENT_TYPE", "file_name", "fit_workout", "has_workout"]
