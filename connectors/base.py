"""The one small interface every calendar backend implements.

A connector stands for one calendar. It lists events in a window, reports what changed since a
cursor, and creates, updates and deletes the events racecal manages, each write guarded by the
backend's concurrency token (etag). Backends translate their own failures into this tree at the
edge, so nothing above `connectors/` sees an HTTP or library exception:

    CalendarError
    +-- NotFound      the event or the calendar is gone
    +-- Conflict      the etag no longer matches, or the id already exists
    +-- RateLimited   slow down; `retry_after` seconds when the server said so
    +-- Unavailable   the server or the network failed; try again later
    +-- AuthError     credentials rejected or expired; a person must act
    +-- BadData       the backend returned something unusable; `where` names it

Managed events are tagged with their session key (iCalendar `X-RACECAL-SESSION`, Google
`extendedProperties.private.racecal_session`) and carry an id derived from the athlete and the
key, so a repeated write can never duplicate an event and racecal never touches anything else.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from urllib.parse import urlsplit

SESSION_PROPERTY = "X-RACECAL-SESSION"
GOOGLE_SESSION_PROPERTY = "racecal_session"


class CalendarError(Exception):
    """Base of every error a connector raises."""


class NotFound(CalendarError):
    pass


class Conflict(CalendarError):
    pass


class RateLimited(CalendarError):
    def __init__(self, message: str, retry_after: float | None = None, status: str = "429") -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class Unavailable(CalendarError):
    def __init__(self, message: str, status: str = "connection") -> None:
        super().__init__(message)
        # The HTTP status that said so, or "connection" when no answer came.
        self.status = status


class AuthError(CalendarError):
    pass


class BadData(CalendarError):
    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


def safe_url(url: str) -> str:
    """A URL fit for a message or a log line: no user info, no query (tokens travel there)."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


def managed_id(athlete_id: str, session_key: str) -> str:
    """The event id of a managed session: the same athlete and key always give the same id.
    32 characters of base32hex in lower case, which Google accepts as a client-supplied id
    ([a-v0-9]) and which is a valid iCalendar UID."""
    digest = hashlib.sha256(f"{athlete_id}\x00{session_key}".encode()).digest()
    return base64.b32hexencode(digest[:20]).decode("ascii").lower()


@dataclass(frozen=True)
class RemoteEvent:
    """An event as the backend holds it."""

    id: str
    title: str
    start: datetime | date
    end: datetime | date
    description: str = ""
    location: str = ""
    # Opaque events block time; transparent ones (and all-day ones) do not.
    busy: bool = True
    # Set on events racecal manages; None on everything else.
    session_key: str | None = None
    etag: str | None = None
    created: date | None = None
    # What else the athlete sees of the event and may change, beyond what racecal writes
    # when it creates a session: (name, value) pairs such as ("colour", "5"),
    # ("reminders", "-PT15M"), ("status", "cancelled"); empty for an event that holds only
    # what racecal wrote. A change here makes a session the athlete's, as a move does.
    extras: tuple[tuple[str, str], ...] = ()

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)


@dataclass(frozen=True)
class SessionEvent:
    """A training session as racecal writes it."""

    id: str
    session_key: str
    title: str
    description: str
    start: datetime
    end: datetime


def holds(held: RemoteEvent, event: SessionEvent) -> bool:
    """The calendar already shows `event` as racecal would write it (after a write whose reply
    was lost, say)."""
    return (held.session_key, held.title, held.description, held.start, held.end) == (
        event.session_key,
        event.title,
        event.description,
        event.start,
        event.end,
    )


@dataclass(frozen=True)
class ChangeSet:
    """What changed since a cursor. `full` means `events` is the whole calendar (first read, or
    the backend asked for a resync) and anything not in it is gone."""

    events: tuple[RemoteEvent, ...]
    removed: tuple[str, ...]
    cursor: str
    full: bool
    # The calendar itself was deleted and created again: nothing racecal wrote is there, and
    # its absence is not the athlete deleting sessions one by one.
    reset: bool = False


class Mirror:
    """What a connector last handed out through `changes()`, by the backend's own object key
    (a CalDAV href, a Google event id), so a delta can name what was removed and an unknown
    cursor can be answered with everything."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[RemoteEvent, ...]] = {}
        self.cursor: str | None = None

    def apply(
        self,
        cursor: str | None,
        token: str,
        changed: Mapping[str, tuple[RemoteEvent, ...]],
        removed: tuple[str, ...],
        full: bool,
        reset: bool = False,
    ) -> ChangeSet:
        """Take in one listing (`full`) or delta and answer `cursor` with it."""
        previous = self.objects
        if full:
            self.objects = dict(changed)
        else:
            self.objects = {k: v for k, v in previous.items() if k not in removed}
            self.objects.update(changed)
        known = cursor is not None and cursor == self.cursor and not full and not reset
        self.cursor = token
        if not known:
            everything = (e for events in self.objects.values() for e in events)
            return ChangeSet(_by_id(everything), (), token, full=True, reset=reset)
        gone = sorted({e.id for key in removed for e in previous.get(key, ())})
        news = (e for events in changed.values() for e in events)
        return ChangeSet(_by_id(news), tuple(gone), token, full=False)


def _by_id(events: Iterable[RemoteEvent]) -> tuple[RemoteEvent, ...]:
    return tuple(sorted(events, key=lambda e: e.id))


@dataclass(frozen=True)
class Capabilities:
    writable: bool
    # The backend reports changes since a cursor cheaply (sync token, ctag, mtime + hash).
    incremental: bool
    # Writes inside batch() are sent when the batch ends (a file rewritten once, an API's batch
    # requests): until then a write's return value is a promise, and the sync counts it only
    # once the batch is sent (or as far as the object batch() yields names ids in `written`).
    batches: bool = False


class CalendarConnector(Protocol):
    capabilities: Capabilities

    def events(self, start: datetime, end: datetime) -> list[RemoteEvent]:
        """Events overlapping [start, end), recurring ones expanded."""
        ...

    def changes(self, cursor: str | None) -> ChangeSet:
        """Changes since `cursor`; None (or a cursor the backend no longer knows) gives a full
        listing."""
        ...

    def create(self, event: SessionEvent) -> RemoteEvent:
        """Raises Conflict when an event with that id exists."""
        ...

    def update(self, event: SessionEvent, etag: str | None) -> RemoteEvent:
        """Raises Conflict when `etag` is stale, NotFound when the event is gone."""
        ...

    def delete(self, event_id: str, etag: str | None) -> None:
        """Raises Conflict when `etag` is stale, NotFound when the event is gone."""
        ...

    def batch(self) -> AbstractContextManager[None]:
        """Group the writes made inside it: a file is rewritten once, an API gets batch
        requests. An exception inside discards what the backend has not yet sent."""
        ...
