"""The plan grouped as a person reads it: weeks of seven days, each day with its races, the
sessions on it (on the athlete's clock) and the sessions the athlete deleted from it; and what
comes next, the next race and how far off it is.

Pure: values in, values out; the page (page.py) turns them into HTML.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from scheduler.model import PlacedSession, Plan, Priority, Race, WeekPlan
from scheduler.plan import zone
from service.views.held import Deleted, HeldPlan
from service.views.volume import Volume, volume_of


@dataclass(frozen=True)
class Day:
    date: date
    races: tuple[Race, ...]
    sessions: tuple[PlacedSession, ...]
    # Sessions the athlete deleted that stood on this day, struck through on the page.
    deleted: tuple[Deleted, ...]

    @property
    def rest(self) -> bool:
        return not (self.races or self.sessions or self.deleted)


@dataclass(frozen=True)
class Week:
    plan: WeekPlan
    days: tuple[Day, ...]
    volume: Volume


def weeks_of(plan: Plan, held: HeldPlan | None = None) -> list[Week]:
    tz = zone(plan.timezone)
    sessions: dict[date, list[PlacedSession]] = defaultdict(list)
    for session in plan.sessions:
        sessions[session.start.astimezone(tz).date()].append(session)
    races: dict[date, list[Race]] = defaultdict(list)
    for race in plan.races:
        races[race.date].append(race)
    deleted: dict[date, list[Deleted]] = defaultdict(list)
    for gone in held.deleted if held is not None else ():
        if gone.start is not None:
            deleted[gone.start.astimezone(tz).date()].append(gone)
    out = []
    for week in plan.weeks:
        days = []
        for offset in range(7):
            day = week.start + timedelta(days=offset)
            on = tuple(sorted(sessions.get(day, []), key=lambda s: (s.start, s.key)))
            struck = tuple(sorted(deleted.get(day, []), key=lambda d: (d.start, d.key)))
            days.append(Day(day, tuple(races.get(day, [])), on, struck))
        inside = [s for d in days for s in d.sessions]
        out.append(Week(week, tuple(days), volume_of(inside)))
    return out


def next_races(plan: Plan) -> tuple[Race | None, Race | None]:
    """The next race from the plan's today (today's included) and the next A race."""
    ahead = sorted((r for r in plan.races if r.date >= plan.today), key=lambda r: r.date)
    first = ahead[0] if ahead else None
    a_race = next((r for r in ahead if r.priority is Priority.A), None)
    return first, a_race


def countdown(race: Race, today: date) -> str:
    """ "in 23 days", "tomorrow", "today"; weeks as well once it is a fortnight off."""
    days = (race.date - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days < 14:
        return f"in {days} days"
    return f"in {days} days ({days // 7} weeks)"
