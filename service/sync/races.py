"""Race history, decided: when each race was first seen (P3 compresses a block against it)
and what changed since the last pass, as values for the executor to record."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime

from scheduler.model import PlanError, Race
from service.store.records import RaceNews, RaceRecord


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


# Date arithmetic runs out in year 9999: the block before a race and the recovery weeks after
# it must still be dates.
LAST_PLANNABLE = date(9998, 12, 31)


def plannable(races: Iterable[Race]) -> None:
    """PlanError naming the first race too far ahead to plan for (a typo such as 9999 would
    otherwise end the pass in an OverflowError deep in the planner)."""
    for race in races:
        if race.date > LAST_PLANNABLE:
            raise PlanError(
                f"race '{race.title}' on {race.date} is beyond the planning range "
                f"(races up to {LAST_PLANNABLE}); fix its date"
            )


def said(news: RaceNews, records: Mapping[str, RaceRecord], races: Iterable[Race]) -> RaceNews:
    """`news` with its lines: each race by its title and priority (as the plan resolved it),
    and from when to when it moved; and the same without titles, for the log at INFO (event
    contents stay out of it): a race by its priority and distance."""
    known = {r.uid: r for r in races}

    def names(uid: str, title: str) -> tuple[str, str]:
        race = known.get(uid)
        if race is None:
            return title, "a race"
        # A title that carries its marker ("Hamburg Marathon [A]") says it already.
        marked = title if race.priority_explicit else f"{title} [{race.priority.value}]"
        return marked, f"the {race.priority.value} race ({race.distance_km:g} km)"

    lines: list[tuple[str, str]] = []
    for uid, title, day in news.new:
        titled, plain = names(uid, title)
        lines.append((f"{titled}: new, on {day}", f"{plain}: new, on {day}"))
    for uid, title, day in news.changed:
        was = records[uid]
        titled, plain = names(uid, title)
        if was.removed_at is not None:
            lines.append((f"{titled}: back, on {day}", f"{plain}: back, on {day}"))
        elif was.race_date != day:
            move = f"{was.race_date} -> {day}"
            lines.append((f"{titled}: {move}", f"{plain}: {move}"))
        else:
            lines.append((f"{was.title} -> {titled}: renamed", f"{plain}: renamed"))
    for uid in news.removed:
        was = records[uid]
        lines.append(
            (
                f"{was.title}: removed (was on {was.race_date})",
                f"a race on {was.race_date}: removed",
            )
        )
    return replace(news, said=tuple(t for t, _ in lines), plain=tuple(p for _, p in lines))
