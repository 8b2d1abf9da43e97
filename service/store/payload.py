"""A placed session to and from the JSON the store keeps, so the next pass can hand the planner
its previous placement (L8) and its history unchanged; and a whole plan, kept as the last good
one."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from scheduler.explain import blocks_from_json, exercise_from_json, session_to_json
from scheduler.model import (
    Phase,
    PlacedSession,
    Plan,
    PlanWarning,
    Priority,
    Race,
    Reason,
    WeekPlan,
)


def to_payload(session: PlacedSession) -> str:
    """The public JSON of `plan show --json`, plus the reasons a history entry must keep."""
    data = session_to_json(session)
    data["reasons"] = [[r.rule, r.text, r.about] for r in session.reasons]
    return json.dumps(data, sort_keys=True)


def from_payload(text: str) -> PlacedSession | None:
    """None for a payload this version cannot read (the session is then simply re-planned)."""
    try:
        data = json.loads(text)
        return PlacedSession(
            key=data["key"],
            kind=data["kind"],
            type=data["type"],
            slot=data["slot"],
            phase=Phase(data["phase"]),
            week=date.fromisoformat(data["week"]),
            anchor=data["anchor"],
            rel_week=None if data["weeks_to_race"] is None else -data["weeks_to_race"],
            start=datetime.fromisoformat(data["start"]),
            end=datetime.fromisoformat(data["end"]),
            heavy_lower=bool(data["heavy_lower"]),
            key_run=bool(data["key_run"]),
            title=data["title"],
            description=data["description"],
            reasons=tuple(Reason(*r) for r in data["reasons"]),
            distance_km=data["distance_km"],
            origin="kept",
            steps=blocks_from_json(data.get("steps", [])),
            exercises=tuple(exercise_from_json(e) for e in data.get("exercises", ())),
        )
    except (KeyError, ValueError, TypeError):
        return None


def plan_body(plan: Plan) -> str:
    """The whole plan as JSON (its weeks, races and warnings too): the last good plan the views
    show when a source cannot be read."""
    data = {
        "athlete": plan.athlete_id,
        "timezone": plan.timezone,
        "today": plan.today.isoformat(),
        "weeks": [_week(w) for w in plan.weeks],
        "sessions": [json.loads(to_payload(s)) for s in plan.sessions],
        "warnings": [
            [w.rule, w.message, w.week.isoformat() if w.week else None] for w in plan.warnings
        ],
        "races": [_race(r) for r in plan.races],
    }
    return json.dumps(data, sort_keys=True)


def plan_from_body(text: str) -> Plan | None:
    """None for a body this version cannot read."""
    try:
        data = json.loads(text)
        sessions = []
        for item in data["sessions"]:
            session = from_payload(json.dumps(item))
            if session is None:
                return None
            sessions.append(replace(session, origin=item.get("origin", "planned")))
        return Plan(
            athlete_id=data["athlete"],
            timezone=data["timezone"],
            today=date.fromisoformat(data["today"]),
            weeks=tuple(_week_back(w) for w in data["weeks"]),
            sessions=tuple(sessions),
            warnings=tuple(
                PlanWarning(r, m, date.fromisoformat(w) if w else None)
                for r, m, w in data["warnings"]
            ),
            races=tuple(_race_back(r) for r in data["races"]),
        )
    except (KeyError, ValueError, TypeError):
        return None


def _race(race: Race) -> dict[str, object]:
    return {
        "uid": race.uid,
        "title": race.title,
        "date": race.date.isoformat(),
        "distance_km": race.distance_km,
        "priority": race.priority.value,
        "location": race.location,
        "priority_explicit": race.priority_explicit,
        "planned_since": race.planned_since.isoformat() if race.planned_since else None,
        "goal_s": race.goal_s,
    }


def _race_back(data: dict[str, object]) -> Race:
    since = data.get("planned_since")
    return Race(
        uid=str(data["uid"]),
        title=str(data["title"]),
        date=date.fromisoformat(str(data["date"])),
        distance_km=float(str(data["distance_km"])),
        priority=Priority(str(data["priority"])),
        location=str(data.get("location", "")),
        priority_explicit=bool(data.get("priority_explicit", False)),
        planned_since=date.fromisoformat(str(since)) if since else None,
        goal_s=int(str(data["goal_s"])) if data.get("goal_s") is not None else None,
    )


def _week(week: WeekPlan) -> dict[str, object]:
    return {
        "start": week.start.isoformat(),
        "phase": week.phase.value,
        "anchor": week.anchor,
        "rel": week.rel,
        "deload": week.deload,
        "races": [_race(r) for r in week.races],
        "run_taper": week.run_taper,
        "run_taper_len": week.run_taper_len,
        "block_week": week.block_week,
        "build_weeks": week.build_weeks,
        "reasons": [[r.rule, r.text, r.about] for r in week.reasons],
        "race_offset": week.race_offset,
        "growth": week.growth,
        "full_weeks": week.full_weeks,
    }


def _week_back(data: dict[str, Any]) -> WeekPlan:
    return WeekPlan(
        start=date.fromisoformat(data["start"]),
        phase=Phase(data["phase"]),
        anchor=data["anchor"],
        rel=data["rel"],
        deload=bool(data["deload"]),
        races=tuple(_race_back(r) for r in data["races"]),
        run_taper=int(data["run_taper"]),
        run_taper_len=int(data["run_taper_len"]),
        block_week=int(data["block_week"]),
        build_weeks=int(data["build_weeks"]),
        reasons=tuple(Reason(*r) for r in data["reasons"]),
        # Plans stored before the running taper was counted in days carry none of these.
        race_offset=data.get("race_offset"),
        growth=int(data.get("growth", 0)),
        full_weeks=int(data.get("full_weeks", 0)),
    )
