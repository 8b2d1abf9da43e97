"""The worlds the sync state machine (tests/sync_machine.py) runs in: one athlete's race and busy
files, a store of its own, and a training calendar on one backend (in memory here; the local
Google server and a real Radicale in tests/machine_servers.py), with faults at the connector or
the wire.

A fault is armed for the n-th calendar write of the next pass: "fail" (refused, not done),
"timeout" (no answer, not done), "lost" (done, its answer lost), "kill-before" and
"kill-after" (the process dies just before, or just after, that write reaches the calendar).
A kill puts the store back to what it held at that moment (a SIGKILLed process commits
nothing more) and drops every object of the pass; the next pass starts from the store with
fresh ones. On Google a timeout or a lost answer hits the whole batch request, as on the wire.
"""

from __future__ import annotations

import atexit
import copy
import functools
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from connectors.base import (
    ChangeSet,
    RemoteEvent,
    SessionEvent,
    TrainingCalendar,
    Unavailable,
)
from connectors.memory import MemoryCalendar
from service.calendars import AthleteCalendars
from service.config.load import AthleteConfig, load_config
from service.store import state
from service.store.database import Store
from service.sync.engine import PassResult, run_pass

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 1, 11, 5, 0, tzinfo=BERLIN)  # a Monday morning, before any session
ATHLETE = "mia"
FAULTS = ("fail", "timeout", "lost", "kill-before", "kill-after")

CONFIG = """{head}
[[athletes]]
id = "mia"
timezone = "Europe/Berlin"
run_days = ["tue", "thu", "sun"]
long_run_day = "sun"
weekly_km = 30
easy_pace = "6:00"
max_strength_per_week = 2
plan_weeks = {weeks}

[athletes.windows]
weekdays = ["06:00-07:30", "17:30-21:00"]
weekend = ["07:00-12:00", "16:00-19:00"]

[athletes.races]
ics = ["{inputs}/races.ics"]

[athletes.busy]
ics = ["{inputs}/busy.ics"]
{training}
"""
WEEKS = 4


class Killed(BaseException):
    """The process died here: nothing after it counts (the store is put back as it was)."""


@dataclass(frozen=True)
class Shown:
    """A session as the athlete sees it in their calendar app."""

    title: str
    description: str
    start: datetime
    end: datetime


def _replace(path: Path, data: bytes) -> None:
    """A new file over the old one, as a calendar app saves."""
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


@dataclass
class Inputs:
    """The athlete's race and busy files (one folder, shared by a world and its twin)."""

    folder: Path
    races: dict[str, tuple[str, date]] = field(default_factory=dict)
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)

    def write(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        races = [
            (uid, title, f"VALUE=DATE:{day:%Y%m%d}", f"VALUE=DATE:{day + timedelta(days=1):%Y%m%d}")
            for uid, (title, day) in sorted(self.races.items())
        ]
        busy = [
            (f"busy-{n}", "Busy", f"{_utc(start)}", f"{_utc(end)}")
            for n, (start, end) in enumerate(self.busy)
        ]
        _replace(self.folder / "races.ics", _text(races))
        _replace(self.folder / "busy.ics", _text(busy))


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def _text(events: list[tuple[str, str, str, str]]) -> bytes:
    """A calendar file as an app exports it (written by hand: this runs at every step)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//racecal tests//machine//EN"]
    for uid, title, start, end in events:
        lines += ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20270101T000000Z"]
        lines += [f"DTSTART{';' if start.startswith('VALUE') else ':'}{start}"]
        lines += [f"DTEND{';' if end.startswith('VALUE') else ':'}{end}"]
        lines += [f"SUMMARY:{title}", "END:VEVENT"]
    return "\r\n".join([*lines, "END:VCALENDAR", ""]).encode()


def config(folder: Path, inputs: Path, training: str, head: str = "") -> AthleteConfig:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    text = CONFIG.format(head=head, weeks=WEEKS, inputs=inputs, training=training)
    path.write_text(text, encoding="utf-8")
    return load_config(path).athletes[0]


def copy_db(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (its WAL included), as of now."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    src.close()


@functools.cache
def template() -> Path:
    """A store at the newest schema, made once per process and copied for every world."""
    folder = Path(tempfile.mkdtemp(prefix="racecal-machine-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    store = Store.open(f"sqlite:///{folder / 'template.db'}")
    store.upgrade()
    store.engine.dispose()
    return folder / "template.db"


# What a pass plans from in a store (World.planning).
Planning = tuple[dict[str, str], list[tuple[Any, ...]], list[tuple[Any, ...]]]


def alike(mine: Planning, theirs: Planning, keys: set[str]) -> bool:
    """The same planning inputs for the sessions `keys`: the same edits and race history,
    and each session's last placement (L8's hint; an athlete's session also keeps the form
    it was written with)."""
    pinned = {key for key, kind, *_ in mine[1] if kind == "pinned"}

    def hint(payload: str | None, key: str) -> object:
        if payload is None:
            return None
        data = json.loads(payload)
        data.pop("reasons", None)
        return data if key in pinned else (data["start"], data["end"])

    return mine[1:] == theirs[1:] and all(
        hint(mine[0].get(k), k) == hint(theirs[0].get(k), k) for k in keys
    )


class World:
    """One athlete's store and training calendar on one backend."""

    def __init__(self, folder: Path, entry: AthleteConfig) -> None:
        self.folder = folder
        self.entry = entry
        self.db = folder / "store.db"
        copy_db(template(), self.db)
        self.store = Store.open(f"sqlite:///{self.db}")
        self.fault: tuple[str, int] | None = None
        self.writes = 0
        self.fired: str | None = None
        self.dead = False
        self._calendars: AthleteCalendars | None = None
        # No pass made yet (a copy of another world has its passes).
        self.fresh = True

    def open_calendars(self) -> AthleteCalendars:
        raise NotImplementedError

    def calendars(self) -> AthleteCalendars:
        if self._calendars is None:
            self._calendars = self.open_calendars()
        return self._calendars

    # -- passes, faults and kills --------------------------------------------------------
    def arm(self, kind: str | None, at: int) -> None:
        """The fault for the next pass (None: none)."""
        self.fault = (kind, at) if kind is not None else None
        self.writes, self.fired = 0, None

    def hit(self) -> str | None:
        """One calendar write of racecal's: the fault to apply to it, if any."""
        if self.dead:
            return "dead"
        self.writes += 1
        if self.fault is None or self.writes != self.fault[1]:
            return None
        kind, self.fault = self.fault[0], None
        self.fired = kind
        if kind.startswith("kill"):
            copy_db(self.db, self.folder / "killed.db")  # what the store held when it died
            self.dead = True
        return kind

    def run(self, now: datetime) -> PassResult | None:
        """One pass; None when the process was killed in it."""
        try:
            result: PassResult | None = run_pass(self.store, self.entry, now, self.calendars())
        except Killed:
            result = None
        finally:
            self.fault = None
        if self.dead:
            self.restart(self.folder / "killed.db")
            self.dead = False
            return None
        return result

    def restart(self, store_as: Path | None = None) -> None:
        """A new process: the store opened again (as `store_as` left it), fresh connectors."""
        if self._calendars is not None:
            self._calendars.close()
            self._calendars = None
        self.store.engine.dispose()
        if store_as is not None:
            copy_db(store_as, self.db)
        self.store = Store.open(f"sqlite:///{self.db}")

    def close(self) -> None:
        self.restart()
        self.store.engine.dispose()

    def planning(self) -> Planning:
        """What a pass plans from in the store: the last placement of each session (L8's
        hint), the athlete's sessions, the race history."""
        known = state.load(self.store, ATHLETE)
        return (
            {k: r.payload for k, r in known.managed.items()},
            sorted((k, e.kind, e.start, e.end) for k, e in known.edits.items()),
            sorted((u, r.title, r.race_date, r.removed_at) for u, r in known.races.items()),
        )

    # -- what the calendar holds, and the athlete's app ----------------------------------
    def sessions(self) -> list[tuple[str, Shown]]:
        """Every event with a session key, as the calendar holds it."""
        raise NotImplementedError

    def own(self) -> object:
        """The athlete's own event, byte for byte as the calendar holds it."""
        raise NotImplementedError

    def put(self, key: str, shown: Shown) -> None:
        raise NotImplementedError

    def remove(self, key: str) -> None:
        raise NotImplementedError


# -- in memory -----------------------------------------------------------------------------

OWN_ID = "dentist-0001"


class Faulty:
    """The in-memory calendar (the "server") behind a connector that fails where its world
    says; dropped with the pass's objects on a kill, while the server lives on."""

    capabilities = MemoryCalendar.capabilities

    def __init__(self, server: MemoryCalendar, hit: Callable[[], str | None]) -> None:
        self.server = server
        self.hit = hit
        self.name = self.locator = server.name

    def events(self, start: datetime, end: datetime) -> list[RemoteEvent]:
        return self.server.events(start, end)

    def changes(self, cursor: str | None) -> ChangeSet:
        return self.server.changes(cursor)

    def batch(self) -> Any:
        return self.server.batch()

    def create(self, event: SessionEvent) -> RemoteEvent:
        return self._write(lambda: self.server.create(event))

    def update(self, event: SessionEvent, etag: str | None) -> RemoteEvent:
        return self._write(lambda: self.server.update(event, etag))

    def delete(self, event_id: str, etag: str | None) -> None:
        self._write(lambda: self.server.delete(event_id, etag))

    def _write(self, write: Callable[[], Any]) -> Any:
        fault = self.hit()
        if fault in ("fail", "timeout"):
            raise Unavailable(f"{self.name}: the server did not take the write ({fault})")
        if fault in ("kill-before", "dead"):
            raise Killed
        done = write()
        if fault == "lost":
            raise Unavailable(f"{self.name}: the connection dropped before the answer")
        if fault == "kill-after":
            raise Killed
        return done


@functools.cache
def _memory_config(inputs: Path) -> AthleteConfig:
    # One config for every in-memory world of a suite: they share the input files, and the
    # training calendar is handed to the pass (the output file is never opened).
    return config(inputs.parent / "memory", inputs, '[athletes.output]\nics = "var/training.ics"')


class MemoryWorld(World):
    name = "memory"

    def __init__(self, folder: Path, inputs: Path, start: MemoryWorld | None = None) -> None:
        """A new world, or a copy of `start` as it is now (its store and its calendar)."""
        folder.mkdir(parents=True, exist_ok=True)
        super().__init__(folder, _memory_config(inputs))
        self.inputs = inputs
        if start is not None:
            self.store.engine.dispose()
            copy_db(start.db, self.db)
            self.server, self._own = copy.deepcopy(start.server), start._own
            self.fresh = False
            return
        self.server = MemoryCalendar("training")
        begin = datetime(2027, 1, 19, 9, 0, tzinfo=BERLIN)
        self._own = self.server.put(
            RemoteEvent(OWN_ID, "Dentist", begin, begin + timedelta(hours=1), "Bring the card")
        )

    def fork(self, folder: Path) -> MemoryWorld:
        return MemoryWorld(folder, self.inputs, start=self)

    def open_calendars(self) -> AthleteCalendars:
        calendar: TrainingCalendar = Faulty(self.server, self.hit)
        return AthleteCalendars(self.entry, calendar, self.store)

    def _held(self) -> list[RemoteEvent]:
        return list(self.server.changes(None).events)

    def sessions(self) -> list[tuple[str, Shown]]:
        return [
            (e.session_key, Shown(e.title, e.description, aware(e.start), aware(e.end)))
            for e in self._held()
            if e.session_key
        ]

    def own(self) -> object:
        return [e for e in self._held() if e.id == OWN_ID]

    def expected_own(self) -> object:
        return [self._own]

    def put(self, key: str, shown: Shown) -> None:
        held = next(e for e in self._held() if e.session_key == key)
        self.server.put(
            replace(
                held,
                title=shown.title,
                description=shown.description,
                start=shown.start,
                end=shown.end,
            )
        )

    def remove(self, key: str) -> None:
        self.server.remove(next(e.id for e in self._held() if e.session_key == key))


def aware(value: object) -> datetime:
    assert isinstance(value, datetime), value
    assert value.tzinfo is not None, value
    return value


def first_passes(world: World) -> None:
    """The passes every example starts after: the plan made, then nothing left to write."""
    first = world.run(NOW + timedelta(minutes=1))
    assert first is not None
    assert (first.error, first.created > 10) == (None, True), first
    second = world.run(NOW + timedelta(minutes=2))
    assert second is not None
    assert (second.writes, second.error) == (0, None), second
    world.fresh = False


def clean_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
