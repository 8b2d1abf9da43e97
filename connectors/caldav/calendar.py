"""CalDAV calendars (Nextcloud, Fastmail, iCloud, Radicale, ...): races and busy time in, the
training calendar out.

Discovery and MKCALENDAR are the caldav library's. Session events are written by us, one object
per session at `<training collection>/<event id>.ics` with UID `<event id>@racecal`: a create
is `If-None-Match: *` (so a retried create cannot duplicate), an update and a delete carry
`If-Match: <etag>` (so an athlete's edit is never overwritten). Change detection is the
collection's sync token (`connectors.caldav.collection`).
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urljoin, urlsplit

import icalendar
import recurring_ical_events

from connectors.base import (
    BadData,
    Capabilities,
    ChangeSet,
    Conflict,
    Mirror,
    NotFound,
    RemoteEvent,
    SessionEvent,
    holds,
    safe_url,
    scoped,
    token_of,
)
from connectors.caldav.collection import (
    DavCollection,
    DavObject,
    parse_calendar,
    responses,
    text_of,
)
from connectors.caldav.http import DavHttp, Refused
from connectors.deadline import REQUEST_SECONDS
from connectors.retry import RetryPolicy
from connectors.vevent import object_for, patched, to_remote, to_vevent, write_stamp

if TYPE_CHECKING:
    from connectors.registry import Memory

log = logging.getLogger("racecal.caldav")

QUERY_BODY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
<C:time-range start="{start}" end="{end}"/></C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""
ICS_HEADERS = {"Content-Type": "text/calendar; charset=utf-8"}


@dataclass(frozen=True)
class CalDavSettings:
    url: str
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # One request in all, however slowly the server sends (`timeout` is per read).
    deadline: float = REQUEST_SECONDS


class CalDavAccount:
    """One athlete's login on one server: finds calendars by name, creates the training one.
    A calendar found by its name is remembered by URL in `memory` (the service's store), so a
    new process asks nothing to find it; one gone from there is looked up again."""

    def __init__(self, settings: CalDavSettings, memory: Memory | None = None) -> None:
        self.settings = settings
        self.memory = memory
        self.http = DavHttp(
            settings.url,
            settings.username,
            settings.password,
            settings.timeout,
            settings.retry,
            settings.deadline,
        )
        self._principal: Any = None

    def close(self) -> None:
        self.http.close()

    def _home(self) -> Any:
        if self._principal is None:
            self._principal = self.http.call(
                safe_url(self.settings.url), self.http.client.principal
            )
        return self._principal

    def calendar_urls(self) -> dict[str, str]:
        """Display name -> collection URL of every calendar of the principal."""
        calendars = self.http.call(safe_url(self.settings.url), lambda: self._home().calendars())
        found: dict[str, str] = {}
        for calendar in calendars:
            name = self.http.call(safe_url(str(calendar.url)), calendar.get_display_name)
            found.setdefault(str(name or calendar.url), str(calendar.url))
        return found

    def resolve(self, name: str, fresh: bool = False) -> str:
        """A calendar named in config: a URL or path is taken as it is, a display name is
        the URL remembered for it, else looked up (`fresh`: looked up in any case). NotFound
        names the calendars there are."""
        if "/" in name:
            return urljoin(self.settings.url, name)
        remembered = self.memory.recall(self._role(name)) if self.memory and not fresh else None
        if remembered:
            return remembered
        known = self.calendar_urls()
        if name in known:
            self._remember(name, known[name])
            return known[name]
        listed = ", ".join(sorted(known)) or "none"
        raise NotFound(
            f"{safe_url(self.settings.url)}: no calendar named '{name}' (found: {listed})"
        )

    def _remember(self, name: str, url: str) -> None:
        if self.memory is not None:
            self.memory.remember(self._role(name), url)

    def _role(self, name: str) -> str:
        """The key a calendar's URL is remembered under: its name on this account (another
        server or user in the config has calendars of its own), as a digest (the store's keys
        are short)."""
        account = f"{self.settings.url}\0{self.settings.username or ''}\0{name}"
        return "dav:" + hashlib.sha256(account.encode()).hexdigest()[:12]

    def make_calendar(self, name: str) -> str:
        created = self.http.call(
            safe_url(self.settings.url), lambda: self._home().make_calendar(name=name)
        )
        self._remember(name, str(created.url))
        return str(created.url)

    def collection(self, name: str, fresh: bool = False) -> DavCollection:
        return DavCollection(self.http, self.resolve(name, fresh))

    def training(self, name: str, create: bool = True) -> CalDavCalendar:
        try:
            url = self.resolve(name)
        except NotFound:
            if not create or "/" in name:
                raise
            url = self.make_calendar(name)
            log.info("created the training calendar '%s' at %s", name, safe_url(url))
        return CalDavCalendar(self, url, name, recreate=create)


class CalDavCalendar:
    capabilities = Capabilities(writable=True, incremental=True)

    def __init__(self, account: CalDavAccount, url: str, title: str, recreate: bool) -> None:
        self.account = account
        self.http = account.http
        self.collection = DavCollection(self.http, url)
        # The calendar's display name (made again under it when deleted).
        self.title = title
        self.recreate = recreate
        # The events each object held when handed out: deletions arrive as bare hrefs and are
        # reported by the ids they had.
        self._mirror = Mirror()

    @property
    def url(self) -> str:
        return self.collection.url

    @property
    def name(self) -> str:
        return f"CalDAV calendar '{self.title}' at {safe_url(self.url)}"

    @property
    def locator(self) -> str:
        return safe_url(self.url)

    def batch(self) -> AbstractContextManager[None]:
        return nullcontext()  # CalDAV has no batch; each write is its own request

    # -- reading ------------------------------------------------------------------------
    def events(self, start: datetime, end: datetime) -> list[RemoteEvent]:
        stamp = "%Y%m%dT%H%M%SZ"
        body = QUERY_BODY.format(
            start=start.astimezone(UTC).strftime(stamp), end=end.astimezone(UTC).strftime(stamp)
        )
        reply = self.http.send(
            "REPORT",
            self.url,
            body,
            {"Content-Type": "application/xml; charset=utf-8", "Depth": "1"},
        )
        found: list[RemoteEvent] = []
        for href, _status, props in responses(reply.tree):
            data = (
                text_of(props, "{urn:ietf:params:xml:ns:caldav}calendar-data")
                if props is not None
                else None
            )
            if data is None:
                continue
            parsed = _calendar(data, self.collection.href_url(href))
            etag = text_of(props, "{DAV:}getetag")
            for component in recurring_ical_events.of(parsed).between(start, end):
                found.append(to_remote(component, etag))
        return sorted(found, key=lambda e: (str(e.start), e.id))

    def changes(self, cursor: str | None) -> ChangeSet:
        reset = False
        collection = self.collection
        given = token_of(cursor, self.url)
        since = given is not None and given == collection.mark()
        if given is not None and not collection.loaded:
            # A new process with an earlier one's cursor: go on from its sync token (or CTag),
            # so a restart costs one request for what changed since, not a listing.
            collection.prime(given)
            since = True
        elif not since and collection.partial:
            # Asked from any other cursor (none: the caller forgot what it held), a process
            # that went on from an earlier one's token holds too little to answer with
            # everything: the collection is listed whole.
            collection.reset()
        try:
            delta = collection.sync()
        except NotFound:
            if not self.recreate:
                raise NotFound(f"{safe_url(self.url)}: the training calendar is gone") from None
            self._recreate()
            delta = self.collection.sync()
            reset = True
        # Parsed once per change: a quiet pass parses nothing.
        changed = {o.href: tuple(self._parse(o)) for o in delta.changed}
        return self._mirror.apply(
            scoped(self.url, self.collection.mark()),
            changed,
            delta.removed,
            full=delta.full,
            since=since,
            reset=reset,
            unknown=_id_of,
        )

    def _recreate(self) -> None:
        """The calendar is gone from its URL: one of its name made since (by the athlete, or
        found where a remembered URL no longer holds it) is taken, else one is made."""
        try:
            url = self.account.resolve(self.title, fresh=True)
        except NotFound:
            url = self.url
        if url == self.url:
            log.warning(
                "the training calendar '%s' was deleted; creating it again and rewriting the plan",
                self.title,
            )
            url = self.account.make_calendar(self.title)
        self.collection = DavCollection(self.http, url)

    def _parse(self, obj: DavObject) -> list[RemoteEvent]:
        parsed = _calendar(obj.text, self.collection.href_url(obj.href))
        return [
            to_remote(c, obj.etag)
            for c in parsed.walk("VEVENT")
            if isinstance(c, icalendar.Event) and "RECURRENCE-ID" not in c
        ]

    # -- writing ------------------------------------------------------------------------
    def _href(self, event_id: str) -> str:
        return urljoin(self.url, quote(event_id) + ".ics")

    def _current(self, event_id: str) -> icalendar.Event | None:
        """The session's VEVENT as the server last gave it; None when not known."""
        held = self.collection.objects.get(self.collection.path + quote(event_id) + ".ics")
        if held is None and self.collection.partial:
            # Not listed since a restart: the object itself says.
            try:
                held = self.collection.fetch(self._href(event_id))
            except NotFound:
                return None
        if held is None:
            return None
        for component in _calendar(held.text, event_id).walk("VEVENT"):
            if isinstance(component, icalendar.Event) and "RECURRENCE-ID" not in component:
                return component
        return None

    def _put(
        self,
        event: SessionEvent,
        headers: dict[str, str],
        sequence: int,
        current: icalendar.Event | None = None,
    ) -> RemoteEvent:
        """Write the session; over `current` (an update) only racecal's own fields change, so
        a location, a reminder or another app's property on the event stays."""
        stamp = write_stamp()
        vevent = (
            to_vevent(event, stamp, sequence)
            if current is None
            else patched(current, event, stamp, sequence)
        )
        body = object_for(event, vevent).to_ical().decode("utf-8")
        reply = self.http.send("PUT", self._href(event.id), body, {**ICS_HEADERS, **headers})
        return to_remote(vevent, reply.headers.get("etag"))

    def create(self, event: SessionEvent) -> RemoteEvent:
        try:
            return self._put(event, {"If-None-Match": "*"}, 0)
        except Refused as exc:
            if exc.status == 412:
                raise Conflict(f"{safe_url(self._href(event.id))}: event exists") from None
            raise

    def update(self, event: SessionEvent, etag: str | None) -> RemoteEvent:
        try:
            current = self._current(event.id)
            sequence = int(current.get("SEQUENCE", 0)) + 1 if current is not None else 0
            return self._put(event, {"If-Match": etag or "*"}, sequence, current)
        except Refused as exc:
            if exc.status != 412:
                raise
            held = self._held(event.id)
            if holds(held, event):
                # Our own write, applied by the server, whose reply was lost on the way back
                # (the retry then met the new etag): it is done.
                return held
            raise Conflict(f"{safe_url(self._href(event.id))}: changed outside racecal") from None

    def delete(self, event_id: str, etag: str | None) -> None:
        headers = {"If-Match": etag} if etag else {}
        try:
            self.http.send("DELETE", self._href(event_id), "", headers)
        except Refused as exc:
            if exc.status != 412:
                raise
            self._exists(event_id)
            raise Conflict(f"{safe_url(self._href(event_id))}: changed outside racecal") from None

    def _exists(self, event_id: str) -> None:
        """A 412 means gone or changed; NotFound (raised by the GET) tells them apart."""
        self.http.send("GET", self._href(event_id))

    def _held(self, event_id: str) -> RemoteEvent:
        """The event as the server holds it now; NotFound when it is gone."""
        reply = self.http.send("GET", self._href(event_id))
        parsed = _calendar(reply.text, self._href(event_id))
        for component in parsed.walk("VEVENT"):
            if isinstance(component, icalendar.Event):
                return to_remote(component, reply.headers.get("etag"))
        raise BadData(safe_url(self._href(event_id)), "no VEVENT in the object")


def _id_of(href: str) -> tuple[str, ...]:
    """The id an object removed before this process saw it had: racecal's objects are
    `<id>.ics`, as most clients name theirs after the UID."""
    return (unquote(urlsplit(href).path.rsplit("/", 1)[-1]).removesuffix(".ics"),)


def _calendar(text: str, where_from: str) -> icalendar.Calendar:
    parsed, reason = parse_calendar(text)
    if parsed is None:
        raise BadData(safe_url(where_from), f"not a valid iCalendar object ({reason})")
    return parsed
