"""Race history, decided: when each race was first seen (P3 compresses a block against it)
and what changed since the last pass, as values for the executor to record."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime

from scheduler.model import Race
from service.store.state import RaceNews, RaceRecord


def race_history(
    records: Mapping[str, RaceRecord], races: Iterable[Race], now: datetime
) -> tuple[list[Race], RaceNews]:
    """The races with `planned_since` from their history, and what is new: races first seen
    now, races whose title or date changed (or that came back), races no longer there."""
    new: list[tuple[str, str, date]] = []
    changed: list[tuple[str, str, date]] = []
    out: list[Race] = []
    seen: set[str] = set()
    for race in races:
        seen.add(race.uid)
        record = records.get(race.uid)
        if record is None:
            new.append((race.uid, race.title, race.date))
            first = now.date()
        else:
            if (record.title, record.race_date, record.removed_at) != (race.title, race.date, None):
                changed.append((race.uid, race.title, race.date))
            first = record.first_seen.astimezone(now.tzinfo).date()
        since = min(race.planned_since, first) if race.planned_since else first
        out.append(replace(race, planned_since=since))
    removed = tuple(
        sorted(uid for uid, r in records.items() if uid not in seen and r.removed_at is None)
    )
    return out, RaceNews(tuple(new), tuple(changed), removed)
