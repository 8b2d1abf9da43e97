"""The training calendar in Google Calendar.

Writes go in batch requests of at most 50 calls; sessions use client-supplied ids, so a retried
insert answers 409 and is adopted, and a session whose id is a cancelled event is written over
it in one call; updates carry `If-Match`, and a 412 is checked against what the event now holds
(our own write whose reply was lost counts as done). Calls failing inside a batch with 429 or
5xx go in the next batch, after the server's Retry-After.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from googleapiclient.errors import HttpError

from connectors.base import (
    CalendarError,
    Capabilities,
    ChangeSet,
    Conflict,
    Mirror,
    NotFound,
    RateLimited,
    RemoteEvent,
    Sent,
    SessionEvent,
    Unavailable,
    Watch,
    holds,
    scoped,
    token_of,
)
from connectors.google.api import BATCH_LIMIT, PAGE_SIZE, Gone, GoogleApi, error_for, sent
from connectors.google.collection import GoogleCollection
from connectors.google.events import merged, to_body, to_remote
from connectors.observe import label, note, spend

log = logging.getLogger("racecal.google")


@dataclass
class _Call:
    kind: str  # insert | update | delete
    event_id: str
    make: Callable[[Any], Any]
    event: SessionEvent | None = None


class GoogleCalendar:
    """The training calendar as a `TrainingCalendar`."""

    capabilities = Capabilities(writable=True, incremental=True, push=True, batches=True)

    def __init__(
        self,
        account: GoogleApi,
        calendar_id: str,
        recreate: Callable[[], str] | None = None,
    ) -> None:
        self.account = account
        self.calendar_id = calendar_id
        self.recreate = recreate
        self.collection = GoogleCollection(account, calendar_id, show_deleted=True)
        self._mirror = Mirror()
        self._queue: list[_Call] | None = None
        self._sent: Sent | None = None

    @property
    def name(self) -> str:
        return f"Google calendar '{self.calendar_id}'"

    # -- reading ------------------------------------------------------------------------
    def events(self, start: datetime, end: datetime) -> list[RemoteEvent]:
        found: list[RemoteEvent] = []
        page: str | None = None
        while True:
            params: dict[str, Any] = {
                "calendarId": self.calendar_id,
                "timeMin": start.astimezone(UTC).isoformat(),
                "timeMax": end.astimezone(UTC).isoformat(),
                "singleEvents": True,
                "maxResults": PAGE_SIZE,
            }
            if page:
                params["pageToken"] = page
            reply = self.account.list_page(self.name, params)
            found.extend(to_remote(i) for i in reply.get("items", []) if "start" in i)
            page = reply.get("nextPageToken")
            if not page:
                return sorted(found, key=lambda e: (str(e.start), e.id))

    def changes(self, cursor: str | None) -> ChangeSet:
        reset = False
        collection = self.collection
        given = token_of(cursor, self.calendar_id)
        since = given is not None and given == collection.token
        if given is not None and collection.token is None and not collection.items:
            # A new process with an earlier one's cursor: go on from its sync token, so a
            # restart costs one request for what changed since, not a listing.
            collection.token, collection.partial, since = given, True, True
        elif not since and collection.partial:
            # Asked from any other cursor (none: the caller forgot what it held), a process
            # that went on from an earlier one's token holds too little to answer with
            # everything: the calendar is listed whole.
            collection.token = None
        try:
            changed, removed, full = collection.sync()
        except NotFound:
            if self.recreate is None:
                raise NotFound(f"{self.name}: the training calendar is gone") from None
            log.warning("the training calendar was deleted; creating it again")
            self.calendar_id = self.recreate()
            self.collection = GoogleCollection(self.account, self.calendar_id, show_deleted=True)
            changed, removed, full = self.collection.sync()
            reset = True
        parsed = {i["id"]: (to_remote(i),) for i in changed if "start" in i}
        token = scoped(self.calendar_id, self.collection.token or "")
        return self._mirror.apply(
            token,
            parsed,
            removed,
            full=full,
            since=since,
            reset=reset,
            unknown=lambda event_id: (event_id,),
        )

    @property
    def locator(self) -> str:
        return f"google {self.calendar_id}"

    # -- push channels ----------------------------------------------------------------------
    @property
    def watch_key(self) -> str:
        return self.calendar_id

    def watch(self, channel_id: str, address: str, token: str, ttl_seconds: int) -> Watch:
        return self.collection.watch(channel_id, address, token, ttl_seconds)

    def unwatch(self, channel_id: str, resource_id: str) -> None:
        self.collection.unwatch(channel_id, resource_id)

    # -- writing ------------------------------------------------------------------------
    @contextmanager
    def batch(self) -> Iterator[Sent]:
        self._queue, self._sent = [], Sent()
        try:
            yield self._sent
            queued, self._queue = self._queue, None
            self._flush(queued)
        finally:
            self._queue, self._sent = None, None

    def _complete(self) -> None:
        """Followed on from an earlier process's token, this process holds only what changed
        since; a write needs the event as held (so what racecal does not own stays) and the
        ids Google keeps as cancelled (so a session comes back in one call): the calendar is
        listed whole once, before the first write."""
        if not self.collection.partial:
            return
        self.collection.token = None
        changed, _removed, _full = self.collection.sync()
        parsed = {i["id"]: (to_remote(i),) for i in changed if "start" in i}
        token = scoped(self.calendar_id, self.collection.token or "")
        self._mirror.apply(token, parsed, (), full=True, since=False)

    def create(self, event: SessionEvent) -> RemoteEvent:
        self._complete()
        if event.id in self.collection.cancelled:
            return self._run(self._revive(event))
        body = to_body(event, self.account.settings.transparency)
        call = _Call(
            "insert",
            event.id,
            lambda s: s.events().insert(calendarId=self.calendar_id, body=body, sendUpdates="none"),
            event,
        )
        return self._run(call)

    def _revive(self, event: SessionEvent) -> _Call:
        """Google keeps a deleted event's id as a cancelled event, so an insert of it is 409:
        writing the session over it (status confirmed) brings it back in one call."""
        body = {**to_body(event, self.account.settings.transparency), "status": "confirmed"}
        return _Call(
            "revive",
            event.id,
            lambda s: s.events().update(
                calendarId=self.calendar_id, eventId=event.id, body=body, sendUpdates="none"
            ),
            event,
        )

    def update(self, event: SessionEvent, etag: str | None) -> RemoteEvent:
        # Merged into the event as last listed: a location, a reminder or another app's
        # property on it stays (an update costs one quota unit, a patch three).
        self._complete()
        current = self.collection.items.get(event.id)
        body = merged(current, event, self.account.settings.transparency)

        def make(service: Any) -> Any:
            request = service.events().update(
                calendarId=self.calendar_id, eventId=event.id, body=body, sendUpdates="none"
            )
            if etag:
                request.headers["If-Match"] = etag
            return request

        return self._run(_Call("update", event.id, make, event))

    def delete(self, event_id: str, etag: str | None) -> None:
        def make(service: Any) -> Any:
            request = service.events().delete(
                calendarId=self.calendar_id, eventId=event_id, sendUpdates="none"
            )
            if etag:
                request.headers["If-Match"] = etag
            return request

        self._run(_Call("delete", event_id, make))

    def _run(self, call: _Call) -> RemoteEvent:
        if self._queue is not None:
            self._queue.append(call)
            return _placeholder(call) if call.event else _GONE
        try:
            reply = self.account.execute(self.name, call.make)
        except CalendarError as exc:
            return self._settle(call, exc)
        self._done(call)
        return to_remote(reply) if reply else _GONE

    def _done(self, call: _Call) -> None:
        """Keep the set of cancelled ids true after our own write, and the batch's record of
        what it wrote."""
        if self._sent is not None:
            self._sent.written.add(call.event_id)
        if call.kind == "delete":
            self.collection.cancelled.add(call.event_id)
        else:
            self.collection.cancelled.discard(call.event_id)

    def _settle(self, call: _Call, exc: CalendarError) -> RemoteEvent:
        """What a failed call means for its intent; raises when it really failed."""
        if call.kind == "insert" and isinstance(exc, Conflict):
            raise Conflict(f"{self.name}: event {call.event_id} exists") from None
        if call.kind == "revive" and isinstance(exc, NotFound) and call.event is not None:
            # The cancelled event is gone for good (Google purges them eventually).
            self.collection.cancelled.discard(call.event_id)
            return self.create(call.event)
        if call.kind == "update" and isinstance(exc, Conflict) and call.event is not None:
            held = self._held(call.event_id)
            if held is not None and holds(held, call.event):
                self._done(call)
                return held  # our own write whose reply was lost
            raise Conflict(f"{self.name}: event {call.event_id} changed outside racecal")
        if call.kind == "delete" and isinstance(exc, Gone):
            self.collection.cancelled.add(call.event_id)
            raise NotFound(f"{self.name}: event {call.event_id} is gone")
        raise exc

    def _held(self, event_id: str) -> RemoteEvent | None:
        try:
            item = self.account.execute(
                self.name,
                lambda s: s.events().get(calendarId=self.calendar_id, eventId=event_id),
            )
        except NotFound:
            return None
        return to_remote(item)

    def _flush(self, calls: list[_Call]) -> None:
        """Batches of at most 50; what failed inside for a reason worth a retry (429, 5xx) is
        batched again after the wait the server asked for; adoption (409) and 412 checks
        follow."""
        conflict: Conflict | None = None
        for call, exc in self._send_all(calls):
            try:
                self._settle(call, exc)
            except NotFound:
                if call.kind != "delete":
                    raise
            except Conflict as err:
                if call.kind == "insert" and call.event is not None:
                    # Written by an earlier try whose reply was lost, or by a killed pass, or
                    # deleted since we last listed: one write makes it the session.
                    self._run(self._revive(call.event))
                else:
                    conflict = conflict or err
        if conflict is not None:
            raise conflict

    def _send_all(self, calls: list[_Call]) -> list[tuple[_Call, CalendarError]]:
        """Send every call, in batches, under the retry policy: a batch that failed as a whole
        is sent again whole (inserts then answer 409, updates 412 and deletes 410 where the
        first try got through, and each is settled by the caller); calls that failed inside a
        batch with 429 or 5xx go in the next round, after the longest Retry-After among them
        (a wait beyond the retry budget ends the pass with RateLimited). Returns the calls
        that failed for other reasons."""
        waiting = list(calls)
        failed: list[tuple[_Call, CalendarError]] = []

        def one_round() -> None:
            nonlocal waiting
            again: list[tuple[_Call, CalendarError]] = []
            try:
                while waiting:
                    chunk = next(_chunks(waiting))
                    outcomes = self._send_batch(chunk)
                    del waiting[: len(chunk)]
                    for call, outcome in zip(chunk, outcomes, strict=True):
                        if outcome is None:
                            self._done(call)
                        elif isinstance(outcome, RateLimited | Unavailable):
                            again.append((call, outcome))
                        else:
                            failed.append((call, outcome))
            finally:
                waiting = [c for c, _ in again] + waiting
            if again:
                raise _most_patient(e for _, e in again)

        self.account.settings.retry.run(one_round, "google")
        return failed

    def _send_batch(self, chunk: list[_Call]) -> list[CalendarError | None]:
        """One batch request; raises when it failed as a whole."""
        outcomes: list[CalendarError | None] = [None] * len(chunk)

        def done(request_id: str, _response: Any, exception: Exception | None) -> None:
            if exception is not None:
                index = int(request_id)
                if isinstance(exception, HttpError):
                    outcomes[index] = error_for(self.name, exception)
                else:
                    outcomes[index] = Unavailable(f"{self.name}: {type(exception).__name__}")

        batch = self.account.new_batch()
        service = self.account.service()
        for index, call in enumerate(chunk):
            batch.add(call.make(service), callback=done, request_id=str(index))

        def send() -> None:
            with self.account.connection(self.name) as http:
                self.account.authorize(http)
                spend("google", len(chunk))  # Google counts each call in a batch
                batch.execute(http=http)

        sent(self.name, send)
        for outcome in outcomes:
            if outcome is not None:
                note("google", "call in batch", label(outcome))
        return outcomes


def _most_patient(errors: Iterator[CalendarError]) -> CalendarError:
    """The error the next round must wait for: the longest Retry-After there is."""
    found = list(errors)
    limited = [e for e in found if isinstance(e, RateLimited) and e.retry_after is not None]
    if limited:
        return max(limited, key=lambda e: e.retry_after or 0.0)
    return next((e for e in found if isinstance(e, RateLimited)), found[0])


def _chunks(calls: list[_Call]) -> Iterator[list[_Call]]:
    """Batches of at most 50 calls, none touching an event twice: Google may run the calls of
    a batch in any order."""
    chunk: list[_Call] = []
    ids: set[str] = set()
    for call in calls:
        if len(chunk) == BATCH_LIMIT or call.event_id in ids:
            yield chunk
            chunk, ids = [], set()
        chunk.append(call)
        ids.add(call.event_id)
    if chunk:
        yield chunk


_GONE = RemoteEvent("", "", datetime.min.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC))


def _placeholder(call: _Call) -> RemoteEvent:
    """What a queued write will have made; its etag comes with the next change listing."""
    event = call.event
    assert event is not None
    return RemoteEvent(
        event.id,
        event.title,
        event.start,
        event.end,
        event.description,
        session_key=event.session_key,
    )
