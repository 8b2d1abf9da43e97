"""The calendars one athlete's passes read and write: the seam between the sync pass and the
connectors' ports.

`AthleteCalendars` opens the athlete's backends once through `connectors.registry` (from the
tables `tables()` makes of the athlete's config) and keeps them across passes, so a CalDAV
login, its discovered calendars, every source's change cursor and the training calendar's
mirror live from one pass to the next: a pass where nothing changed costs one cheap look per
calendar (a stat for a file, a 304 for a feed, one request for CalDAV and Google) and plans
nothing. A fresh process starts with full listings. What the sync uses:

    training()            the TrainingCalendar
    remote()              every event of it now, and whether it was re-created
    read(tz, start, end)  races (recognised by scheduler.races), busy time between start and
                          end (scheduler.busy), one-line problems, broken races, and what each
                          source held (for the empty-source guard)
    inputs()              a value that moves whenever anything a plan reads moved (None when
                          some source cannot tell: capabilities.incremental)
    settled, forget()     the last quiet pass's key and report; drop the training mirror
    watched()             the calendars whose servers push changes (capabilities.push)
    close()

It imports no backend module: the config hands each backend its own table as the backend
declared it, and a new calendar service changes nothing here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from connectors import registry
from connectors.base import (
    ChangeSet,
    Problem,
    RemoteEvent,
    Source,
    SourceError,
    TrainingCalendar,
    Watchable,
)
from connectors.registry import ROLES, Account, Context, open_account
from scheduler.busy import busy_from
from scheduler.model import Interval, Race
from scheduler.races import RaceRead, races_in
from service.config.load import AthleteConfig
from service.store import state
from service.sync.guard import Reading

if TYPE_CHECKING:
    from service.store.database import Store

log = logging.getLogger("racecal.calendars")

__all__ = [
    "AthleteCalendars",
    "SourceError",
    "Sources",
    "tables",
    "training_elsewhere",
    "training_target",
]


@dataclass(frozen=True)
class Sources:
    """What an athlete's race and busy calendars hold for a plan."""

    races: tuple[Race, ...]
    busy: tuple[Interval, ...]
    problems: tuple[str, ...]
    # Malformed events that read as races (see scheduler.races.RaceRead).
    broken_races: tuple[str, ...]
    # What each source held, by its locator, for the empty-source guard (service.sync.guard).
    readings: tuple[Reading, ...] = ()


def training_target(entry: AthleteConfig) -> str:
    """Where the athlete's sessions are written, for messages."""
    for kind, table in entry.calendars.items():
        target = registry.settings(kind).training(table)
        if target is not None:
            return target
    return str(entry.output_ics)


def training_elsewhere(entry: AthleteConfig) -> bool:
    """Whether a backend's table holds the training calendar (else the .ics output does)."""
    return any(
        registry.settings(kind).training(table) is not None
        for kind, table in entry.calendars.items()
    )


def tables(entry: AthleteConfig) -> dict[str, Mapping[str, Any]]:
    """The athlete's config as one table per backend, for `connectors.registry`, in the order
    races count. The .ics table holds the output file only when no other backend holds the
    training calendar."""
    elsewhere = training_elsewhere(entry)
    found: dict[str, Mapping[str, Any]] = {
        "ics": {
            "races": entry.race_ics,
            "busy": entry.busy_ics,
            "race_urls": entry.race_urls,
            "busy_urls": entry.busy_urls,
            "output": None if elsewhere else entry.output_ics,
            "cache_dir": entry.cache_dir,
            "make_folders": entry.output_ics.resolve().is_relative_to(entry.state_dir.resolve()),
        },
        **entry.calendars,
    }
    return {kind: found[kind] for kind in registry.BACKENDS if kind in found}


class StoreMemory:
    """Locators a backend made, remembered in the store's calendars table (the Google training
    calendar's id: its narrow scope cannot find it again)."""

    def __init__(self, store: Store, athlete_id: str) -> None:
        self.store = store
        self.athlete_id = athlete_id

    def recall(self, role: str) -> str | None:
        return state.recall_locator(self.store, self.athlete_id, role)

    def remember(self, role: str, locator: str) -> None:
        state.remember_locator(self.store, self.athlete_id, role, locator)


@dataclass
class _Seen:
    """One source as the last look left it."""

    cursor: str | None = None
    events: dict[str, RemoteEvent] = field(default_factory=dict)
    problems: dict[str, Problem] = field(default_factory=dict)
    # Bumped whenever a look found something new; what was derived from it is kept by it.
    version: int = 0
    races: tuple[object, RaceRead] | None = None
    busy: tuple[object, list[Interval]] | None = None

    def take(self, changes: ChangeSet) -> None:
        if changes.full:
            self.events, self.problems = {}, {}
        for gone in changes.removed:
            self.events.pop(gone, None)
            self.problems.pop(gone, None)
        self.events.update((e.id, e) for e in changes.events)
        self.problems.update((p.id, p) for p in changes.problems)
        self.cursor = changes.cursor
        if not changes.quiet:
            self.version += 1


class AthleteCalendars:
    def __init__(
        self,
        entry: AthleteConfig,
        training: TrainingCalendar | None = None,
        store: Store | None = None,
        *,
        create: bool = True,
        retry_seconds: float | None = None,
        only: Sequence[str] | None = None,
    ) -> None:
        """`training` replaces the configured training calendar (tests, dry runs); `create`
        False only looks for calendars (doctor); `retry_seconds` overrides every backend's
        retry budget; `only` opens just these backends."""
        self.entry = entry
        self.store = store
        self._context = Context(
            entry.athlete.id,
            entry.athlete.timezone,
            memory=StoreMemory(store, entry.athlete.id) if store is not None else None,
            create=create,
            retry_seconds=retry_seconds,
        )
        self._tables = {
            kind: table for kind, table in tables(entry).items() if only is None or kind in only
        }
        self._accounts: dict[str, Account] = {}
        self._training = training
        self._seen: dict[int, _Seen] = {}
        # The training calendar as of the last pass, kept current by its change cursor.
        self._mirror: dict[str, RemoteEvent] = {}
        self._cursor: str | None = None
        # Counts looks at the training calendar that found something new.
        self._training_changes = 0
        # (day, inputs) of the last pass that found nothing to write, and what it reported.
        self.settled: tuple[object, tuple[str, ...]] | None = None

    # -- the backends -----------------------------------------------------------------------
    def _opened(self) -> Iterator[tuple[str, Account]]:
        """Each configured backend, opened on first use (a failure is tried again next time)."""
        for kind, table in self._tables.items():
            if kind not in self._accounts:
                self._accounts[kind] = open_account(kind, table, self._context)
            yield kind, self._accounts[kind]

    def sources(self, role: str) -> list[Source]:
        return [s for _kind, account in self._opened() for s in account.sources(role)]

    def training(self) -> TrainingCalendar:
        if self._training is None:
            for _kind, account in self._opened():
                calendar = account.training()
                if calendar is not None:
                    self._training = calendar
                    break
            else:
                raise SourceError(
                    f"athlete {self.entry.athlete.id}: no training calendar to write to "
                    f"({training_target(self.entry)} could not be opened)"
                )
        return self._training

    def watched(self) -> list[Watchable]:
        """The opened calendars whose servers push "something changed" (capabilities.push),
        the training calendar last."""
        found: dict[int, Watchable] = {}
        calendars: list[Source] = [*self.sources("races"), *self.sources("busy")]
        if self._training is not None:
            calendars.append(self._training)
        for calendar in calendars:
            if calendar.capabilities.push:
                found.setdefault(id(calendar), cast("Watchable", calendar))
        return list(found.values())

    def close(self) -> None:
        for account in self._accounts.values():
            account.close()
        self._accounts = {}

    # -- the training calendar --------------------------------------------------------------
    def remote(self) -> tuple[dict[str, RemoteEvent], bool]:
        """Every event of the training calendar now, and whether the calendar was re-created
        since the last look. One cheap change query on a calendar that did not change."""
        changes = self.training().changes(self._cursor)
        if not changes.quiet:
            self._training_changes += 1
        if changes.full:
            self._mirror = {e.id: e for e in changes.events}
        else:
            for event_id in changes.removed:
                self._mirror.pop(event_id, None)
            self._mirror.update((e.id, e) for e in changes.events)
        self._cursor = changes.cursor
        return dict(self._mirror), changes.reset

    def forget(self) -> None:
        """Drop the mirror: the next look is a full listing."""
        self._mirror, self._cursor, self.settled = {}, None, None

    # -- races and busy time ----------------------------------------------------------------
    def read(self, tz: ZoneInfo, start: datetime, end: datetime) -> Sources:
        """Races from the race calendars, busy time between `start` and `end` from the busy
        ones; each calendar is looked at once (one cheap change query when it did not
        change), and what was derived from one that did not change is used again."""
        roles = {role: self.sources(role) for role in ROLES}
        looked: dict[int, _Seen] = {}
        for source in (*roles["races"], *roles["busy"]):
            if id(source) not in looked:
                looked[id(source)] = self._look(source)
        races: dict[str, Race] = {}
        problems: list[str] = []
        broken: list[str] = []
        readings: list[Reading] = []
        for source in roles["races"]:
            read = self._races(looked[id(source)], tz)
            races.update((race.uid, race) for race in read.races)
            problems.extend(read.problems)
            broken.extend(read.broken_races)
            found = len(read.races) + len(read.broken_races)
            readings.append(Reading("races", source.locator, found, len(read.races)))
        busy: list[Interval] = []
        for source in roles["busy"]:
            seen = looked[id(source)]
            problems.extend(p.line for p in seen.problems.values() if p.title is None)
            key = (seen.version, tz.key, start, end)
            if seen.busy is None or seen.busy[0] != key:
                seen.busy = (key, busy_from(source.events(start, end), tz))
            busy.extend(seen.busy[1])
            readings.append(Reading("busy", source.locator, len(seen.busy[1])))
        busy.sort(key=lambda i: (i.start, i.end))
        return Sources(
            tuple(races.values()),
            tuple(busy),
            tuple(dict.fromkeys(problems)),
            tuple(broken),
            tuple(readings),
        )

    def _look(self, source: Source) -> _Seen:
        seen = self._seen.setdefault(id(source), _Seen())
        seen.take(source.changes(seen.cursor))
        return seen

    @staticmethod
    def _races(seen: _Seen, tz: ZoneInfo) -> RaceRead:
        key = (seen.version, tz.key)
        if seen.races is None or seen.races[0] != key:
            seen.races = (key, races_in(seen.events.values(), seen.problems.values(), tz))
        return seen.races[1]

    def inputs(self) -> object | None:
        """A value that moves whenever anything a plan depends on in the calendars moved; None
        when some source cannot tell (it is not incremental)."""
        sources = [*self.sources("races"), *self.sources("busy")]
        if not all(s.capabilities.incremental for s in sources):
            return None
        versions = [self._training_changes]
        versions.extend(self._seen[id(s)].version for s in sources if id(s) in self._seen)
        return tuple(versions)
