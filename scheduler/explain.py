"""Why a session sits where it does, citing rule ids; and the plan's JSON shape."""

from __future__ import annotations

from scheduler.model import PlacedSession, Plan, Reason

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


def session_to_json(session: PlacedSession) -> dict[str, object]:
    return {
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
    }


def plan_to_json(plan: Plan) -> dict[str, object]:
    return {
        "athlete": plan.athlete_id,
        "today": plan.today.isoformat(),
        "timezone": plan.timezone,
        "sessions": [session_to_json(s) for s in plan.sessions],
        "warnings": [w.line() for w in plan.warnings],
    }
