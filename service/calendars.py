"""The calendars one athlete's passes read and write: the seam between the sync pass and the
connectors' ports.

`AthleteCalendars` opens the athlete's backends once through `connectors.registry` (from the
tables `tables()` makes of the athlete's config) and keeps them across passes, so a CalDAV
login, its discovered calendars, every source's change cursor and the training calendar's
mirror live from one pass to the next; the cursors and what each calendar held are also kept
in the store (service.kept), so a new process goes on from them too. A pass where nothing
changed costs one cheap look per calendar (a stat for a file, a 304 for a feed, one request for
CalDAV and Google), in this process or a new one. What the sync uses:

    training()            the TrainingCalendar
    look_training(), mirror()
                          one change query on it, whether it was re-created; every event of it
    remote()              both at once
    look(), derive(tz, start, end)
                          one change query on each race and busy calendar; then races
                          (recognised by scheduler.races), busy time between start and end
                          (scheduler.busy), another app's runs (scheduler.external, R6),
                          one-line problems, broken races, and what each source held (for
                          the empty-source guard)
    read(tz, start, end)  both at once
    inputs()              what each calendar held as digests the store keeps, which move
                          whenever anything a plan reads moved (None when some calendar cannot
                          tell: capabilities.incremental); the quiet-pass key is made of them
    forget()              drop the training mirror
    watched()             the calendars whose servers push changes (capabilities.push)
    close()

It imports no backend module: the config hands each backend its own table as the backend
declared it, and a new calendar service changes nothing here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from connectors import registry
from connectors.base import (
    RemoteEvent,
    Source,
    SourceError,
    TrainingCalendar,
    Watchable,
)
from connectors.registry import ROLES, Account, Context, open_account
from scheduler.busy import busy_from
from scheduler.external import runs_from
from scheduler.lifemarks import split_life
from scheduler.model import ExternalRun, Interval, LifeEvent, LifeKind, Race
from scheduler.races import RaceRead, races_in
from service.config.load import AthleteConfig
from service.kept import Keeper, Kept
from service.notices import Notice, lines, of_problem
from service.store.records import SOURCE, TRAINING
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
    # What could not be read as it should, line and plain form (service.notices).
    notices: tuple[Notice, ...]
    # Malformed events that read as races (see scheduler.races.RaceRead).
    broken_races: tuple[str, ...]
    # What each source held, by its locator, for the empty-source guard (service.sync.guard).
    readings: tuple[Reading, ...] = ()
    # Holidays, sick days and the like marked in the race and busy calendars (L13-L16).
    life: tuple[LifeEvent, ...] = ()
    # R6: the runs of another app's plan, classified, in time order.
    runs: tuple[ExternalRun, ...] = ()

    @property
    def problems(self) -> tuple[str, ...]:
        return lines(self.notices)


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
            "runs": entry.runs_ics,
            "runs_urls": entry.runs_urls,
            "output": None if elsewhere else entry.output_ics,
            "cache_dir": entry.cache_dir,
            "make_folders": entry.output_ics.resolve().is_relative_to(entry.state_dir.resolve()),
            "mode": entry.output_mode,
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
        from service.store import state  # noqa: PLC0415 (a look without a store: no database)

        return state.recall_locator(self.store, self.athlete_id, role)

    def remember(self, role: str, locator: str) -> None:
        from service.store import state  # noqa: PLC0415 (a look without a store: no database)

        state.remember_locator(self.store, self.athlete_id, role, locator)

    def claim(self, role: str, locator: str, replacing: str | None = None) -> str:
        from service.store import claims  # noqa: PLC0415 (a look without a store: no database)

        return claims.claim(self.store, self.athlete_id, role, locator, replacing)


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
        keep: bool = True,
    ) -> None:
        """`training` replaces the configured training calendar (tests, dry runs); `create`
        False only looks for calendars (doctor); `retry_seconds` overrides every backend's
        retry budget; `only` opens just these backends; `keep` False never writes what the
        calendars held to the store (a dry run), though it is read from there."""
        self.entry = entry
        self.store = store
        vault = None
        if store is not None:
            # Here: the vault's keys and queries are for a pass with a store, not a look.
            from service.vault import StoreVault  # noqa: PLC0415

            vault = StoreVault(store, entry)
        self._context = Context(
            entry.athlete.id,
            entry.athlete.timezone,
            memory=StoreMemory(store, entry.athlete.id) if store is not None else None,
            vault=vault,
            create=create,
            retry_seconds=retry_seconds,
        )
        self._only = only
        self._tables = {
            kind: table for kind, table in tables(entry).items() if only is None or kind in only
        }
        self._accounts: dict[str, Account] = {}
        self._training = training
        self.kept = Keeper(store, entry.athlete.id, keep)
        # Each source's key in `kept` (its locator; two calendars of one locator are told
        # apart by their order), and what the last look left of each.
        self._keys: dict[int, str] = {}
        self._looked: dict[str, Kept] = {}
        # The training calendar as of its last look, kept current by its change cursor.
        self._mirror: tuple[str, Kept] | None = None
        # How many times closed (a worker closes the calendars it stops keeping once).
        self.closes = 0

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
        calendars: list[Source] = [
            *self.sources("races"),
            *self.sources("busy"),
            *self.sources("runs"),
        ]
        if self._training is not None:
            calendars.append(self._training)
        for calendar in calendars:
            if calendar.capabilities.push:
                found.setdefault(id(calendar), cast("Watchable", calendar))
        return list(found.values())

    def close(self) -> None:
        self.closes += 1
        for account in self._accounts.values():
            account.close()
        # Opened again, the calendars are new objects: their keys are given anew, in order.
        self._accounts, self._keys = {}, {}

    # -- the training calendar --------------------------------------------------------------
    def look_training(self) -> bool:
        """One cheap change query on the training calendar (from the cursor an earlier process
        left, after a restart); whether the calendar was re-created since the last look."""
        calendar = self.training()
        locator = calendar.locator
        kept = self.kept.training(locator)
        changes = calendar.changes(kept.cursor)
        kept.take(changes, keep_events=True)
        if calendar.locator != locator:  # made again under a new id
            kept = self.kept.relocate(TRAINING, locator, calendar.locator)
        self._mirror = (calendar.locator, kept)
        self.kept.save()
        return changes.reset

    def mirror(self) -> dict[str, RemoteEvent]:
        """Every event of the training calendar as of its last look."""
        return dict(self._mirror[1].events) if self._mirror is not None else {}

    def remote(self) -> tuple[dict[str, RemoteEvent], bool]:
        """Every event of the training calendar now, and whether the calendar was re-created
        since the last look. One cheap change query on a calendar that did not change."""
        reset = self.look_training()
        return self.mirror(), reset

    def forget(self) -> None:
        """Drop the training calendar's mirror, here and in the store: the next look is a full
        listing."""
        if self._mirror is not None:
            self.kept.forget(TRAINING, self._mirror[0])
            self._mirror = None

    # -- races and busy time ----------------------------------------------------------------
    def look(self) -> None:
        """Every race and busy calendar looked at once: one cheap change query each when it
        did not change (from the cursor an earlier process left, after a restart). What a look
        found is stored; nothing is parsed into races or busy time yet (`derive`)."""
        roles = {role: self.sources(role) for role in ROLES}
        races = {id(s) for s in roles["races"]}
        runs = self._runs_keys()
        self._looked = {}
        try:
            for source in (*roles["races"], *roles["busy"], *roles["runs"]):
                key = self._key(source)
                if key in self._looked:
                    continue
                kept = self.kept.get(SOURCE, key)
                try:
                    found = source.changes(kept.cursor)
                except SourceError as exc:
                    if id(source) in runs:
                        # The runs calendar is new to most configs: the line names its key.
                        raise SourceError(f"{runs[id(source)]}: {exc}") from None
                    raise
                kept.take(found, keep_events=id(source) in races)
                self._looked[key] = kept
            if self._only is None:
                self.kept.prune(SOURCE, set(self._looked))
        finally:
            self.kept.save()

    def _runs_keys(self) -> dict[int, str]:
        """Each runs calendar's config key, by the source's id (R6)."""
        where = self.entry.where or f"athlete {self.entry.athlete.id}"
        return {
            id(source): f"{where}.runs.ics" if kind == "ics" else f"{where}.{kind}.runs"
            for kind, account in self._opened()
            for source in account.sources("runs")
        }

    def _key(self, source: Source) -> str:
        key = self._keys.get(id(source))
        if key is None:
            taken = set(self._keys.values())
            key, n = source.locator, 1
            while key in taken:
                n += 1
                key = f"{source.locator}#{n}"
            self._keys[id(source)] = key
        return key

    def derive(self, tz: ZoneInfo, start: datetime, end: datetime) -> Sources:
        """Races from the race calendars, busy time between `start` and `end` from the busy
        ones, as the last `look` left them; what was derived from a calendar that did not
        change is used again."""
        roles = {role: self.sources(role) for role in ROLES}
        races: dict[str, Race] = {}
        notices: list[Notice] = []
        broken: list[str] = []
        readings: list[Reading] = []
        life: list[LifeEvent] = []
        markers = (self.entry.life_markers, self.entry.life_categories)
        for source in roles["races"]:
            kept = self._looked[self._key(source)]
            read, marked = self._races(kept, tz, markers)
            life.extend(marked)
            races.update((race.uid, race) for race in read.races)
            # What races_in reported (read.problems), each in both forms.
            notices.extend(of_problem(p) for p in kept.problems.values())
            broken.extend(read.broken_races)
            found = len(read.races) + len(read.broken_races)
            readings.append(Reading("races", source.locator, found, len(read.races)))
        busy: list[Interval] = []
        for source in roles["busy"]:
            kept = self._looked[self._key(source)]
            # Every event left out is named, a titled one too: busy time is never a race.
            notices.extend(of_problem(p) for p in kept.problems.values())
            key = (kept.version, tz.key, start, end)
            if kept.busy is None or kept.busy[0] != key:
                # A marked event is a life event (L13-L16), not busy time as well.
                marked, plain = split_life(source.events(start, end), tz, *markers)
                kept.busy = (key, busy_from(plain, tz))
                kept.life = marked
            busy.extend(kept.busy[1])
            life.extend(kept.life)
            readings.append(Reading("busy", source.locator, len(kept.busy[1])))
        busy.sort(key=lambda i: (i.start, i.end))
        runs: list[ExternalRun] = []
        for source in roles["runs"]:
            kept = self._looked[self._key(source)]
            notices.extend(of_problem(p) for p in kept.problems.values())
            theirs = runs_from(source.events(start, end), tz, self.entry.run_kinds, source.name)
            runs.extend(theirs)
            # A runs calendar read empty would place strength as if there were no runs (R6).
            readings.append(Reading("runs", source.locator, len(theirs)))
        runs.sort(key=lambda r: (r.start, r.end, r.title))
        return Sources(
            tuple(races.values()),
            tuple(busy),
            tuple(dict.fromkeys(notices)),
            tuple(broken),
            tuple(readings),
            tuple(sorted(set(life), key=lambda e: (e.first, e.last, e.kind.value, e.note))),
            tuple(runs),
        )

    def read(self, tz: ZoneInfo, start: datetime, end: datetime) -> Sources:
        """`look`, then `derive`: each calendar is looked at once."""
        self.look()
        return self.derive(tz, start, end)

    @staticmethod
    def _races(
        kept: Kept, tz: ZoneInfo, markers: tuple[Mapping[str, LifeKind], Mapping[str, LifeKind]]
    ) -> tuple[RaceRead, list[LifeEvent]]:
        """The races of a race calendar and its life events: a marked event is no race."""
        key = (kept.version, tz.key)
        if kept.races is None or kept.races[0] != key:
            marked, plain = split_life(kept.events.values(), tz, *markers)
            kept.races = (key, races_in(plain, kept.problems.values(), tz))
            kept.race_life = marked
        return kept.races[1], kept.race_life

    def inputs(self) -> tuple[tuple[str, str], ...] | None:
        """What every calendar a plan reads held at its last look, as (what, digest) each:
        values the store keeps, which move whenever anything in a calendar moved. None when
        some calendar cannot tell (it is not incremental) or was not looked at."""
        sources = [*self.sources("races"), *self.sources("busy"), *self.sources("runs")]
        if self._mirror is None or not all(s.capabilities.incremental for s in sources):
            return None
        if not self.training().capabilities.incremental:
            return None
        found = [(f"source {key}", kept.digest) for key, kept in self._looked.items()]
        found.append((f"training {self._mirror[0]}", self._mirror[1].digest))
        return tuple(found)
