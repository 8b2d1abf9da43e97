"""A local .ics file as a writable calendar (the embedded default's training calendar).

Every write rewrites the file atomically (temp file, fsync, rename) and keeps every component
racecal did not create byte-for-byte as icalendar parsed it. An event's etag is a hash of its
own serialized text, so a change made by the athlete's calendar app is a conflict for racecal.
The change cursor is the file's content hash plus a snapshot of per-event etags kept in memory;
an unknown cursor gives a full listing.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import icalendar

from connectors.base import (
    BadData,
    Capabilities,
    ChangeSet,
    Conflict,
    NotFound,
    RemoteEvent,
    SessionEvent,
)
from connectors.vevent import PRODID, as_datetime, event_id, overlaps, to_remote, to_vevent


class IcsFileCalendar:
    capabilities = Capabilities(writable=True, incremental=True)

    def __init__(self, path: Path, name: str = "Training") -> None:
        self.path = path
        self.name = name
        # cursor -> {event id: etag} as of that cursor, for the incremental diff.
        self._snapshots: dict[str, dict[str, str]] = {}
        # Inside batch(): the calendar being edited in memory, written once at the end.
        self._pending: icalendar.Calendar | None = None
        # The parsed events of the file's last seen content: an unchanged file (the common
        # case for a daemon's pass) costs one read and one hash, not a parse.
        self._parsed: tuple[str, dict[str, RemoteEvent]] | None = None
        # At start as well as before each write: a pass with nothing to write would otherwise
        # leave a killed writer's temp file there for good. One process writes a calendar.
        self._sweep()

    def _sweep(self) -> None:
        """A writer killed between creating its temp file and renaming it leaves the temp
        behind; it is garbage by the time anyone writes again."""
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            stale.unlink(missing_ok=True)

    @contextmanager
    def batch(self) -> Iterator[None]:
        self._pending = self._read()
        try:
            yield
            self._flush(self._pending)
        finally:
            self._pending = None

    # -- reading ------------------------------------------------------------------------
    def _read(self) -> icalendar.Calendar:
        if self._pending is not None:
            return self._pending
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return self._empty()
        try:
            calendar = icalendar.Calendar.from_ical(data)
        except (ValueError, IndexError, KeyError) as exc:
            raise BadData(str(self.path), f"not a valid iCalendar file ({exc})") from None
        if not isinstance(calendar, icalendar.Calendar):
            raise BadData(str(self.path), "no VCALENDAR")
        return calendar

    def _empty(self) -> icalendar.Calendar:
        calendar = icalendar.Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", self.name)
        return calendar

    def _remote_events(self, calendar: icalendar.Calendar) -> dict[str, RemoteEvent]:
        out: dict[str, RemoteEvent] = {}
        for component in calendar.walk("VEVENT"):
            if isinstance(component, icalendar.Event) and "UID" in component:
                event = _to_remote(component)
                out[event.id] = event
        return out

    def _current(self) -> dict[str, RemoteEvent]:
        if self._pending is not None:
            return self._remote_events(self._pending)
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        digest = hashlib.sha256(data).hexdigest()
        if self._parsed is None or self._parsed[0] != digest:
            self._parsed = (digest, self._remote_events(self._read()))
        return self._parsed[1]

    def events(self, start: datetime, end: datetime) -> list[RemoteEvent]:
        found = self._current().values()
        return sorted(
            (e for e in found if overlaps(e, start, end)),
            key=lambda e: (as_datetime(e.start, start), e.id),
        )

    def changes(self, cursor: str | None) -> ChangeSet:
        current = self._current()
        etags = {i: e.etag or "" for i, e in current.items()}
        token = hashlib.sha256(repr(sorted(etags.items())).encode()).hexdigest()[:32]
        before = self._snapshots.get(cursor or "")
        self._snapshots[token] = etags
        if before is None:
            events = tuple(current[i] for i in sorted(current))
            return ChangeSet(events, (), token, full=True)
        changed = tuple(current[i] for i in sorted(current) if before.get(i) != etags[i])
        removed = tuple(sorted(i for i in before if i not in current))
        return ChangeSet(changed, removed, token, full=False)

    # -- writing ------------------------------------------------------------------------
    def create(self, event: SessionEvent) -> RemoteEvent:
        calendar = self._read()
        if _find(calendar, event.id) is not None:
            raise Conflict(f"{self.path}: event {event.id} exists")
        calendar.add_component(to_vevent(event))
        self._write(calendar)
        return _to_remote(to_vevent(event))

    def update(self, event: SessionEvent, etag: str | None) -> RemoteEvent:
        calendar = self._read()
        current = _find(calendar, event.id)
        if current is None:
            raise NotFound(f"{self.path}: event {event.id} is gone")
        if etag is not None and _etag(current) != etag:
            raise Conflict(f"{self.path}: event {event.id} was changed outside racecal")
        replacement = to_vevent(event, sequence=int(current.get("SEQUENCE", 0)) + 1)
        calendar.subcomponents[calendar.subcomponents.index(current)] = replacement
        self._write(calendar)
        return _to_remote(replacement)

    def delete(self, event_id: str, etag: str | None) -> None:
        calendar = self._read()
        current = _find(calendar, event_id)
        if current is None:
            raise NotFound(f"{self.path}: event {event_id} is gone")
        if etag is not None and _etag(current) != etag:
            raise Conflict(f"{self.path}: event {event_id} was changed outside racecal")
        calendar.subcomponents.remove(current)
        self._write(calendar)

    def _write(self, calendar: icalendar.Calendar) -> None:
        if self._pending is None:
            self._flush(calendar)

    def _flush(self, calendar: icalendar.Calendar) -> None:
        """Temp file in the same directory, fsync, rename: a reader sees the old file or the
        new one, never half of it."""
        # Subscribing apps need a VTIMEZONE for every TZID the events use.
        calendar.add_missing_timezones()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._sweep()
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        try:
            data = calendar.to_ical()
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
            # Primed from the bytes on disk, so cached etags are the ones a re-read computes.
            written = icalendar.Calendar.from_ical(data)
            self._parsed = (hashlib.sha256(data).hexdigest(), self._remote_events(written))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _find(calendar: icalendar.Calendar, wanted: str) -> icalendar.Event | None:
    for component in calendar.subcomponents:
        if isinstance(component, icalendar.Event) and event_id(component) == wanted:
            return component
    return None


def _etag(component: icalendar.Event) -> str:
    return '"' + hashlib.sha256(component.to_ical()).hexdigest()[:24] + '"'


def _to_remote(component: icalendar.Event) -> RemoteEvent:
    return to_remote(component, _etag(component))
