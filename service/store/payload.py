"""A placed session to and from the JSON the store keeps, so the next pass can hand the planner
its previous placement (L8) and its history unchanged."""

from __future__ import annotations

import json
from datetime import date, datetime

from scheduler.explain import blocks_from_json, session_to_json
from scheduler.model import Phase, PlacedSession, Reason


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
        )
    except (KeyError, ValueError, TypeError):
        return None
