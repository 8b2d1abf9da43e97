"""The ports every calendar backend implements, and what they share.

Two ports, split by what racecal does with a calendar (vdirsyncer's storage interface, with
`read_only` made a port of its own):

- `Source`, a calendar racecal only reads (races, busy time): the events in a window with
  recurring ones expanded, and what changed since a change cursor.
- `TrainingCalendar`, the calendar sessions are written into: a Source that also creates,
  updates and deletes the events racecal manages, each write guarded by the backend's
  concurrency token (etag), grouped in batches whose writes are discarded on an error.

A change cursor is an opaque string the store may keep: handed to a new connector after a
restart it still answers "what changed since" (an incremental backend then costs one request
when nothing did); a cursor a backend can no longer use is answered with a full listing. Each
backend declares its `Capabilities`, and is built from its config table by
`connectors.registry`; a connector never imports the service.

Backends translate their own failures into this tree at the edge, so nothing above
`connectors/` sees an HTTP or library exception:

    CalendarError     a calendar server or file refused or failed
    +-- NotFound      the event or the calendar is gone
    +-- Conflict      the etag no longer matches, or the id already exists
    +-- RateLimited   slow down; `retry_after` seconds when the server said so
    +-- Unavailable   the server or the network failed; try again later
    +-- TooSlow       no whole answer within the request's deadline; not retried (a retry
    |                 would spend as long again), the next pass tries again
    +-- AuthError     credentials rejected or expired; a person must act
    +-- BadData       the backend returned something unusable; `where` names it
    SourceError       a configured calendar cannot be used as configured (a missing secret,
    |                 a calendar name that is not there, an extra not installed): one line
    +-- IcsError      a calendar file or feed that cannot be read; names the file or host

Managed events are tagged with their session key (iCalendar `X-RACECAL-SESSION`, Google
`extendedProperties.private.racecal_session`) and carry an id derived from the athlete and the
key, so a repeated write can never duplicate an event and racecal never touches anything else.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
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


class TooSlow(CalendarError):
    """Cut at its deadline (`connectors.deadline`): what came before the cut is not kept."""

    status = "deadline"


class AuthError(CalendarError):
    pass


class BadData(CalendarError):
    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class SourceError(Exception):
    """A configured calendar cannot be used as configured; str() is one line saying what to
    fix. Not a CalendarError: retrying does not help, a person must change something."""


class IcsError(SourceError, ValueError):
    """A calendar file or feed that cannot be read; str() is one line naming the file or the
    URL's host. `unparsable` says the content was there but is not iCalendar (as opposed to
    not being had at all)."""

    def __init__(self, where: Path | str, reason: str, *, unparsable: bool = True) -> None:
        text = f"not a valid iCalendar file ({reason})" if unparsable else reason
        super().__init__(f"{where}: {text}")
        self.where = where
        self.reason = reason
        self.unparsable = unparsable


class FileTrouble(SourceError):
    """A file or folder racecal reads or writes that the system refuses: a folder where the
    file should be, no permission, a full or read-only disk, a folder that is not there.
    str() is one line; what the file held is left as it was."""

    def __init__(self, path: Path | str, doing: str, reason: str) -> None:
        super().__init__(f"{path}: cannot {doing}: {reason}")
        self.path = path


@contextmanager
def refused_as_trouble(path: Path | str, doing: str, missing_ok: bool = False) -> Iterator[None]:
    """OSError inside as FileTrouble; with `missing_ok`, FileNotFoundError goes up as it is
    (for callers that take a missing file as an empty calendar)."""
    try:
        yield
    except FileTrouble:
        raise
    except OSError as exc:
        if missing_ok and isinstance(exc, FileNotFoundError):
            raise
        raise FileTrouble(path, doing, exc.strerror or str(exc)) from None


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


@dataclass(frozen=True, slots=True)
class RemoteEvent:
    """An event as the backend holds it: one per occurrence from `events()` (a floating time
    stays naive: the athlete's own clock), one per component from `changes()`."""

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
    # When it was put in the calendar (P3 compresses a race's block against that day).
    created: datetime | date | None = None
    # Its iCalendar UID, a race's identity (a series' occurrences share it); "" on events
    # read from the training calendar.
    uid: str = ""
    # STATUS:CANCELLED (or Google's "cancelled"): still listed, blocks nothing, no race.
    cancelled: bool = False
    # What else the athlete sees of the event and may change, beyond what racecal writes
    # when it creates a session: (name, value) pairs such as ("colour", "5"),
    # ("reminders", "-PT15M"), ("status", "cancelled"); empty for an event that holds only
    # what racecal wrote. A change here makes a session the athlete's, as a move does.
    extras: tuple[tuple[str, str], ...] = ()
    # Its CATEGORIES ("Holiday", "Urlaub"); a Google out-of-office event reads "out-of-office".
    # Race and busy calendars' events only.
    categories: tuple[str, ...] = ()

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)


@dataclass(frozen=True)
class Problem:
    """Something a source could not read as it should, as one line naming where and what.
    An event with a malformed property keeps the `title` and `description` that could be read,
    so the domain can tell a broken race (which keeps the last plan) from a broken lunch; None
    for an object or a whole feed. `plain` is the line with nothing of the event's contents in
    it (where, the UID, what is wrong), for logs above DEBUG; "" when none was made."""

    id: str
    line: str
    title: str | None = None
    description: str = ""
    plain: str = ""


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
    """What changed since a cursor. `full` means `events` (and `problems`) are the whole
    calendar (a first read, a cursor the backend could not use, or a resync) and anything not
    in them is gone; otherwise `removed` names the ids gone since the cursor."""

    events: tuple[RemoteEvent, ...]
    removed: tuple[str, ...]
    cursor: str
    full: bool
    # The calendar itself was deleted and created again: nothing racecal wrote is there, and
    # its absence is not the athlete deleting sessions one by one.
    reset: bool = False
    # What could not be read, by id like the events (a removed id may name one).
    problems: tuple[Problem, ...] = ()

    @property
    def quiet(self) -> bool:
        return not (self.full or self.events or self.removed or self.problems)


Item = RemoteEvent | Problem


class Mirror:
    """What a connector last handed out through `changes()`, by the backend's own object key
    (a CalDAV href, a Google event id), so a delta can name what was removed by the ids the
    objects held, and an unusable cursor can be answered with everything."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[Item, ...]] = {}

    def apply(
        self,
        cursor: str,
        changed: Mapping[str, tuple[Item, ...]],
        removed: Iterable[str],
        *,
        full: bool,
        since: bool,
        reset: bool = False,
        unknown: Callable[[str], tuple[str, ...]] = lambda key: (),
    ) -> ChangeSet:
        """Take in one listing (`full`) or delta and answer with it: the delta itself when it
        runs from the cursor the caller gave (`since`), else everything held. `unknown` names
        the ids of a removed object this mirror never saw (after a restart)."""
        removed = tuple(removed)
        previous = self.objects
        if full:
            self.objects = dict(changed)
        else:
            self.objects = {k: v for k, v in previous.items() if k not in removed}
            self.objects.update(changed)
        if full or not since or reset:
            return self.everything(cursor, reset)
        gone = {i.id for key in removed for i in previous.get(key, ())}
        gone |= {i for key in removed if key not in previous for i in unknown(key)}
        news = (item for items in changed.values() for item in items)
        return _change_set(news, tuple(sorted(gone)), cursor, full=False)

    def everything(self, cursor: str, reset: bool = False) -> ChangeSet:
        """All that is held, as a full listing."""
        held = (item for items in self.objects.values() for item in items)
        return _change_set(held, (), cursor, full=True, reset=reset)


def _change_set(
    items: Iterable[Item], removed: tuple[str, ...], cursor: str, *, full: bool, reset: bool = False
) -> ChangeSet:
    found = sorted(items, key=lambda i: i.id)
    events = tuple(i for i in found if isinstance(i, RemoteEvent))
    problems = tuple(i for i in found if isinstance(i, Problem))
    return ChangeSet(events, removed, cursor, full, reset, problems)


def scoped(scope: str, token: str) -> str:
    """A cursor: the backend's own token, bound to what it follows (a calendar's URL or id),
    so a cursor of a deleted and re-made calendar is never used on the new one."""
    return f"{_mark(scope)}:{token}"


def token_of(cursor: str | None, scope: str) -> str | None:
    """The backend token in a cursor made by `scoped` for this scope; None for any other."""
    mark, _, token = (cursor or "").partition(":")
    return (token or None) if mark == _mark(scope) else None


def _mark(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()[:12]


class Sent:
    """What a batch has really written so far, by event id: a batching backend's batch() yields
    one and adds each write as the calendar confirms it, so a batch cut short (a conflict, an
    outage) still says which of its writes happened."""

    def __init__(self) -> None:
        self.written: set[str] = set()


@dataclass(frozen=True)
class Capabilities:
    """What a backend offers, for the code that reads it: `writable` (the registry builds a
    training calendar only on one), `incremental` (its cursor moves only when the calendar
    changed, so the sync may skip planning a pass whose cursors all stood still), `push`
    (it is `Watchable`: the daemon opens change channels on it), `batches` (the sync's
    executor counts queued writes only once sent)."""

    writable: bool
    incremental: bool
    push: bool = False
    # Writes inside batch() are sent when the batch ends (a file rewritten once, an API's batch
    # requests): until then a write's return value is a promise, and the sync counts it only
    # once the batch is sent (or as far as the object batch() yields names ids in `written`).
    batches: bool = False


class Source(Protocol):
    """A calendar racecal reads."""

    capabilities: Capabilities

    @property
    def name(self) -> str:
        """The calendar in a message: a path, a URL's host and path, an id; never a secret."""
        ...

    @property
    def locator(self) -> str:
        """What the calendar is, stable across processes and unique among an athlete's, and
        never a secret: a path, a feed's host with a digest of its URL, a calendar's URL or
        id. The store keys what it keeps of a calendar (its cursor, what it held) by it."""
        ...

    def events(self, start: datetime, end: datetime) -> list[RemoteEvent]:
        """Events overlapping [start, end), one per occurrence of a series; a cancelled event
        or occurrence is flagged `cancelled` (or not listed, where the server drops it)."""
        ...

    def changes(self, cursor: str | None) -> ChangeSet:
        """Changes since `cursor`; None (or a cursor the backend cannot use) gives a full
        listing."""
        ...


class TrainingCalendar(Source, Protocol):
    """The calendar sessions are written into."""

    def create(self, event: SessionEvent) -> RemoteEvent:
        """Raises Conflict when an event with that id exists."""
        ...

    def update(self, event: SessionEvent, etag: str | None) -> RemoteEvent:
        """Raises Conflict when `etag` is stale, NotFound when the event is gone."""
        ...

    def delete(self, event_id: str, etag: str | None) -> None:
        """Raises Conflict when `etag` is stale, NotFound when the event is gone."""
        ...

    def batch(self) -> AbstractContextManager[Sent | None]:
        """Group the writes made inside it: a file is rewritten once, an API gets batch
        requests. An exception inside discards what the backend has not yet sent. A backend
        that sends a batch in parts yields a `Sent` naming what went through."""
        ...


# The name the sync engine has used for the training calendar's port.
CalendarConnector = TrainingCalendar


@dataclass(frozen=True)
class Watch:
    """A push channel a backend opened: the server's id for what it watches, and its end."""

    resource_id: str
    expires: datetime


class Watchable(Protocol):
    """A calendar whose server posts "something changed" to an address (capabilities.push)."""

    @property
    def watch_key(self) -> str:
        """What a channel follows (a calendar id); a new key needs a new channel."""
        ...

    def watch(self, channel_id: str, address: str, token: str, ttl_seconds: int) -> Watch: ...

    def unwatch(self, channel_id: str, resource_id: str) -> None: ...
