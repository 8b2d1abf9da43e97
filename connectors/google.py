"""Google Calendar: races and busy time in, the training calendar out, on
google-api-python-client with the bundled discovery document.

Every calendar racecal watches is followed by its own `syncToken` stream (all pages; a 410 means
one full listing), so a pass where nothing changed costs one request per watched calendar.
Writes go in batch requests of at most 50 calls; sessions use client-supplied ids, so a retried
insert answers 409 and is adopted; updates carry `If-Match`, and a 412 is checked against what
the event now holds (our own write whose reply was lost counts as done). httplib2 is not
thread-safe: each thread gets its own authorized client.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import google_auth_httplib2
import httplib2
import icalendar
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient import discovery_cache
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from connectors.base import (
    AuthError,
    CalendarError,
    Capabilities,
    ChangeSet,
    Conflict,
    Mirror,
    NotFound,
    RateLimited,
    RemoteEvent,
    SessionEvent,
    Unavailable,
    holds,
)
from connectors.gevents import cancelled_instance, to_body, to_remote, to_vevent
from connectors.observe import label, note
from connectors.retry import RetryPolicy

log = logging.getLogger("racecal.google")
T = TypeVar("T")

SCOPES = (
    "https://www.googleapis.com/auth/calendar.events.readonly",
    "https://www.googleapis.com/auth/calendar.app.created",
)
GOOGLE_ROOT = "https://www.googleapis.com/"
BATCH_LIMIT = 50
PAGE_SIZE = 2500
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}


class Gone(NotFound):
    """410: a deleted event, or a sync token the server no longer honours."""


@dataclass(frozen=True)
class GoogleSettings:
    credentials: Any  # google.auth.credentials.Credentials
    # The API root, e.g. "http://127.0.0.1:8080/" for a local server; None is Google.
    root: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = 30.0
    transparency: str = "opaque"


class TokenEndpointDown(httplib2.HttpLib2Error):  # type: ignore[misc]
    """The OAuth token endpoint answered 5xx, 429 or 408: an outage, not a refusal."""

    def __init__(self, status: int) -> None:
        super().__init__(f"the sign-in service answered HTTP {status}")
        self.status = status


class _Http(httplib2.Http):  # type: ignore[misc]
    """httplib2 for one account. A token request (anything but the Calendar API and its batch
    endpoint) that fails on the server's side raises, so google-auth neither retries it with
    sleeps of its own nor reads it as a refused grant: the outage reaches our retry layer as
    Unavailable."""

    def __init__(self, api_root: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.api = (api_root + "calendar/", api_root + "batch/")

    def request(self, uri: str, *args: Any, **kwargs: Any) -> Any:
        response, content = super().request(uri, *args, **kwargs)
        if not str(uri).startswith(self.api) and (
            response.status >= 500 or response.status in (408, 429)
        ):
            raise TokenEndpointDown(int(response.status))
        return response, content


class GoogleAccount:
    def __init__(self, settings: GoogleSettings) -> None:
        self.settings = settings
        self.root = (settings.root or GOOGLE_ROOT).rstrip("/") + "/"
        self._local = threading.local()

    def service(self) -> Any:
        service = getattr(self._local, "service", None)
        if service is None:
            http = google_auth_httplib2.AuthorizedHttp(
                self.settings.credentials, http=_Http(self.root, self.settings.timeout)
            )
            service = _Service(
                build_from_document(
                    _discovery(),
                    http=http,
                    client_options={"api_endpoint": self.root + "calendar/v3/"},
                )
            )
            self._local.service = service
        return service

    def authorize(self) -> None:
        """Refresh an expired access token through this account's own HTTP before a batch: the
        client library would refresh it over a plain connection of its own, where a token
        endpoint outage is retried with google-auth's sleeps and reads like a refusal."""
        credentials = self.settings.credentials
        if getattr(credentials, "valid", True):
            return
        credentials.refresh(google_auth_httplib2.Request(self.service().http.http))

    def new_batch(self) -> BatchHttpRequest:
        # new_batch_http_request() would post to Google whatever the endpoint.
        return BatchHttpRequest(batch_uri=self.root + "batch/calendar/v3")

    def execute(self, what: str, make: Callable[[Any], Any]) -> Any:
        """Build a request from the thread's service and run it under our errors and
        retries; `what` names the calendar in messages."""

        def once() -> Any:
            return sent(what, lambda: make(self.service()).execute(num_retries=0))

        return self.settings.retry.run(once, "google")

    def list_page(self, what: str, params: dict[str, Any]) -> Any:
        return self.execute(what, lambda s: s.events().list(**params))

    def create_calendar(self, name: str, timezone: str) -> str:
        body = {"summary": name, "timeZone": timezone, "description": "Training plan by racecal"}
        created = self.execute(f"calendar '{name}'", lambda s: s.calendars().insert(body=body))
        return str(created["id"])


@functools.cache
def _discovery() -> dict[str, Any]:
    """The Calendar v3 discovery document bundled with the client, parsed once per process
    (json.loads of it is ~2 ms per client otherwise)."""
    document = discovery_cache.get_static_doc("calendar", "v3")
    assert document is not None, "google-api-python-client ships the calendar v3 document"
    parsed: dict[str, Any] = json.loads(document)
    return parsed


class _Service:
    """A thread's client with its resource collections built once: building
    `service.events()` costs ~4 ms of CPU, more than a quiet pass's own work."""

    def __init__(self, service: Any) -> None:
        self.http = service._http
        self._events = service.events()
        self._calendars = service.calendars()
        self._channels = service.channels()

    def events(self) -> Any:
        return self._events

    def channels(self) -> Any:
        return self._channels

    def calendars(self) -> Any:
        return self._calendars


def sent(what: str, send: Callable[[], T]) -> T:
    """One HTTP request under our errors, reported to connectors.observe."""
    try:
        with translated(what):
            reply = send()
    except CalendarError as exc:
        note("google", "request", label(exc))
        raise
    note("google", "request", "200")
    return reply


@contextmanager
def translated(what: str) -> Iterator[None]:
    try:
        yield
    except HttpError as exc:
        raise error_for(what, exc) from None
    except RefreshError as exc:
        if refused(exc):
            raise AuthError(
                f"{what}: Google refused the stored authorization (revoked or expired); "
                "run 'racecal auth google' again"
            ) from None
        # Anything else (a 5xx page instead of JSON, a reply without a token) is the sign-in
        # service failing, which the next pass can get past without a person.
        raise Unavailable(f"{what}: Google's sign-in service failed; trying again later") from None
    except TransportError as exc:
        inner = exc.args[0] if exc.args else exc
        if isinstance(inner, TokenEndpointDown):
            raise Unavailable(f"{what}: {inner}; trying again later", str(inner.status)) from None
        raise Unavailable(f"{what}: cannot reach Google ({type(inner).__name__})") from None
    except (TimeoutError, httplib2.HttpLib2Error, OSError) as exc:
        if isinstance(exc, TokenEndpointDown):
            raise Unavailable(f"{what}: {exc}; trying again later", str(exc.status)) from None
        raise Unavailable(f"{what}: cannot reach Google ({type(exc).__name__})") from None


# OAuth error codes (RFC 6749 5.2) that say the grant itself is refused: a person must act.
REFUSALS = ("invalid_grant", "invalid_client", "unauthorized_client", "invalid_scope")


def refused(exc: RefreshError) -> bool:
    """The token endpoint refused the grant (revoked, expired, wrong client), as opposed to
    failing to answer."""
    data = exc.args[1] if len(exc.args) > 1 else None
    if isinstance(data, dict):
        return str(data.get("error", "")) in REFUSALS
    text = str(exc.args[0]) if exc.args else ""
    return text.startswith(REFUSALS) or "Reauthentication is needed" in text


def error_for(what: str, exc: HttpError) -> CalendarError:
    status = int(exc.status_code or exc.resp.status)
    details = exc.error_details if isinstance(exc.error_details, list) else []
    reason = str(details[0].get("reason", "")) if details and isinstance(details[0], dict) else ""
    text = f"{what}: HTTP {status}{f' {reason}' if reason else ''}"
    if status == 429 or (status == 403 and reason in RATE_REASONS):
        after = exc.resp.get("retry-after") if exc.resp is not None else None
        seconds = float(after) if after and str(after).replace(".", "", 1).isdigit() else None
        return RateLimited(text, retry_after=seconds, status=str(status))
    if status >= 500:
        return Unavailable(text, str(status))
    if status == 401:
        return AuthError(f"{text}; run 'racecal auth google' again")
    if status == 404:
        return NotFound(text)
    if status == 410:
        return Gone(text)
    if status in (409, 412):
        return Conflict(text)
    return CalendarError(f"{text} (not retried)")


class GoogleCollection:
    """One calendar followed by its sync-token stream, mirrored in memory."""

    def __init__(
        self, account: GoogleAccount, calendar_id: str, show_deleted: bool = False
    ) -> None:
        self.account = account
        self.calendar_id = calendar_id
        # Full listings also name deleted events (the training calendar's, whose ids racecal
        # may write again): incremental ones always do.
        self.show_deleted = show_deleted
        self.items: dict[str, dict[str, Any]] = {}
        # Ids of deleted events the server still holds as cancelled (an insert would be 409).
        self.cancelled: set[str] = set()
        self.token: str | None = None
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
                    calendar.add_component(to_vevent(item, self._series_uid(item)))
                elif item.get("status") == "cancelled" and "originalStartTime" in item:
                    # A deleted instance of a series comes with its id, series and original
                    # start only: as a cancelled RECURRENCE-ID it frees that occurrence.
                    series = self._series_uid(item)
                    if series is not None:
                        calendar.add_component(cancelled_instance(item, series))
            self._ical = calendar
        return self._ical

    def _series_uid(self, item: dict[str, Any]) -> str | None:
        """The UID of the series an instance belongs to (an instance need not repeat it)."""
        master = self.items.get(str(item.get("recurringEventId", "")))
        if master is None:
            return None
        return str(master.get("iCalUID") or master["id"])


@dataclass
class _Call:
    kind: str  # insert | update | delete
    event_id: str
    make: Callable[[Any], Any]
    event: SessionEvent | None = None


class GoogleCalendar:
    """The training calendar as a `CalendarConnector`."""

    capabilities = Capabilities(writable=True, incremental=True, batches=True)

    def __init__(
        self,
        account: GoogleAccount,
        calendar_id: str,
        recreate: Callable[[], str] | None = None,
    ) -> None:
        self.account = account
        self.calendar_id = calendar_id
        self.recreate = recreate
        self.collection = GoogleCollection(account, calendar_id, show_deleted=True)
        self._mirror = Mirror()
        self._generation = 0
        self._queue: list[_Call] | None = None

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
        try:
            changed, removed, full = self.collection.sync()
        except NotFound:
            if self.recreate is None:
                raise NotFound(f"{self.name}: the training calendar is gone") from None
            log.warning("the training calendar was deleted; creating it again")
            self.calendar_id = self.recreate()
            self.collection = GoogleCollection(self.account, self.calendar_id, show_deleted=True)
            self._generation += 1
            changed, removed, full = self.collection.sync()
            reset = True
        parsed = {i["id"]: (to_remote(i),) for i in changed if "start" in i}
        token = f"{self._generation}:{self.collection.token or ''}"
        return self._mirror.apply(cursor, token, parsed, tuple(removed), full, reset)

    # -- writing ------------------------------------------------------------------------
    @contextmanager
    def batch(self) -> Iterator[None]:
        self._queue = []
        try:
            yield
            queued, self._queue = self._queue, None
            self._flush(queued)
        finally:
            self._queue = None

    def create(self, event: SessionEvent) -> RemoteEvent:
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
        body = to_body(event, self.account.settings.transparency)

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
        """Keep the set of cancelled ids true after our own write."""
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
            self.account.authorize()
            batch.execute(http=service.http)

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
