"""A CalDAV collection as a source of races and busy time: followed by its sync token (or CTag),
each object parsed once per etag, occurrences expanded once per change and window."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from connectors.base import (
    Capabilities,
    ChangeSet,
    Item,
    Mirror,
    NotFound,
    Problem,
    RemoteEvent,
    SourceError,
    safe_url,
    scoped,
)
from connectors.caldav.collection import DavCollection
from connectors.ical import components, occurrences


class Login(Protocol):
    """Who finds a calendar by its configured name (connecting on first use)."""

    def collection(self, name: str) -> DavCollection: ...


KINDS = {"races": "race", "busy": "busy"}


class CalDavSource:
    """A calendar named in config (display name, path or URL), looked up on first use and
    again after it went missing."""

    capabilities = Capabilities(writable=False, incremental=True)

    def __init__(self, account: Login, calendar: str, role: str, where: str) -> None:
        self.account = account
        self.calendar = calendar
        self.kind = KINDS.get(role, role)
        self.where = where
        self._dav: DavCollection | None = None
        self._mirror = Mirror()
        self._cursor: str | None = None
        self._expanded: tuple[object, list[RemoteEvent]] | None = None

    @property
    def locator(self) -> str:
        return f"caldav {self.calendar}"

    @property
    def name(self) -> str:
        url = safe_url(self._dav.url) if self._dav is not None else f"'{self.calendar}'"
        return f"the {self.kind} calendar {url}"

    def changes(self, cursor: str | None) -> ChangeSet:
        """What changed since `cursor`. A cursor from another process gives a full listing: a
        source is read whole after a restart anyway, for the busy time of every object."""
        return self._sync(since=cursor is not None and cursor == self._cursor)

    def events(self, start: datetime, end: datetime) -> list[RemoteEvent]:
        if self._dav is None or not self._dav.loaded:
            self._sync(since=False)
        dav = self._dav
        assert dav is not None
        key = (dav.url, dav.version, start, end)
        if self._expanded is None or self._expanded[0] != key:
            found: list[RemoteEvent] = []
            for href, calendar, _reason in dav.calendars():
                if calendar is not None:
                    found.extend(occurrences(calendar, safe_url(dav.href_url(href)), start, end))
            self._expanded = (key, found)
        return list(self._expanded[1])

    def _sync(self, since: bool) -> ChangeSet:
        if self._dav is None:
            try:
                self._dav = self.account.collection(self.calendar)
            except NotFound as exc:
                raise SourceError(f"{self.kind} calendar: {exc}") from None
            self._mirror, since = Mirror(), False
        dav = self._dav
        try:
            delta = dav.sync()
        except NotFound:
            self._dav = None  # looked up by name again next time
            raise SourceError(
                f"{self.where}: the {self.kind} calendar {safe_url(dav.url)} is gone"
            ) from None
        changed = {o.href: self._items(dav, o.href) for o in delta.changed}
        self._cursor = scoped(dav.url, dav.token or dav.ctag or "")
        return self._mirror.apply(
            self._cursor, changed, delta.removed, full=delta.full, since=since
        )

    def _items(self, dav: DavCollection, href: str) -> tuple[Item, ...]:
        where = safe_url(dav.href_url(href))
        calendar, reason = dav.parsed(href)
        if calendar is None:
            return (Problem(href, f"{where}: not a valid iCalendar object ({reason}); skipped"),)
        events, problems = components(calendar, where)
        return (*events, *problems)
