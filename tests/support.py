"""Builders for planning inputs and independent checkers of the hard placement rules.

The checkers re-derive each rule from the plan's output alone, so a test using them can fail
whatever the planner believes about itself.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import icalendar

from scheduler.check import HARD_PLACEMENT
from scheduler.model import (
    Athlete,
    Interval,
    PlacedSession,
    Plan,
    PlanRequest,
    Priority,
    Race,
    TimeWindow,
)
from service.config.load import AthleteConfig, Config, load_config
from service.store.database import Store

if TYPE_CHECKING:
    from connectors.base import CalendarConnector
    from service.calendars import AthleteCalendars
    from service.sync.result import PassResult
    from tests.executors import Embedded

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
WEEKDAY_WINDOWS = (TimeWindow(time(6, 0), time(7, 30)), TimeWindow(time(17, 30), time(21, 0)))
WEEKEND_WINDOWS = (TimeWindow(time(7, 0), time(12, 0)), TimeWindow(time(16, 0), time(19, 0)))


def athlete(
    run_days: tuple[int, ...] = (MON, TUE, THU, SAT, SUN),
    long_run_day: int = SUN,
    windows: tuple[tuple[TimeWindow, ...], ...] | None = None,
    tz: str = "Europe/Berlin",
    **kw: object,
) -> Athlete:
    return Athlete(
        id="t",
        timezone=tz,
        run_days=frozenset(run_days),
        long_run_day=long_run_day,
        windows=windows or (WEEKDAY_WINDOWS,) * 5 + (WEEKEND_WINDOWS,) * 2,
        **kw,  # type: ignore[arg-type]
    )


def race(
    uid: str, day: date, km: float = 42.195, priority: Priority = Priority.A, **kw: object
) -> Race:
    fields: dict[str, object] = {"priority_explicit": True, **kw}
    return Race(uid, f"{uid} race", day, km, priority, "", **fields)  # type: ignore[arg-type]


def request(
    a: Athlete, races: tuple[Race, ...], today: date, weeks: int = 8, **kw: object
) -> PlanRequest:
    return PlanRequest(a, races, today, weeks, **kw)  # type: ignore[arg-type]


def local(s: PlacedSession, tz: str) -> datetime:
    return s.start.astimezone(ZoneInfo(tz))


def by_day(plan: Plan) -> dict[date, list[PlacedSession]]:
    tz = ZoneInfo(plan.timezone)
    out: dict[date, list[PlacedSession]] = defaultdict(list)
    for s in plan.sessions:
        out[s.start.astimezone(tz).date()].append(s)
    return out


def busy_at(day: date, start: time, end: time, tz: str = "Europe/Berlin") -> Interval:
    zone = ZoneInfo(tz)
    return Interval(
        datetime.combine(day, start, tzinfo=zone), datetime.combine(day, end, tzinfo=zone)
    )


# -- hard-rule checkers: scheduler.check holds them; the property tests run these -------------

HARD_RULES = HARD_PLACEMENT


def violations(plan: Plan, req: PlanRequest) -> list[str]:
    return [v for check in HARD_RULES for v in check(plan, req)]


# -- the example athlete in a scratch directory -------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def example_workspace(base: Path) -> Path:
    """A copy of the example config and calendars in `base`; returns the config path."""
    base.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "config.example.toml", base / "config.toml")
    shutil.copytree(ROOT / "examples", base / "examples")
    return base / "config.toml"


ICS_ATHLETE = """
[[athletes]]
id = "{id}"
timezone = "Europe/Berlin"
run_days = ["mon", "wed", "fri", "sun"]
long_run_day = "sun"
[athletes.races]
ics = ["{races}"]
[athletes.output]
ics = "var/{id}.ics"
"""


def ics_athlete(athlete_id: str, races: str) -> str:
    """An athlete's table for a config, on the race calendar `races` (a file or a URL),
    writing var/ATHLETE.ics."""
    return ICS_ATHLETE.format(id=athlete_id, races=races)


def second_athlete(races: str) -> str:
    """A second athlete's table for a config: blake, on the race calendar `races` (a file or a
    URL), writing var/blake.ics."""
    return ics_athlete("blake", races)


def example_store(base: Path, url: str | None = None) -> tuple[Store, AthleteConfig]:
    """The example workspace with its store (the config's SQLite, or `url`) at the newest
    schema."""
    config = load_config(example_workspace(base))
    store = Store.open(url or config.service.database_url, base)
    store.upgrade()
    return store, config.athletes[0]


class StoreOfItsOwn:
    """A scratch world's store: SQLite under `base` unless a suite sets `store_url`, and its
    passes: in process unless a suite sets `executor` (tests.executors)."""

    base: Path
    # The sync suites set this to run on PostgreSQL too.
    store_url = "sqlite:///var/racecal.db"
    executor: Embedded | None = None
    # The config the world's athletes were last read from (what an executor syncs).
    loaded: Config | None = None
    adopted = False

    def store(self) -> Store:
        store = Store.open(self.store_url, self.base)
        store.upgrade()
        if self.executor is not None and not self.adopted:
            assert self.loaded is not None, "config() before store()"
            self.executor.adopt(self.loaded, store)
            self.adopted = True  # a second store() (a dry run's) is a look at the same one
        return store

    def run_pass(
        self,
        store: Store,
        entry: AthleteConfig,
        now: datetime,
        calendars: AthleteCalendars | CalendarConnector | None = None,
        dry_run: bool = False,
    ) -> PassResult:
        """A pass of the athlete at `now`, on the world's executor."""
        if self.executor is not None:
            return self.executor.run_pass(store, entry, now, calendars, dry_run)
        from service.sync.engine import run_pass  # noqa: PLC0415

        return run_pass(store, entry, now, calendars, dry_run=dry_run)

    def on(self, executor: Embedded) -> None:
        """The world's passes on `executor`, and its store where that executor needs it."""
        self.executor = executor
        if executor.url is not None:
            self.store_url = executor.url


def move_race(entry: AthleteConfig, title: str, days: int) -> None:
    """Move the race titled `title` in the athlete's first race file by `days`, as a person
    editing the event in their calendar app would."""
    path = entry.race_ics[0]
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    for event in cal.walk("VEVENT"):
        if str(event["SUMMARY"]) == title:
            start, end = event.start, event.end
            del event["DTSTART"], event["DTEND"]
            event.add("dtstart", start + timedelta(days=days))
            event.add("dtend", end + timedelta(days=days))
    path.write_bytes(cal.to_ical())
