"""From a configured athlete to a plan: read the race and busy sources, build the request.

`read_races` and `read_busy` read one .ics file the way a pass reads it (doctor checks files
one by one with them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from connectors.base import Source
from connectors.registry import Context, open_account
from scheduler.busy import busy_from
from scheduler.external import runs_from
from scheduler.lifemarks import CATEGORIES, MARKERS, split_life
from scheduler.model import ExternalRun, Interval, LifeKind, Plan, PlanRequest
from scheduler.plan import build_plan, zone
from scheduler.races import RaceRead, races_in, resolve_priorities
from service.calendars import AthleteCalendars, Sources
from service.config.load import AthleteConfig

__all__ = [
    "PlanResult",
    "Sources",
    "plan_for",
    "read_busy",
    "read_busy_checked",
    "read_races",
    "read_runs",
    "read_sources",
]


@dataclass(frozen=True)
class PlanResult:
    plan: Plan
    # One-line problems with the sources (a malformed event, say) that did not stop planning.
    problems: tuple[str, ...]


def window(today: date, weeks: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The busy time a plan from `today` looks at: from the Monday before this week's to two
    weeks past its end."""
    monday = today - timedelta(days=today.weekday())
    start = datetime.combine(monday - timedelta(days=7), time(0, 0), tzinfo=tz)
    end = datetime.combine(monday + timedelta(weeks=weeks + 2), time(0, 0), tzinfo=tz)
    return start, end


def read_sources(
    entry: AthleteConfig, today: date, weeks: int, calendars: AthleteCalendars | None = None
) -> Sources:
    """Files, URLs, CalDAV and Google calendars alike; the same race in two calendars counts
    once. `calendars` carries open connections and change cursors from one pass to the next;
    without it the athlete's calendars are read once and closed."""
    tz = zone(entry.athlete.timezone)
    own = calendars or AthleteCalendars(entry)
    try:
        return own.read(tz, *window(today, weeks, tz))
    finally:
        if calendars is None:
            own.close()


def plan_for(
    entry: AthleteConfig,
    today: date,
    weeks: int | None = None,
    now: datetime | None = None,
    calendars: AthleteCalendars | None = None,
) -> PlanResult:
    """The plan from the athlete's sources; with `calendars` (the daemon's), their open
    connections and mirrors are used instead of a fresh read."""
    weeks = weeks or entry.plan_weeks
    sources = read_sources(entry, today, weeks, calendars)
    request = PlanRequest(
        athlete=entry.athlete,
        races=resolve_priorities(sources.races, today),
        today=today,
        weeks=weeks,
        busy=sources.busy,
        external_runs=sources.runs,
        now=now,
        life=sources.life,
    )
    return PlanResult(build_plan(request), sources.problems)


def _file(path: Path, role: str) -> Source:
    account = open_account("ics", {role: [path]}, Context("doctor", "UTC"))
    return account.sources(role)[0]


Tables = tuple[Mapping[str, LifeKind], Mapping[str, LifeKind]]


def read_races(path: Path, tz: ZoneInfo, marks: Tables = (MARKERS, CATEGORIES)) -> RaceRead:
    """The races in one .ics file (a marked event, L13-L16, is none); IcsError when it cannot
    be read."""
    found = _file(path, "races").changes(None)
    _, plain = split_life(found.events, tz, *marks)
    return races_in(plain, found.problems, tz)


def read_runs(path: Path, tz: ZoneInfo, start: datetime, end: datetime) -> list[ExternalRun]:
    """Another app's runs in one .ics file between `start` and `end`, classified (R6)."""
    return runs_from(_file(path, "runs").events(start, end), tz)


def read_busy(path: Path, tz: ZoneInfo, start: datetime, end: datetime) -> list[Interval]:
    """The busy time in one .ics file between `start` and `end`."""
    return busy_from(_file(path, "busy").events(start, end), tz)


def read_busy_checked(
    path: Path,
    tz: ZoneInfo,
    start: datetime,
    end: datetime,
    marks: Tables = (MARKERS, CATEGORIES),
) -> tuple[list[Interval], list[str]]:
    """The busy time in one .ics file between `start` and `end` (a marked event, L13-L16, is
    none), and one line for each event a pass leaves out of it (a busy calendar has no "not a
    race": every problem counts)."""
    source = _file(path, "busy")
    problems = [p.line for p in source.changes(None).problems]
    _, plain = split_life(source.events(start, end), tz, *marks)
    return busy_from(plain, tz), problems
