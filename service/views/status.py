"""What `racecal status` reports, read from the store (service.store.state)."""

from __future__ import annotations

from service.store import status as store_status
from service.store.database import Store
from service.store.payload import fitness_to_json, plan_from_body


def athlete_status(
    store: Store, athlete_ids: list[str], interval_minutes: float
) -> list[dict[str, object]]:
    """The next pass is due one interval after the last one started (sooner when a watched
    race or busy file changes). `edits` lists the sessions that are the athlete's."""
    out: list[dict[str, object]] = []
    for row in store_status.status(store, athlete_ids):
        due = store_status.next_pass(row.last_started, interval_minutes)
        if row.last_started is None:
            result = "never run"
        elif row.last_finished is None:
            result = "running or killed"
        else:
            result = "failed" if row.last_error_of_last else "ok"
        out.append(
            {
                "athlete": row.athlete,
                "last_pass": row.last_started.isoformat() if row.last_started else None,
                "next_pass": due.isoformat() if due else None,
                "last_result": result,
                "races_seen": row.races_seen,
                "sessions_managed": row.sessions_managed,
                "pinned": sum(e.kind == "pinned" for e in row.edits),
                "deleted": sum(e.kind == "deleted" for e in row.edits),
                "edits": [
                    {
                        "key": e.key,
                        "kind": e.kind,
                        "changes": list(e.changes),
                        "title": e.title,
                        "start": e.start.isoformat() if e.start else None,
                        "seen_at": e.seen_at.isoformat(),
                    }
                    for e in row.edits
                ],
                "last_good_plan": row.plan_made_at.isoformat() if row.plan_made_at else None,
                "needs_reauth": row.needs_reauth,
                # Sources the empty-source guard holds: the plan is kept until the athlete
                # runs `racecal sync --once --accept-empty ATHLETE` or a day passes.
                "held_sources": [
                    {"source": key, "empty_since": since.isoformat()}
                    for key, since in row.held_sources
                ],
                # "Hamburg Marathon [A]: 2027-04-25 -> 2027-05-02", newest first.
                "race_moves": [
                    {
                        "race": title,
                        "from": moved_from.isoformat(),
                        "to": moved_to.isoformat(),
                        "seen_at": seen.isoformat(),
                    }
                    for title, moved_from, moved_to, seen in row.race_moves
                ],
                "last_error": row.last_error,
                # R7: what the last good plan's paces come from, and the race results read.
                "paces": _paces(row.plan_body),
            }
        )
    return out


def _paces(body: str | None) -> dict[str, object] | None:
    plan = plan_from_body(body) if body else None
    if plan is None or plan.fitness is None:
        return None
    return fitness_to_json(plan.fitness)
