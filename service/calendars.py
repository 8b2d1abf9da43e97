"""The calendars one athlete's passes read and write, kept open across passes.

The daemon holds one `AthleteCalendars` per athlete, so a CalDAV login, its discovered calendar
URLs, their sync tokens and the mirror of the training calendar live from one pass to the next:
a pass where nothing changed costs one request per watched calendar. A fresh process starts
with full listings.
"""

from __future__ import annotations

import importlib
import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import icalendar

from connectors.base import CalendarConnector, ChangeSet, NotFound, RemoteEvent, safe_url
from connectors.icsfile import busy_in, races_in
from connectors.icswrite import IcsFileCalendar
from connectors.retry import RetryPolicy
from scheduler.model import Interval, Race
from service.config.load import AthleteConfig
from service.config.remote import CalDavConfig

if TYPE_CHECKING:
    from connectors.caldav import CalDavAccount
    from connectors.davsync import DavCollection
    from service.google_account import GoogleSide
    from service.store.database import Store

log = logging.getLogger("racecal.calendars")


class SourceError(Exception):
    """A configured calendar cannot be used (missing, unreadable secret); one line."""


@dataclass
class RemoteRead:
    races: list[Race] = field(default_factory=list)
    busy: list[Interval] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)


def caldav_password(config: CalDavConfig) -> str | None:
    """From the named environment variable or a file no one else can read; never logged."""
    if config.password_env:
        value = os.environ.get(config.password_env)
        if not value:
            raise SourceError(
                f"{config.where}.password_env: environment variable "
                f"{config.password_env} is not set"
            )
        return value
    if config.password_file:
        try:
            mode = config.password_file.stat().st_mode
            text = config.password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SourceError(
                f"{config.where}.password_file: cannot read {config.password_file} ({exc.strerror})"
            ) from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SourceError(
                f"{config.where}.password_file: {config.password_file} is readable by others; "
                "chmod 600 it"
            )
        return text
    return None


def training_target(entry: AthleteConfig) -> str:
    """Where the athlete's sessions are written, for messages."""
    if entry.google is not None:
        return f"Google calendar '{entry.google.training_id or entry.google.training}'"
    config = entry.caldav
    if config is not None and config.training is not None:
        return f"CalDAV calendar '{config.training}' at {safe_url(config.url)}"
    return str(entry.output_ics)


def _caldav() -> ModuleType:
    """connectors.caldav, which needs the `caldav` extra: imported only for athletes using it."""
    try:
        return importlib.import_module("connectors.caldav")
    except ImportError:
        raise SourceError(
            "CalDAV support is not installed (pip install 'racecal[caldav]')"
        ) from None


def _google_side(entry: AthleteConfig, store: Store | None) -> GoogleSide:
    """service.google_account, which needs the `google` extra: imported only when used."""
    config = entry.google
    assert config is not None
    try:
        module = importlib.import_module("service.google_account")
    except ImportError:
        raise SourceError(
            f"{config.where}: Google support is not installed (pip install 'racecal[google]')"
        ) from None
    side: GoogleSide = module.GoogleSide(config, entry.athlete.id, entry.athlete.timezone, store)
    return side


class AthleteCalendars:
    def __init__(
        self,
        entry: AthleteConfig,
        training: CalendarConnector | None = None,
        store: Store | None = None,
    ) -> None:
        self.entry = entry
        self.store = store
        self._training = training
        self._google: GoogleSide | None = None
        self._account: CalDavAccount | None = None
        self._races: list[DavCollection] | None = None
        self._busy: list[DavCollection] | None = None
        # What the CalDAV calendars gave at their last versions (see _read_dav).
        self._dav_read: tuple[object, RemoteRead] | None = None
        # The training calendar as of the last pass, kept current by its change cursor.
        self._mirror: dict[str, RemoteEvent] = {}
        # Counts looks at the training calendar that found something new.
        self._training_changes = 0
        # (day, inputs) of the last pass that found nothing to write, and what it reported.
        self.settled: tuple[object, tuple[str, ...]] | None = None
        self._cursor: str | None = None

    def _dav(self, config: CalDavConfig) -> CalDavAccount:
        if self._account is None:
            module = _caldav()
            settings = module.CalDavSettings(
                config.url,
                config.username,
                caldav_password(config),
                retry=RetryPolicy().scaled(config.retry_seconds),
            )
            self._account = module.CalDavAccount(settings)
        return self._account

    def google(self) -> GoogleSide:
        if self._google is None:
            self._google = _google_side(self.entry, self.store)
        return self._google

    def training(self) -> CalendarConnector:
        if self._training is None:
            config = self.entry.caldav
            if self.entry.google is not None:
                self._training = self.google().training()
            elif config is not None and config.training is not None:
                account = self._dav(config)
                self._training = account.training(config.training, config.create_training)
            else:
                self._training = IcsFileCalendar(self.entry.output_ics)
        return self._training

    def remote(self) -> tuple[dict[str, RemoteEvent], bool]:
        """Every event of the training calendar now, and whether the calendar was re-created
        since the last look. One cheap change query on a calendar that did not change."""
        changes: ChangeSet = self.training().changes(self._cursor)
        if changes.full or changes.events or changes.removed:
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

    def inputs(self) -> object | None:
        """A value that changes whenever anything a plan depends on in the calendars changed;
        None when some input is not followed by change tracking (.ics files and URLs)."""
        entry = self.entry
        if entry.race_ics or entry.busy_ics or entry.race_urls or entry.busy_urls:
            return None
        versions: list[int] = [self._training_changes]
        if self._google is not None:
            versions.extend(c.version for c in self._google.collections.values())
        for collection in (*(self._races or ()), *(self._busy or ())):
            versions.append(collection.version)
        return tuple(versions)

    def read_remote(self, tz: ZoneInfo, start: datetime, end: datetime) -> RemoteRead:
        """Races and busy time (between `start` and `end`) from the athlete's Google and
        CalDAV calendars."""
        out = RemoteRead()
        parts: list[RemoteRead] = []
        if self.entry.google is not None:
            parts.append(self.google().read(tz, start, end))
        config = self.entry.caldav
        if config is not None and (config.races or config.busy):
            parts.append(self._read_dav(config, tz, start, end))
        for part in parts:
            out.races.extend(part.races)
            out.busy.extend(part.busy)
            out.problems.extend(part.problems)
            out.broken.extend(part.broken)
        return out

    def _read_dav(
        self, config: CalDavConfig, tz: ZoneInfo, start: datetime, end: datetime
    ) -> RemoteRead:
        if self._races is None or self._busy is None:
            account = self._dav(config)
            self._races = [_collection(account, n, "race") for n in config.races]
            self._busy = [_collection(account, n, "busy") for n in config.busy]
            self._dav_read = None  # new collections count their versions from 0 again
        for kind, collections in (("race", self._races), ("busy", self._busy)):
            for collection in collections:
                try:
                    collection.sync()
                except NotFound:
                    self._races = self._busy = None
                    raise SourceError(
                        f"{config.where}: the {kind} calendar {safe_url(collection.url)} is gone"
                    ) from None
        # Nothing changed since the last pass (the common case): the same races and busy
        # time, without parsing and expanding every object again.
        key = (tz.key, start, end, tuple(c.version for c in (*self._races, *self._busy)))
        if self._dav_read is not None and self._dav_read[0] == key:
            return self._dav_read[1]
        out = RemoteRead()
        for kind, collections in (("race", self._races), ("busy", self._busy)):
            for collection in collections:
                for name, calendar in _objects(collection, out.problems):
                    if kind == "race":
                        read = races_in(calendar, name, tz)
                        out.races.extend(read.races)
                        out.problems.extend(read.problems)
                        out.broken.extend(read.broken_races)
                    else:
                        out.busy.extend(busy_in(calendar, name, tz, start, end))
        self._dav_read = (key, out)
        return out

    def close(self) -> None:
        if self._account is not None:
            self._account.close()


def _collection(account: CalDavAccount, name: str, kind: str) -> DavCollection:
    try:
        return account.collection(name)
    except NotFound as exc:
        raise SourceError(f"{kind} calendar: {exc}") from None


def _objects(
    collection: DavCollection, problems: list[str]
) -> Iterator[tuple[str, icalendar.Calendar]]:
    for href, calendar, reason in collection.calendars():
        name = safe_url(collection.href_url(href))
        if calendar is None:
            problems.append(f"{name}: not a valid iCalendar object ({reason}); skipped")
            continue
        yield name, calendar
