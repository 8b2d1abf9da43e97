"""From a configured athlete to a plan: read the race and busy sources, build the request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from connectors.icsfile import read_busy, read_races
from connectors.icsurl import fetch
from scheduler.model import Plan, PlanRequest, Race
from scheduler.plan import build_plan, zone
from scheduler.races import resolve_priorities
from service.config import AthleteConfig


@dataclass(frozen=True)
class PlanResult:
    plan: Plan
    # One-line problems with the sources (a malformed event, say) that did not stop planning.
    problems: tuple[str, ...]


def plan_for(
    entry: AthleteConfig, today: date, weeks: int | None = None, now: datetime | None = None
) -> PlanResult:
    athlete = entry.athlete
    tz = zone(athlete.timezone)
    weeks = weeks or entry.plan_weeks
    races: list[Race] = []
    problems: list[str] = []
    race_paths, busy_paths = list(entry.race_ics), list(entry.busy_ics)
    for urls, paths in ((entry.race_urls, race_paths), (entry.busy_urls, busy_paths)):
        for url in urls:
            fetched = fetch(url, entry.cache_dir)
            paths.append(fetched.path)
            if fetched.warning:
                problems.append(fetched.warning)
    for path in race_paths:
        read = read_races(path, tz)
        races.extend(read.races)
        problems.extend(read.problems)
    monday = today - timedelta(days=today.weekday())
    start = datetime.combine(monday - timedelta(days=7), time(0, 0), tzinfo=tz)
    end = datetime.combine(monday + timedelta(weeks=weeks + 2), time(0, 0), tzinfo=tz)
    busy = [i for path in busy_paths for i in read_busy(path, tz, start, end)]
    request = PlanRequest(
        athlete=athlete,
        races=resolve_priorities(_unique(races), today),
        today=today,
        weeks=weeks,
        busy=tuple(busy),
        now=now,
    )
    return PlanResult(build_plan(request), tuple(problems))


def _unique(races: list[Race]) -> list[Race]:
    """The same event exported into two files counts once."""
    return list({race.uid: race for race in races}.values())
