"""One Google calendar followed by its own `syncToken` stream (all pages; a 410 means one full
listing) and mirrored in memory, so a look where nothing changed costs one request; and that
mirror as a source of races and busy time, its events made into VEVENTs (Google's recurrence
lines are iCalendar already) so recurrences expand as any calendar's do."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import icalendar

from connectors.base import (
    Capabilities,
    ChangeSet,
    Item,
    Mirror,
    NotFound,
    RemoteEvent,
    Watch,
    scoped,
    token_of,
)
from connectors.google.api import PAGE_SIZE, Gone, GoogleApi
from connectors.google.events import cancelled_instance, to_vevent
from connectors.ical import component, occurrences

log = logging.getLogger("racecal.google")


class GoogleCollection:
    """One calendar followed by its sync-token stream, mirrored in memory."""

    def __init__(self, account: GoogleApi, calendar_id: str, show_deleted: bool = False) -> None:
        self.account = account
        self.calendar_id = calendar_id
        # Full listings also name deleted events (the training calendar's, whose ids racecal
        # may write again): incremental ones always do.
        self.show_deleted = show_deleted
        self.items: dict[str, dict[str, Any]] = {}
        # Ids of deleted events the server still holds as cancelled (an insert would be 409).
        self.cancelled: set[str] = set()
        self.token: str | None = None
        # Followed on from a token an earlier process handed out: `items` holds only what
        # changed since.
        self.partial = False
        self._ical: icalendar.Calendar | None = None
        # Bumped on every change, so readers can keep what they derived from the events.
        self.version = 0

    @property
    def name(self) -> str:
        return f"Google calendar '{self.calendar_id}'"

    def sync(self) -> tuple[list[dict[str, Any]], list[str], bool]:
        """(changed items, removed ids, whether this was a full listing)."""
        try:
            return self._pages(self.token)
        except Gone:
            log.info("%s: sync token expired; listing it whole", self.name)
            return self._pages(None)

    def _pages(self, token: str | None) -> tuple[list[dict[str, Any]], list[str], bool]:
        changed: dict[str, dict[str, Any]] = {}
        removed: set[str] = set()
        cancelled: set[str] = set()
        page: str | None = None
        while True:
            params: dict[str, Any] = {"calendarId": self.calendar_id, "maxResults": PAGE_SIZE}
            if token:
                params["syncToken"] = token
            elif self.show_deleted:
                params["showDeleted"] = True
            if page:
                params["pageToken"] = page
            reply = self.account.list_page(self.name, params)
            for item in reply.get("items", []):
                if item.get("status") == "cancelled" and "recurringEventId" not in item:
                    removed.add(item["id"])
                    cancelled.add(item["id"])
                    changed.pop(item["id"], None)
                else:
                    # A live event, or a cancelled instance of a series (kept: it takes its
                    # occurrence out of the series).
                    changed[item["id"]] = item
                    removed.discard(item["id"])
                    cancelled.discard(item["id"])
            page = reply.get("nextPageToken")
            if not page:
                self.token = reply.get("nextSyncToken")
                break
        full = token is None
        if full:
            removed = set(self.items) - set(changed)
            self.items = dict(changed)
            self.cancelled = cancelled
            self.partial = False
        else:
            for item_id in removed:
                self.items.pop(item_id, None)
            self.items.update(changed)
            self.cancelled = (self.cancelled - set(changed)) | cancelled
        if changed or removed or full:
            self._ical = None
            self.version += 1
        return list(changed.values()), sorted(removed), full

    def calendar(self) -> icalendar.Calendar:
        """The mirrored events as one iCalendar calendar (built once per change)."""
        if self._ical is None:
            calendar = icalendar.Calendar()
            calendar.add("prodid", "-//racecal//google mirror//EN")
            calendar.add("version", "2.0")
            for item in self.items.values():
                if "start" in item:
                    calendar.add_component(to_vevent(item, self.series_uid(item)))
                elif item.get("status") == "cancelled" and "originalStartTime" in item:
                    # A deleted instance of a series comes with its id, series and original
                    # start only: as a cancelled RECURRENCE-ID it frees that occurrence.
                    series = self.series_uid(item)
                    if series is not None:
                        calendar.add_component(cancelled_instance(item, series))
            self._ical = calendar
        return self._ical

    def series_uid(self, item: dict[str, Any]) -> str | None:
        """The UID of the series an instance belongs to (an instance need not repeat it)."""
        master = self.items.get(str(item.get("recurringEventId", "")))
        if master is None:
            return None
        return str(master.get("iCalUID") or master["id"])

    # -- push channels ----------------------------------------------------------------------
    def watch(self, channel_id: str, address: str, token: str, ttl_seconds: int) -> Watch:
        body = {
            "id": channel_id,
            "type": "web_hook",
            "address": address,
            "token": token,
            "params": {"ttl": str(ttl_seconds)},
        }
        calendar_id = self.calendar_id
        reply = self.account.execute(
            f"push channel for '{calendar_id}'",
            lambda s: s.events().watch(calendarId=calendar_id, body=body),
        )
        expires = datetime.fromtimestamp(int(reply.get("expiration", 0)) / 1000, UTC)
        return Watch(str(reply["resourceId"]), expires)

    def unwatch(self, channel_id: str, resource_id: str) -> None:
        body = {"id": channel_id, "resourceId": resource_id}
        self.account.execute("push channel", lambda s: s.channels().stop(body=body))


class GoogleSource:
    """A calendar read for races and busy time (one per calendar id, whatever its roles)."""

    capabilities = Capabilities(writable=False, incremental=True, push=True)

    def __init__(self, collection: GoogleCollection, where: str) -> None:
        self.collection = collection
        self.where = where
        self._mirror = Mirror()
        self._cursor: str | None = None
        self._expanded: tuple[object, list[RemoteEvent]] | None = None

    @property
    def name(self) -> str:
        return self.collection.name

    @property
    def locator(self) -> str:
        return f"google {self.collection.calendar_id}"

    @property
    def watch_key(self) -> str:
        return self.collection.calendar_id

    def watch(self, channel_id: str, address: str, token: str, ttl_seconds: int) -> Watch:
        return self.collection.watch(channel_id, address, token, ttl_seconds)

    def unwatch(self, channel_id: str, resource_id: str) -> None:
        self.collection.unwatch(channel_id, resource_id)

    def changes(self, cursor: str | None) -> ChangeSet:
        """What changed since `cursor`. A cursor an earlier process handed out is followed on
        from (one request when nothing changed since); news since then is answered with one
        full listing: this process does not know which events a removed or changed one held
        (a series' occurrences), nor the events that did not change, which busy time needs."""
        collection = self.collection
        since = cursor is not None and cursor == self._cursor
        given = token_of(cursor, collection.calendar_id)
        if not since and given is not None and collection.token is None and not collection.items:
            collection.token, collection.partial, since = given, True, True
        elif not since and collection.partial:
            collection.token = None
        try:
            changed, removed, full = collection.sync()
            if collection.partial and (changed or removed):
                collection.token, since = None, False
                changed, removed, full = collection.sync()
        except NotFound:
            raise NotFound(
                f"{self.where}: the calendar '{collection.calendar_id}' is gone "
                "or not shared with this account"
            ) from None
        items = {item["id"]: self._items(item) for item in changed}
        self._cursor = scoped(collection.calendar_id, collection.token or "")
        return self._mirror.apply(self._cursor, items, removed, full=full, since=since)

    def events(self, start: datetime, end: datetime) -> list[RemoteEvent]:
        if self._cursor is None or self.collection.partial:
            self.changes(None)
        key = (self.collection.version, start, end)
        if self._expanded is None or self._expanded[0] != key:
            found = occurrences(self.collection.calendar(), self.name, start, end)
            self._expanded = (key, found)
        return list(self._expanded[1])

    def _items(self, item: dict[str, Any]) -> tuple[Item, ...]:
        """An event resource as the VEVENT an export of it holds, read like any other."""
        series = self.collection.series_uid(item)
        if "start" in item:
            return (component(to_vevent(item, series), self.name),)
        if item.get("status") == "cancelled" and "originalStartTime" in item and series:
            return (component(cancelled_instance(item, series), self.name),)
        return ()
