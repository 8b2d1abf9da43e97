"""Google Calendar API v3 on google-api-python-client with the bundled discovery document: one
client per thread to build requests, sent over the account's own connections (httplib2 is not
thread-safe: one request per connection at a time), every request under our error tree and our
one retry layer, the OAuth token endpoint's outages told from refused grants. Each request
(a page, a write, a batch, the token refresh before it) has a total deadline besides the
per-read timeout (`connectors.deadline`): a server trickling its answer is cut there, the
request raises TooSlow, not retried, and its connection is closed, never kept for the next."""

from __future__ import annotations

import functools
import json
import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import google_auth_httplib2
import httplib2
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient import discovery_cache
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from connectors.base import (
    AuthError,
    CalendarError,
    Conflict,
    NotFound,
    RateLimited,
    Unavailable,
)
from connectors.deadline import REQUEST_SECONDS, Deadline, watch_active
from connectors.observe import label, note, spend
from connectors.retry import RetryPolicy

log = logging.getLogger("racecal.google")
T = TypeVar("T")

SCOPES = (
    "https://www.googleapis.com/auth/calendar.events.readonly",
    "https://www.googleapis.com/auth/calendar.app.created",
)
GOOGLE_ROOT = "https://www.googleapis.com/"
BATCH_LIMIT = 50
# The training calendar's description; the mark of the attempt that made it follows.
DESCRIPTION = "Training plan by racecal\n\nracecal: "
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
    # One request in all, however slowly the server sends (`timeout` is per read).
    deadline: float = REQUEST_SECONDS


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
        if kwargs.get("connection_type") is None:
            scheme = str(uri).split(":", 1)[0].lower()
            kwargs["connection_type"] = _HttpsWatched if scheme == "https" else _HttpWatched
        if str(uri).startswith(self.api[0]):
            spend("google")  # quota; a batch's calls are counted where it is made
        response, content = super().request(uri, *args, **kwargs)
        if not str(uri).startswith(self.api) and (
            response.status >= 500 or response.status in (408, 429)
        ):
            raise TokenEndpointDown(int(response.status))
        return response, content


# httplib2 sends a request again, unseen, when the connection closes before a reply (taken
# for a stale keep-alive connection), a POST too: a calendar insert whose reply was lost would
# be made twice. While a thread sends such a request, a second send raises instead.
_sends = threading.local()


@contextmanager
def _sent_once() -> Iterator[None]:
    _sends.left = 1
    try:
        yield
    finally:
        _sends.left = None


def _sending() -> None:
    left = getattr(_sends, "left", None)
    if left is None:
        return
    if left == 0:
        raise ConnectionResetError("the connection closed before the reply (not sent again)")
    _sends.left = left - 1


class _HttpWatched(httplib2.HTTPConnectionWithTimeout):  # type: ignore[misc]
    """A connection whose socket the thread's request deadline watches, new or reused."""

    def connect(self) -> None:
        super().connect()
        watch_active(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        watch_active(self.sock)
        _sending()
        super().request(*args, **kwargs)


class _HttpsWatched(httplib2.HTTPSConnectionWithTimeout):  # type: ignore[misc]
    def connect(self) -> None:
        super().connect()
        watch_active(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        watch_active(self.sock)
        _sending()
        super().request(*args, **kwargs)


# An account's connections kept between requests: a pass uses one at a time, a page view
# next to it a second.
IDLE_CONNECTIONS = 2


class GoogleApi:
    """The Calendar API for one set of credentials.

    What a request is built with (the client's resource collections, ~0.7 MB) is one per
    thread for every account (`_service`); what it is sent over (an authorized httplib2
    connection, not thread-safe) is taken from the account's few idle ones for the request
    and given back. Memory is then bounded by the worker threads and the athletes' idle
    connections, never by their product."""

    def __init__(self, settings: GoogleSettings) -> None:
        self.settings = settings
        self.root = (settings.root or GOOGLE_ROOT).rstrip("/") + "/"
        self._idle: list[Any] = []
        self._lock = threading.Lock()

    def service(self) -> Any:
        """The thread's client for building requests; send them with `connection()`."""
        return _service(self.root)

    @contextmanager
    def connection(self, what: str) -> Iterator[Any]:
        """An authorized connection of this account's, for one request at a time, under that
        request's deadline: cut there, the request raises TooSlow (`what` names the calendar)
        and the connection is closed, not given back half read."""
        with self._lock:
            http = self._idle.pop() if self._idle else None
        if http is None:
            http = google_auth_httplib2.AuthorizedHttp(
                self.settings.credentials, http=_Http(self.root, self.settings.timeout)
            )
        with Deadline(self.settings.deadline) as deadline:
            try:
                yield http
            except Exception:
                if deadline.expired:
                    raise deadline.too_slow(what) from None
                raise
            finally:
                with self._lock:
                    kept = not deadline.expired and len(self._idle) < IDLE_CONNECTIONS
                    if kept:
                        self._idle.append(http)
                if not kept:
                    http.http.close()
            if deadline.expired:  # what came before the cut is not the answer
                raise deadline.too_slow(what)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for http in idle:
            http.http.close()

    def authorize(self, http: Any) -> None:
        """Refresh an expired access token through this account's own HTTP before a batch: the
        client library would refresh it over a plain connection of its own, where a token
        endpoint outage is retried with google-auth's sleeps and reads like a refusal."""
        credentials = self.settings.credentials
        if getattr(credentials, "valid", True):
            return
        credentials.refresh(google_auth_httplib2.Request(http.http))

    def new_batch(self) -> BatchHttpRequest:
        # new_batch_http_request() would post to Google whatever the endpoint.
        return BatchHttpRequest(batch_uri=self.root + "batch/calendar/v3")

    def execute(self, what: str, make: Callable[[Any], Any]) -> Any:
        """Build a request from the thread's service and run it under our errors and
        retries; `what` names the calendar in messages."""

        def once() -> Any:
            with self.connection(what) as http:
                request = make(self.service())
                return sent(what, lambda: request.execute(http=http, num_retries=0))

        return self.settings.retry.run(once, "google")

    def list_page(self, what: str, params: dict[str, Any]) -> Any:
        return self.execute(what, lambda s: s.events().list(**params))

    def create_calendar(
        self, name: str, timezone: str, mark: str | None = None, *, look: bool = False
    ) -> str:
        """A new calendar carrying `mark` in its description (see `find_calendar`). Each try
        after a failed insert (`look`: the first too, when an earlier attempt of the same mark
        was cut off) first looks for the calendar that insert may have made: a reply lost on
        the way back means Google made it, and another insert would make a second one."""
        what = f"calendar '{name}'"
        mark = mark or secrets.token_hex(8)
        body = {"summary": name, "timeZone": timezone, "description": f"{DESCRIPTION}{mark}"}
        tried = look

        def once() -> str:
            nonlocal tried
            if tried:
                found = self.find_calendar(mark)
                if found is not None:
                    log.info("%s: found the one an interrupted attempt made", what)
                    return found
            tried = True
            with self.connection(what) as http:
                request = self.service().calendars().insert(body=body)
                self.authorize(http)  # a token refresh is a send of its own
                # On new connections: a reused one closed while idle is no lost reply.
                for idle in http.http.connections.values():
                    idle.close()
                with _sent_once():
                    created = sent(what, lambda: request.execute(http=http, num_retries=0))
            return str(created["id"])

        return self.settings.retry.run(once, "google")

    def find_calendar(self, mark: str) -> str | None:
        """The calendar whose description carries `mark`, by calendarList.list. Google lets
        only a wider scope than calendar.app.created list calendars (the API's discovery
        document says so): refused for scope (403), None, and said once."""
        page: str | None = None
        while True:
            params = {"pageToken": page} if page else {}
            try:
                reply = self.execute("the calendar list", functools.partial(_listed, params))
            except CalendarError as exc:
                if isinstance(exc, RateLimited) or "HTTP 403" not in str(exc):
                    raise
                log.warning(
                    "an interrupted attempt may have left an empty calendar whose description "
                    "ends '%s'; this authorization cannot list calendars to find it (%s): "
                    "delete it in Google Calendar",
                    mark,
                    exc,
                )
                return None
            for item in reply.get("items", []):
                if str(item.get("description", "")).endswith(mark):
                    return str(item["id"])
            page = reply.get("nextPageToken")
            if not page:
                return None

    def delete_calendar(self, calendar_id: str) -> None:
        self.execute(
            f"calendar '{calendar_id}'", lambda s: s.calendars().delete(calendarId=calendar_id)
        )


def _listed(params: dict[str, Any], service: _Service) -> Any:
    return service.calendar_list().list(**params)


@functools.cache
def _discovery() -> dict[str, Any]:
    """The Calendar v3 discovery document bundled with the client, parsed once per process
    (json.loads of it is ~2 ms per client otherwise)."""
    document = discovery_cache.get_static_doc("calendar", "v3")
    assert document is not None, "google-api-python-client ships the calendar v3 document"
    parsed: dict[str, Any] = json.loads(document)
    return parsed


_threads = threading.local()


def _service(root: str) -> _Service:
    """This thread's client for the API at `root`, shared by every account: requests are only
    built with it and are sent over the account's own connection."""
    built: dict[str, _Service] = _threads.__dict__.setdefault("services", {})
    if root not in built:
        client = build_from_document(
            _discovery(),
            # Never used to send (every execute names its connection); a request sent
            # without one would go out unauthorized and fail, not as someone else.
            http=httplib2.Http(timeout=1),
            client_options={"api_endpoint": root + "calendar/v3/"},
        )
        built[root] = _Service(client)
    return built[root]


class _Service:
    """A client with its resource collections built once: building `service.events()` costs
    ~4 ms of CPU, more than a quiet pass's own work."""

    def __init__(self, service: Any) -> None:
        self._events = service.events()
        self._calendars = service.calendars()
        self._channels = service.channels()
        self._calendar_list = service.calendarList()

    def events(self) -> Any:
        return self._events

    def channels(self) -> Any:
        return self._channels

    def calendars(self) -> Any:
        return self._calendars

    def calendar_list(self) -> Any:
        return self._calendar_list


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
