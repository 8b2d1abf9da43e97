"""A calendar held in memory, with the same etag and change semantics as a real server.

The sync engine's tests and `--dry-run` style checks run against it; the connector contract
suite runs against it as against every other backend, so it cannot drift from them.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from datetime import date, datetime, time

from connectors.base import (
    Capabilities,
    ChangeSet,
    Conflict,
    NotFound,
    RemoteEvent,
    SessionEvent,
)


class MemoryCalendar:
    """A training calendar, or a source (the contract runs it as both)."""

    capabilities = Capabilities(writable=True, incremental=True)

    def __init__(self, name: str = "memory") -> None:
        self.name = self.locator = name
        self._events: dict[str, RemoteEvent] = {}
        self._version = 0
        # Bumped when the whole calendar is deleted and made again (vanish).
        self._generation = 0
        # id -> version of its last change; a deleted id maps to (version, None).
        self._log: dict[str, tuple[int, RemoteEvent | None]] = {}
        # A calendar in memory lives as long as its process: a cursor of another one (an
        # earlier process's, kept in the store) is answered with a full listing.
        self._mark = uuid.uuid4().hex[:8]

    def _bump(self, event_id: str, event: RemoteEvent | None) -> None:
        self._version += 1
        self._log[event_id] = (self._version, event)

    def put(self, event: RemoteEvent) -> RemoteEvent:
        """Add or replace any event, as the athlete would in their calendar app."""
        self._version += 1
        stored = replace(event, etag=f'"{self._version}"')
        self._events[event.id] = stored
        self._log[event.id] = (self._version, stored)
        return stored

    def remove(self, event_id: str) -> None:
        """Delete an event, as the athlete would."""
        if self._events.pop(event_id, None) is not None:
            self._bump(event_id, None)

    def vanish(self) -> None:
        """The calendar deleted and made again, as the athlete (or a server) would."""
        self._events, self._log = {}, {}
        self._generation += 1

    def batch(self) -> AbstractContextManager[None]:
        return nullcontext()

    def events(self, start: datetime, end: datetime) -> list[RemoteEvent]:
        return sorted(
            (e for e in self._events.values() if _overlaps(e, start, end)),
            key=lambda e: (_sort_key(e.start), e.id),
        )

    def changes(self, cursor: str | None) -> ChangeSet:
        mark, generation, version = [*(cursor or "").split(":"), "", "", ""][:3]
        token = f"{self._mark}:{self._generation}:{self._version}"
        since = int(version) if version.isdigit() and mark == self._mark else None
        if generation != str(self._generation) or since is None or since > self._version:
            events = tuple(sorted(self._events.values(), key=lambda e: e.id))
            reset = mark == self._mark and int(generation or 0) < self._generation
            return ChangeSet(events, (), token, full=True, reset=reset)
        changed = [(v, e) for v, e in self._log.values() if v > since]
        events = tuple(sorted((e for _, e in changed if e is not None), key=lambda e: e.id))
        removed = tuple(sorted(i for i, (v, e) in self._log.items() if v > since and e is None))
        return ChangeSet(events, removed, token, full=False)

    def create(self, event: SessionEvent) -> RemoteEvent:
        if event.id in self._events:
            raise Conflict(f"event {event.id} exists")
        return self.put(_remote(event))

    def update(self, event: SessionEvent, etag: str | None) -> RemoteEvent:
        current = self._events.get(event.id)
        if current is None:
            raise NotFound(f"event {event.id} is gone")
        if etag is not None and etag != current.etag:
            raise Conflict(f"event {event.id} changed (etag {current.etag}, not {etag})")
        # What racecal does not write (a location, an app's extras) stays, as on a server.
        written = _remote(event)
        return self.put(replace(written, location=current.location, extras=current.extras))

    def delete(self, event_id: str, etag: str | None) -> None:
        current = self._events.get(event_id)
        if current is None:
            raise NotFound(f"event {event_id} is gone")
        if etag is not None and etag != current.etag:
            raise Conflict(f"event {event_id} changed (etag {current.etag}, not {etag})")
        self.remove(event_id)


def _remote(event: SessionEvent) -> RemoteEvent:
    return RemoteEvent(
        id=event.id,
        title=event.title,
        start=event.start,
        end=event.end,
        description=event.description,
        session_key=event.session_key,
    )


def _sort_key(value: datetime | date) -> tuple[date, str]:
    return (value.date() if isinstance(value, datetime) else value, value.isoformat())


def _overlaps(event: RemoteEvent, start: datetime, end: datetime) -> bool:
    """All-day events span local midnights in the window's own zone."""
    first, last = (
        v if isinstance(v, datetime) else datetime.combine(v, time(0), tzinfo=start.tzinfo)
        for v in (event.start, event.end)
    )
    return first < end and start < last
