"""FIT workout files read back with fitdecode, a decoder of its own (racecal encodes with
Garmin's SDK), and the plan's JSON steps turned into the steps a file must hold."""

from __future__ import annotations

import io
from typing import Any

import fitdecode
import fitdecode.profile

from scheduler.workouts import UPHILL

INTENSITY = {
    "warmup": "warmup",
    "cooldown": "cooldown",
    "recovery": "recovery",
    "work": "active",
    "steady": "active",
}


def read_fit(data: bytes) -> dict[str, list[dict[str, Any]]]:
    """The file's messages by name, each a dict of its fields as fitdecode resolves them; the
    file's CRC is checked."""
    out: dict[str, list[dict[str, Any]]] = {}
    with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage):
                fields = {f.name: f.value for f in frame.fields if f.value is not None}
                out.setdefault(frame.name, []).append(fields)
    return out


def expected_run_steps(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What each FIT step of a run must say, from `plan show --json`'s blocks: intensity,
    distance (m) or time (s), the speed range (m/s) from the pace range, and a repeat step
    after each block run more than once."""
    out: list[dict[str, Any]] = []
    for block in blocks:
        first = len(out)
        for s in block["steps"]:
            step: dict[str, Any] = {"intensity": INTENSITY[s["kind"]]}
            if s["by"] == "time":
                step["duration_type"], step["duration_time"] = "time", float(s["duration_s"])
            else:
                step["duration_type"] = "distance"
                step["duration_distance"] = round(s["distance_km"] * 1000, 2)
            if s["note"] == UPHILL:
                step["target_type"] = "open"
            else:
                fast, slow = s["pace_s_per_km"]
                step["target_type"] = "speed"
                step["custom_target_speed_low"] = round(1000 / slow, 3)
                step["custom_target_speed_high"] = round(1000 / fast, 3)
            if s["hr"]:
                # FIT: a custom heart rate above 100 is beats per minute + 100.
                step["secondary_custom_target_heart_rate_low"] = s["hr"][0] + 100
                step["secondary_custom_target_heart_rate_high"] = s["hr"][1] + 100
            out.append(step)
        if block["repeat"] > 1:
            out.append(
                {
                    "duration_type": "repeat_until_steps_cmplt",
                    "duration_step": first,
                    "repeat_steps": block["repeat"],
                }
            )
    return out


def step_as_read(step: dict[str, Any], like: dict[str, Any]) -> dict[str, Any]:
    """The fields of a read step that `like` names, floats to the file's resolution."""
    out = {}
    for name in like:
        value = step.get(name)
        out[name] = round(value, 3) if isinstance(value, float) else value
    return out


def exercise_name(category: str, number: int) -> str:
    """The FIT catalogue's name of exercise `number` in `category`, by fitdecode's profile."""
    kind = fitdecode.profile.FIELD_TYPES[f"{category}_exercise_name"]
    return str(kind.enum[number])
