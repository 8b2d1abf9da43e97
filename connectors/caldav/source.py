"""A CalDAV collection as a source of races and busy time: followed by its sync token (or CTag),
each object parsed once per etag, occurrences expanded once per change and window.

A cursor an earlier process handed out is followed on from (one request when nothing changed
since); what changed since then is answered with one full listing, because this process does
not know what the changed or removed objects held before (their event ids, a deleted
occurrence), and neither does it hold the objects that did not change, which busy time needs.
"""

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
    token_of,
)
from connectors.caldav.collection import DavCollection
from connectors.ical import bounded, components
from connectors.said import Said


class Login(Protocol):
    """Who finds a calendar by its configured name (connecting on first use)."""

    def collection(self, name: str, fresh: bool = False) -> DavCollection:
        """The calendar by its name (`fresh`: looked up again, not as remembered)."""
        ...


KINDS = {"races": "race", "busy": "busy", "runs": "runs"}


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
        # Followed on from an earlier process's cursor: only what changed since is held.
        self._primed = False
        self._said = Said()

    @property
    def locator(self) -> str:
        return f"caldav {self.calendar}"

    @property
    def name(self) -> str:
        url = safe_url(self._dav.url) if self._dav is not None else f"'{self.calendar}'"
        return f"the {self.kind} calendar {url}"

    def changes(self, cursor: str | None) -> ChangeSet:
        """What changed since `cursor` (see the module's docstring for one from another
        process)."""
        return self._sync(cursor)

    def events(self, start: datetime, end: datetime) -> list[RemoteEvent]:
        if self._dav is None or not self._dav.loaded or self._primed:
            self._sync(None)
        dav = self._dav
        assert dav is not None
        key = (dav.url, dav.version, start, end)
        if self._expanded is None or self._expanded[0] != key:
            found: list[RemoteEvent] = []
            cut: list[str] = []
            for href, calendar, _reason in dav.calendars():
                if calendar is not None:
                    events, said = bounded(calendar, safe_url(dav.href_url(href)), start, end)
                    found.extend(events)
                    cut.extend(said)
            self._said.say(self.name, "window", cut)
            self._expanded = (key, found)
        return list(self._expanded[1])

    def _sync(self, cursor: str | None) -> ChangeSet:
        if self._dav is None:
            try:
                self._dav = self.account.collection(self.calendar)
            except NotFound as exc:
                raise SourceError(f"{self.kind} calendar: {exc}") from None
            self._mirror, self._cursor = Mirror(), None
        dav = self._dav
        since = cursor is not None and cursor == self._cursor
        given = token_of(cursor, dav.url)
        if not since and given is not None and not dav.loaded:
            dav.prime(given)
            self._primed = since = True
        elif not since and self._primed:
            dav.reset()
        try:
            delta = dav.sync()
            if self._primed and (delta.changed or delta.removed or delta.full):
                # News since an earlier process's cursor: listed whole (module docstring).
                dav.reset()
                delta, since = dav.sync(), False
        except NotFound:
            return self._moved(dav)
        self._primed = self._primed and not delta.full
        changed = {o.href: self._items(dav, o.href) for o in delta.changed}
        self._cursor = scoped(dav.url, dav.mark())
        found = self._mirror.apply(
            self._cursor, changed, delta.removed, full=delta.full, since=since
        )
        return found

    def _moved(self, dav: DavCollection) -> ChangeSet:
        """The calendar is gone from its URL: when its name is found elsewhere (a URL an
        earlier process remembered no longer holds it), listed whole from there."""
        self._dav = None  # looked up by name again next time
        gone = SourceError(f"{self.where}: the {self.kind} calendar {safe_url(dav.url)} is gone")
        try:
            found = self.account.collection(self.calendar, fresh=True)
        except NotFound:
            raise gone from None
        if found.url == dav.url:
            raise gone from None
        self._dav, self._mirror, self._primed = found, Mirror(), False
        return self._sync(None)

    def _items(self, dav: DavCollection, href: str) -> tuple[Item, ...]:
        where = safe_url(dav.href_url(href))
        calendar, reason = dav.parsed(href)
        if calendar is None:
            text = f"{where}: not a valid iCalendar object ({reason}); skipped"
            # The reason may quote the object's lines: not in the plain form.
            return (Problem(href, text, plain=f"{where}: not a valid iCalendar object; skipped"),)
        events, problems = components(calendar, where)
        return (*events, *problems)
