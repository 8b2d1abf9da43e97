"""From a configured athlete to a plan: read the race and busy sources, build the request."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from connectors.icsfile import read_busy, read_races
from connectors.icsurl import display, fetch
from scheduler.model import Interval, Plan, PlanRequest, Race
from scheduler.plan import build_plan, zone
from scheduler.races import resolve_priorities
from service.calendars import AthleteCalendars
from service.config.load import AthleteConfig
from service.sync.guard import Reading


@dataclass(frozen=True)
class PlanResult:
    plan: Plan
    # One-line problems with the sources (a malformed event, say) that did not stop planning.
    problems: tuple[str, ...]


@dataclass(frozen=True)
class Sources:
    """What an athlete's race and busy calendars hold for a plan from `today`."""

    races: tuple[Race, ...]
    busy: tuple[Interval, ...]
    problems: tuple[str, ...]
    # Malformed events that read as races (see connectors.icsfile.RaceRead).
    broken_races: tuple[str, ...]
    # What each source held, for the empty-source guard (service.sync.guard).
    readings: tuple[Reading, ...] = ()


def read_sources(
    entry: AthleteConfig, today: date, weeks: int, calendars: AthleteCalendars | None = None
) -> Sources:
    """Files, URLs and CalDAV calendars alike; the same race in two calendars counts once.
    `calendars` carries CalDAV sessions and sync tokens from one pass to the next; without it
    the athlete's CalDAV calendars are read once and closed."""
    tz = zone(entry.athlete.timezone)
    problems: list[str] = []
    readings: list[Reading] = []
    # (path read, what to call it): a URL is read from its cached copy and named by its host.
    race_paths = [(p, str(p)) for p in entry.race_ics]
    busy_paths = [(p, str(p)) for p in entry.busy_ics]
    for urls, paths in ((entry.race_urls, race_paths), (entry.busy_urls, busy_paths)):
        for url in urls:
            fetched = fetch(url, entry.cache_dir)
            paths.append((fetched.path, _url_name(url)))
            if fetched.warning:
                problems.append(fetched.warning)
    races: dict[str, Race] = {}
    broken: list[str] = []
    for path, name in race_paths:
        read = read_races(path, tz)
        races.update((race.uid, race) for race in read.races)
        problems.extend(read.problems)
        broken.extend(read.broken_races)
        found = len(read.races) + len(read.broken_races)
        readings.append(Reading("races", name, found, len(read.races)))
    monday = today - timedelta(days=today.weekday())
    start = datetime.combine(monday - timedelta(days=7), time(0, 0), tzinfo=tz)
    end = datetime.combine(monday + timedelta(weeks=weeks + 2), time(0, 0), tzinfo=tz)
    busy: list[Interval] = []
    for path, name in busy_paths:
        found_busy = read_busy(path, tz, start, end)
        busy.extend(found_busy)
        readings.append(Reading("busy", name, len(found_busy)))
    if entry.caldav is not None or entry.google is not None:
        own = calendars or AthleteCalendars(entry)
        try:
            remote = own.read_remote(tz, start, end)
        finally:
            if calendars is None:
                own.close()
        races.update((race.uid, race) for race in remote.races)
        busy.extend(remote.busy)
        problems.extend(remote.problems)
        broken.extend(remote.broken)
        where = "google" if entry.google is not None else "caldav"
        if remote.races or (entry.caldav and entry.caldav.races) or entry.google:
            readings.append(
                Reading("races", f"{where} race calendars", len(remote.races), len(remote.races))
            )
        readings.append(Reading("busy", f"{where} busy calendars", len(remote.busy)))
    busy.sort(key=lambda i: (i.start, i.end))
    return Sources(
        tuple(races.values()), tuple(busy), tuple(problems), tuple(broken), tuple(readings)
    )


def _url_name(url: str) -> str:
    """A feed's name in messages: its host, and a short digest that tells two feeds on one host
    apart without showing the secret path."""
    return f"{display(url)}#{hashlib.sha256(url.encode()).hexdigest()[:8]}"


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
        now=now,
    )
    return PlanResult(build_plan(request), sources.problems)
