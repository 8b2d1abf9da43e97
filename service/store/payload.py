"""A placed session to and from the JSON the store keeps, so the next pass can hand the planner
its previous placement (L8) and its history unchanged; a whole plan, kept as the last good
one; and what a calendar held (its events and problems), so a new process goes on from a
calendar's change cursor without listing it again."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.base import Problem, RemoteEvent
from scheduler.explain import blocks_from_json, exercise_from_json, session_to_json
from scheduler.model import (
    Finish,
    Fitness,
    Outcome,
    Phase,
    PlacedSession,
    Plan,
    PlanWarning,
    Priority,
    Race,
    Reason,
    ResultNote,
    Units,
    WeekPlan,
    Zone,
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
            [w.rule, w.message, w.week.isoformat() if w.week else None, w.plain]
            for w in plan.warnings
        ],
        "races": [_race(r) for r in plan.races],
        "fitness": fitness_to_json(plan.fitness) if plan.fitness else None,
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
                PlanWarning(r, m, date.fromisoformat(w) if w else None, p)
                for r, m, w, p in data["warnings"]
            ),
            races=tuple(_race_back(r) for r in data["races"]),
            # Plans kept before race results set paces carry none.
            fitness=fitness_from_json(data["fitness"]) if data.get("fitness") else None,
        )
    except (KeyError, ValueError, TypeError):
        return None


def fitness_to_json(fitness: Fitness) -> dict[str, object]:
    """R7: what the paces come from, the fitness zones (s/km, fastest first) and every race
    result read, as `plan show --json` prints it under "paces"."""
    return {
        "vdot": fitness.vdot,
        "from": fitness.source,
        "units": fitness.units.value,
        "zones": {zone.value: [fast, slow] for zone, fast, slow in fitness.zones},
        "results": [
            {
                "race": n.race_uid,
                "title": n.title,
                "date": n.date.isoformat(),
                "distance_km": n.distance_km,
                "outcome": n.outcome.value,
                "seconds": n.seconds,
                "verdict": n.verdict,
                "vdot": n.vdot,
                "expected_vdot": n.expected_vdot,
                "message": n.message,
                "plain": n.plain,
            }
            for n in fitness.results
        ],
    }


def fitness_from_json(data: dict[str, Any]) -> Fitness:
    return Fitness(
        vdot=float(data["vdot"]),
        source=str(data["from"]),
        # In the zones' order, slowest first (JSON objects keep none: the body sorts its keys).
        zones=tuple(
            (zone, int(data["zones"][zone.value][0]), int(data["zones"][zone.value][1]))
            for zone in Zone
            if zone.value in data["zones"]
        ),
        results=tuple(
            ResultNote(
                str(n["race"]),
                str(n["title"]),
                date.fromisoformat(n["date"]),
                float(n["distance_km"]),
                Outcome(n["outcome"]),
                None if n["seconds"] is None else int(n["seconds"]),
                str(n["verdict"]),
                None if n["vdot"] is None else float(n["vdot"]),
                None if n["expected_vdot"] is None else float(n["expected_vdot"]),
                str(n["message"]),
                str(n.get("plain", "")),
            )
            for n in data["results"]
        ),
        units=Units(data.get("units", "metric")),
    )


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
        "finish": _finish(race.finish),
    }


def _finish(finish: Finish | None) -> dict[str, object] | None:
    if finish is None:
        return None
    return {"outcome": finish.outcome.value, "seconds": finish.seconds, "text": finish.text}


def _finish_back(data: object) -> Finish | None:
    if not isinstance(data, dict):
        return None
    seconds = data.get("seconds")
    return Finish(
        Outcome(str(data["outcome"])),
        int(str(seconds)) if seconds is not None else None,
        str(data.get("text", "")),
    )


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
        finish=_finish_back(data.get("finish")),
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


# -- what a calendar held ----------------------------------------------------------------------


def held_body(
    version: str,
    events: Iterable[RemoteEvent],
    problems: Iterable[Problem],
    keep_events: bool = True,
) -> tuple[str, str]:
    """What a calendar held as compact JSON under the `version` of the code that read it, and
    a digest of all of it (any field of any event or problem, etags and extras included).
    `keep_events` False keeps only the problems in the body (a busy calendar's events are read
    again for their occurrences; only its problems are reported from what it held); the
    digest still covers the events."""
    rows = sorted((_event_row(e) for e in events), key=lambda row: str(row[0]))
    lines = sorted(([p.id, p.line, p.title, p.description, p.plain] for p in problems), key=str)
    whole = json.dumps({"e": rows, "p": lines}, separators=(",", ":"))
    digest = hashlib.sha256(whole.encode()).hexdigest()
    if not keep_events:
        whole = json.dumps({"p": lines}, separators=(",", ":"))
    return f"{version}\n{whole}", digest


def change_digest(
    previous: str,
    events: Iterable[RemoteEvent],
    problems: Iterable[Problem],
    removed: Iterable[str],
) -> str:
    """The digest after a delta: the digest before, chained with the delta's, so any change
    gives a digest no earlier state had (even where the delta leads back to one)."""
    _, delta = held_body("", events, problems)
    gone = "\x1f".join(sorted(removed))
    return hashlib.sha256(f"{previous}\n{delta}\n{gone}".encode()).hexdigest()


def held_version(body: str) -> str:
    """The version of the code that wrote a `held_body`."""
    return body.partition("\n")[0]


def held_from_body(body: str) -> tuple[dict[str, RemoteEvent], dict[str, Problem]] | None:
    """The events and problems of a `held_body`, by id; None for a body that cannot be read
    (the calendar is then listed whole again)."""
    try:
        data = json.loads(body.partition("\n")[2])
        events = {str(row[0]): _event_back(row) for row in data.get("e", ())}
        problems = {
            str(p[0]): Problem(
                str(p[0]), str(p[1]), p[2], str(p[3]), str(p[4]) if len(p) > 4 else ""
            )
            for p in data.get("p", ())
        }
    except (KeyError, ValueError, TypeError, IndexError, AttributeError, ZoneInfoNotFoundError):
        return None
    return events, problems


def _event_row(e: RemoteEvent) -> list[object]:
    return [
        e.id,
        e.title,
        _moment(e.start),
        _moment(e.end),
        e.description,
        e.location,
        e.busy,
        e.session_key,
        e.etag,
        None if e.created is None else _moment(e.created),
        e.uid,
        e.cancelled,
        [list(pair) for pair in e.extras],
        list(e.categories),
    ]


def _event_back(row: list[Any]) -> RemoteEvent:
    ident, title, start, end, description, location, busy, key, etag, created, uid = row[:11]
    return RemoteEvent(
        id=str(ident),
        title=str(title),
        start=_moment_back(start),
        end=_moment_back(end),
        description=str(description),
        location=str(location),
        busy=bool(busy),
        session_key=key,
        etag=etag,
        created=None if created is None else _moment_back(created),
        uid=str(uid),
        cancelled=bool(row[11]),
        extras=tuple((str(n), str(v)) for n, v in row[12]),
        # Rows stored before categories were kept have none.
        categories=tuple(str(c) for c in row[13]) if len(row) > 13 else (),
    )


def _moment(value: datetime | date) -> str:
    """A date, a floating time (naive: the athlete's own clock), or an instant with its offset
    and, for a named zone, the zone (`2027-03-28T09:00:00+02:00[Europe/Berlin]`), so what
    comes back is the same instant in the same zone."""
    if not isinstance(value, datetime):
        return value.isoformat()
    key = getattr(value.tzinfo, "key", None)
    if isinstance(value.tzinfo, ZoneInfo) and key:
        return f"{value.isoformat()}[{key}]"
    return value.isoformat()


def _moment_back(text: str) -> datetime | date:
    if len(text) == 10:
        return date.fromisoformat(text)
    stamp, _, zone = text.partition("[")
    moment = datetime.fromisoformat(stamp)
    return moment.astimezone(ZoneInfo(zone.rstrip("]"))) if zone else moment
