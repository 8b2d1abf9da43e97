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


def said(news: RaceNews, records: Mapping[str, RaceRecord], races: Iterable[Race]) -> RaceNews:
    """`news` with its lines: each race by its title and priority (as the plan resolved it),
    and from when to when it moved."""
    # A title that carries its marker ("Hamburg Marathon [A]") says it already.
    priority = {r.uid: "" if r.priority_explicit else f" [{r.priority.value}]" for r in races}
    lines = [f"{title}{priority.get(uid, '')}: new, on {day}" for uid, title, day in news.new]
    for uid, title, day in news.changed:
        was = records[uid]
        name = f"{title}{priority.get(uid, '')}"
        if was.removed_at is not None:
            lines.append(f"{name}: back, on {day}")
        elif was.race_date != day:
            lines.append(f"{name}: {was.race_date} -> {day}")
        else:
            lines.append(f"{was.title} -> {name}: renamed")
    lines += [
        f"{records[uid].title}: removed (was on {records[uid].race_date})" for uid in news.removed
    ]
    return replace(news, said=tuple(lines))
