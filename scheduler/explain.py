"""Why a session sits where it does, citing rule ids; and the plan's JSON shape."""

from __future__ import annotations

from scheduler.model import Block, Exercise, PlacedSession, Plan, Reason, Step, Zone

SECTIONS = (
    ("phase", "Phase"),
    ("prescription", "Prescription"),
    ("placement", "Day and time"),
)


def explain_session(session: PlacedSession) -> str:
    """A few lines a runner can read: what, when, and the rule behind each decision."""
    when = f"{session.start:%a %Y-%m-%d %H:%M}-{session.end:%H:%M} (UTC{session.start:%z})"
    week = f", {_week_text(session.rel_week)}" if session.rel_week is not None else ""
    lines = [
        f"{session.title}",
        f"  key:   {session.key}",
        f"  when:  {when}",
        f"  phase: {session.phase.value}{week}",
        f"  flags: {_flags(session)}",
    ]
    for about, heading in SECTIONS:
        reasons = [r for r in session.reasons if r.about == about]
        if reasons:
            lines.append(f"{heading}:")
            lines.extend(f"  {r.rule:<4} {r.text}" for r in _unique(reasons))
    lines.append("Session:")
    lines.extend(f"  {line}" for line in session.description.splitlines())
    return "\n".join(lines)


def _week_text(rel: int) -> str:
    if rel == 0:
        return "race week"
    if rel < 0:
        return f"{-rel} week{'s' if rel != -1 else ''} before the race"
    return f"{rel} week{'s' if rel != 1 else ''} after the race"


def _flags(session: PlacedSession) -> str:
    flags = [session.kind]
    if session.key_run:
        flags.append("key run (R2)")
    if session.heavy_lower:
        flags.append("heavy lower-body (S7)")
    if session.origin != "planned":
        flags.append(session.origin)
    return ", ".join(flags)


def _unique(items: list[Reason]) -> list[Reason]:
    return list(dict.fromkeys(items))


def exercise_to_json(e: Exercise) -> dict[str, object]:
    return {
        "name": e.name,
        "role": e.role,
        "sets": e.sets,
        "reps": e.reps,
        "per_side": e.per_side,
        "effort": e.effort,
        "rest": e.rest,
        "note": e.note,
        "seconds": e.seconds,
    }


def exercise_from_json(data: dict[str, object]) -> Exercise:
    return Exercise(
        name=str(data["name"]),
        sets=str(data["sets"]),
        reps=str(data["reps"]),
        note=str(data["note"]),
        effort=str(data["effort"]),
        rest=str(data["rest"]),
        per_side=bool(data["per_side"]),
        seconds=int(str(data["seconds"])),
        role=str(data["role"]),
    )


def session_to_json(session: PlacedSession) -> dict[str, object]:
    data: dict[str, object] = {
        "key": session.key,
        "kind": session.kind,
        "type": session.type,
        "slot": session.slot,
        "phase": session.phase.value,
        "week": session.week.isoformat(),
        "weeks_to_race": -session.rel_week if session.rel_week is not None else None,
        "anchor": session.anchor,
        "start": session.start.isoformat(),
        "end": session.end.isoformat(),
        "heavy_lower": session.heavy_lower,
        "key_run": session.key_run,
        "title": session.title,
        "description": session.description,
        "distance_km": session.distance_km,
        "origin": session.origin,
        "rules": list(session.rules),
        "steps": [block_to_json(b) for b in session.steps],
    }
    if session.exercises:
        # S8: the warm-up and every exercise with its dose; their seconds add up to the slot.
        data["exercises"] = [exercise_to_json(e) for e in session.exercises]
    return data


def block_to_json(block: Block) -> dict[str, object]:
    """R8: a block of a workout; paces in seconds per km, fastest first."""
    return {"repeat": block.repeat, "steps": [_step_to_json(s) for s in block.steps]}


def _step_to_json(s: Step) -> dict[str, object]:
    return {
        "kind": s.kind,
        "zone": s.zone.value,
        "by": s.by,
        "distance_km": s.km,
        "duration_s": s.seconds,
        "pace_s_per_km": list(s.pace),
        "rpe": s.rpe,
        "hr": list(s.hr) if s.hr else None,
        "note": s.note,
    }


def blocks_from_json(data: object) -> tuple[Block, ...]:
    """The inverse of `block_to_json` over a list; raises KeyError, TypeError or ValueError on
    a shape it does not know."""
    if not isinstance(data, list):
        raise TypeError("steps must be a list")
    return tuple(
        Block(
            int(b["repeat"]),
            tuple(
                Step(
                    str(s["kind"]),
                    Zone(s["zone"]),
                    float(s["distance_km"]),
                    int(s["duration_s"]),
                    str(s["by"]),
                    (int(s["pace_s_per_km"][0]), int(s["pace_s_per_km"][1])),
                    int(s["rpe"]),
                    (int(s["hr"][0]), int(s["hr"][1])) if s["hr"] else None,
                    str(s["note"]),
                )
                for s in b["steps"]
            ),
        )
        for b in data
    )


def plan_to_json(plan: Plan) -> dict[str, object]:
    return {
        "athlete": plan.athlete_id,
        "today": plan.today.isoformat(),
        "timezone": plan.timezone,
        "sessions": [session_to_json(s) for s in plan.sessions],
        "warnings": [w.line() for w in plan.warnings],
    }
