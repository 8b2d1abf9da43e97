"""The service's HTTP endpoint (off unless `[service] http` is set): /healthz, /readyz, /metrics,
the plan page, the training calendar's feed and its sessions' workout files.

It is served by waitress (service.daemon.serve) with bounded threads, connections, request
time and sizes, in a daemon thread next to the scheduler: a slow or hostile client costs a
socket for a few seconds, never a thread, and a bad request is a 400, never a traceback. A
page request reads the athlete's race and busy sources and the store and plans, as `racecal
plan show` does (the last good plan when a source is broken). The one write is the
page's "hand back to racecal" button, `racecal release` for one session: a form that carries
a token only the page knows (another site's page cannot post it) and asks for a pass.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from datetime import time as clock_time
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from urllib.parse import parse_qs, quote, unquote, urlsplit

from prometheus_client import CONTENT_TYPE_LATEST

from scheduler.model import PlanError
from scheduler.plan import zone
from service.calendars import AthleteCalendars, training_elsewhere, training_target
from service.config.load import AthleteConfig, Config
from service.daemon.connect import Gate
from service.daemon.health import ServiceState
from service.daemon.metrics import Metrics
from service.daemon.push import Push
from service.daemon.serve import DEFAULT_LIMITS, Answer, HttpLimits, HttpServer, Request
from service.daemon.workout_route import is_workout_path, workout_file
from service.store import feeds, state
from service.views.held import NoPlan, held_plan
from service.views.page import EVERYONE, Viewer, error_page, index_page, no_plan_page, plan_page

log = logging.getLogger("racecal")
# No script runs on the page and nothing is loaded from elsewhere; say so to the browser.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

Clock = Callable[[str], datetime]  # timezone name -> now in that zone
# Where [google] webhook_url must lead (through a reverse proxy with TLS).
NOTIFY_PATH = "/google/notify"


def _now(tz_name: str) -> datetime:
    return datetime.now(zone(tz_name))


class WebServer:
    def __init__(
        self,
        address: tuple[str, int],
        config: Config,
        state: ServiceState,
        metrics: Metrics,
        clock: Clock = _now,
        push: Push | None = None,
        calendars: Callable[[str], tuple[threading.Lock, AthleteCalendars]] | None = None,
        released: Callable[[str], None] | None = None,
        limits: HttpLimits = DEFAULT_LIMITS,
    ) -> None:
        self.push = push
        # Called with the athlete's id after the page handed a session back (a pass soon).
        self.released = released
        # What the page's release forms carry: a page of another site cannot read it, so it
        # cannot make the athlete's browser post a release (a new one at every start).
        self.form_token = secrets.token_urlsafe(24)
        # The daemon's open calendars (and the lock its passes hold): a page view of a CalDAV
        # or Google athlete then costs one change query per calendar, not a login and a listing.
        self.calendars = calendars
        self.config = config
        self.state = state
        self.metrics = metrics
        self.clock = clock
        # /connect/google and the admin login in front of every route (service.daemon.connect).
        self.gate = Gate(config, state.store, released, clock=lambda: clock("UTC"))
        # Bound now, so a taken port fails the start instead of a thread later.
        self.server = HttpServer(address, self.answer, limits)

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def answer(self, request: Request) -> Answer:
        """Every request's answer, with the security headers; a defect in one route is a
        500 that points at the log (which has the traceback), never a dead endpoint."""
        try:
            status, headers, body = self._route(request)
        except Exception:
            log.exception("http: %s %s failed", request.method, request.target.split("?")[0])
            status, content_type, body = _failed()
            headers = {"Content-Type": content_type, "Cache-Control": "no-store"}
        return status, {**headers, **SECURITY_HEADERS}, body

    def _route(self, request: Request) -> Answer:
        gated = self.gate.answer(request)
        if gated is not None:
            return gated
        if request.method == "POST":
            # Google's push notifications and the page's release forms.
            route = urlsplit(request.target).path
            if route.startswith("/athletes/"):
                status, headers, body = self.release(request.target, request.body)
                return status, {**headers, "Cache-Control": "no-store"}, body
            if route != NOTIFY_PATH or self.push is None:
                return HTTPStatus.NOT_FOUND, {}, b""
            return HTTPStatus(self.push.notify(request.headers)), {}, b""
        if request.method not in ("GET", "HEAD"):
            return HTTPStatus.METHOD_NOT_ALLOWED, {"Allow": "GET, HEAD, POST"}, b""
        if is_workout_path(request.target):
            return workout_file(
                request.target, self.config, self.state.store, self.clock, self.calendars
            )
        if request.target.startswith("/feeds/"):
            return self.feed(request.target, request.headers)
        status, content_type, body = self.respond(request.target, self.gate.viewer(request))
        return status, {"Content-Type": content_type, "Cache-Control": "no-store"}, body

    def respond(self, path: str, viewer: Viewer = EVERYONE) -> tuple[int, str, bytes]:
        """(status, content type, body) for a GET of `path` by `viewer`; never raises."""
        parts = urlsplit(path)
        route, query = parts.path.rstrip("/") or "/", parse_qs(parts.query)
        if route == "/healthz":
            return _json(*self.state.health())
        if route == "/readyz":
            return _json(*self.state.readiness())
        if route == "/metrics":
            return HTTPStatus.OK, CONTENT_TYPE_LATEST, self.metrics.render()
        athlete = query.get("athlete", [None])[0] if route == "/" else None
        if route.startswith("/athletes/"):
            athlete = unquote(route.removeprefix("/athletes/"))
        elif route != "/":
            return _html(HTTPStatus.NOT_FOUND, error_page(404, "No such page."))
        if athlete is None:
            return _html(HTTPStatus.OK, index_page(viewer.sees(self._ids())))
        entry = next((a for a in self.config.athletes if a.athlete.id == athlete), None)
        if entry is None:
            return _html(HTTPStatus.NOT_FOUND, error_page(404, "No such athlete."))
        return self._plan_page(entry, query, viewer)

    def _ids(self) -> list[str]:
        return [a.athlete.id for a in self.config.athletes]

    def _plan_page(
        self, entry: AthleteConfig, query: dict[str, list[str]], viewer: Viewer
    ) -> tuple[int, str, bytes]:
        started = time.perf_counter()
        try:
            today, now = self._when(entry, query.get("today", [""])[0])
            weeks = _weeks(query.get("weeks", [""])[0])
        except ValueError as exc:
            return _html(HTTPStatus.BAD_REQUEST, error_page(400, str(exc)))
        midnight = datetime.combine(today, clock_time(0), tzinfo=zone(entry.athlete.timezone))
        moment = now or midnight
        try:
            if self.calendars is None:
                held = held_plan(entry, self.state.store, moment, weeks)
            else:
                lock, calendars = self.calendars(entry.athlete.id)
                with lock:
                    held = held_plan(entry, self.state.store, moment, weeks, calendars)
        except NoPlan as exc:
            # No plan was ever made and a source cannot be read: the page says what is wrong
            # (the service is up; a person reads it). The messages are built to be shown:
            # file and line, a URL's host only, a calendar's name; never a password.
            page = no_plan_page(entry.athlete.id, str(exc), self._ids(), viewer)
            return _html(HTTPStatus.OK, page)
        except PlanError as exc:
            return _html(HTTPStatus.SERVICE_UNAVAILABLE, error_page(503, str(exc)))
        # A pass writes plan_weeks; beyond them the page looks ahead to the A race.
        written = entry.plan_weeks if weeks is None else None
        body = plan_page(
            held.plan, held.problems, self._ids(), held, self.form_token, written, viewer
        )
        log.debug(
            "page for %s in %.0f ms", entry.athlete.id, (time.perf_counter() - started) * 1000
        )
        return _html(HTTPStatus.OK, body)

    def feed(self, path: str, asked: Mapping[str, str]) -> tuple[int, dict[str, str], bytes]:
        """GET /feeds/<athlete>/<token>.ics: the athlete's training calendar for calendar apps
        to subscribe to, with ETag and Last-Modified (an unchanged feed is a 304). A wrong
        token, an athlete that is not there and anything else under /feeds are the same 404;
        nothing else of the state folder is ever served."""
        missing = (HTTPStatus.NOT_FOUND, {"Content-Type": "text/plain"}, b"not found\n")
        parts = urlsplit(path).path.split("/")
        if len(parts) != 4 or parts[:2] != ["", "feeds"] or not parts[3].endswith(".ics"):
            return missing
        athlete, given = unquote(parts[2]), unquote(parts[3]).removesuffix(".ics")
        entry = next((a for a in self.config.athletes if a.athlete.id == athlete), None)
        if entry is None or not feeds.matches(self.state.store, athlete, given):
            return missing
        if training_elsewhere(entry):
            body = f"{athlete}'s sessions are in {training_target(entry)}: subscribe there\n"
            return HTTPStatus.NOT_FOUND, {"Content-Type": "text/plain"}, body.encode()
        try:
            data = entry.output_ics.read_bytes()
            stamp = entry.output_ics.stat().st_mtime
        except OSError:
            return HTTPStatus.SERVICE_UNAVAILABLE, {"Retry-After": "60"}, b"no sessions yet\n"
        data = _with_refresh(data)
        etag = f'"{hashlib.sha256(data).hexdigest()[:32]}"'
        headers = {
            "ETag": etag,
            "Last-Modified": formatdate(stamp, usegmt=True),
            # Polled every 15 minutes by apps that follow it (Google decides for itself).
            "Cache-Control": f"max-age={REFRESH_SECONDS}",
        }
        unchanged = (
            asked.get("If-None-Match") == etag
            if "If-None-Match" in asked
            else _not_since(asked.get("If-Modified-Since"), stamp)
        )
        if unchanged:
            return HTTPStatus.NOT_MODIFIED, headers, b""
        headers["Content-Type"] = "text/calendar; charset=utf-8"
        headers["Content-Disposition"] = f'inline; filename="{athlete}-training.ics"'
        return HTTPStatus.OK, headers, data

    def release(self, path: str, form: bytes) -> tuple[int, dict[str, str], bytes]:
        """A POST of the page's release form to /athletes/<id>/release: (status, headers,
        body); a 303 back to the athlete's page when the session was handed back."""
        route = urlsplit(path).path.rstrip("/")
        athlete = unquote(route.removeprefix("/athletes/").removesuffix("/release"))
        entry = next((a for a in self.config.athletes if a.athlete.id == athlete), None)
        if not route.endswith("/release") or entry is None:
            return _page(HTTPStatus.NOT_FOUND, error_page(404, "No such page."))
        fields = parse_qs(form.decode("utf-8", "replace"))
        token = fields.get("token", [""])[0]
        if not secrets.compare_digest(token, self.form_token):
            return _page(
                HTTPStatus.FORBIDDEN,
                error_page(403, "This form is out of date: reload the page and try again."),
            )
        key = fields.get("key", [""])[0]
        now = self.clock(entry.athlete.timezone)
        if state.release(self.state.store, athlete, key, now) is None:
            return _page(HTTPStatus.NOT_FOUND, error_page(404, "Not one of your sessions."))
        log.info("%s: %s handed back to racecal from the page", athlete, key)
        if self.released is not None:
            self.released(athlete)
        # Back to the page, with a GET: reloading it does not post the form again.
        return HTTPStatus.SEE_OTHER, {"Location": f"/athletes/{quote(athlete)}"}, b""

    def _when(self, entry: AthleteConfig, given: str) -> tuple[date, datetime | None]:
        now = self.clock(entry.athlete.timezone)
        if not given:
            return now.date(), now
        try:
            day = date.fromisoformat(given)
        except ValueError:
            raise ValueError(f"today: expected YYYY-MM-DD, got {given[:40]!r}") from None
        # A plan for any day a person would look at; year 9999 would only overflow the dates.
        if abs(day.year - now.year) > TODAY_YEARS:
            raise ValueError(f"today: {given} is more than {TODAY_YEARS} years from now")
        return day, None


REFRESH_SECONDS = 900
# How far from now a page may be asked for (?today=).
TODAY_YEARS = 10
# What subscribing apps read inside the calendar (RFC 7986, and Outlook's older property).
_REFRESH = b"REFRESH-INTERVAL;VALUE=DURATION:PT15M\r\nX-PUBLISHED-TTL:PT15M\r\n"


def _with_refresh(data: bytes) -> bytes:
    head = b"BEGIN:VCALENDAR\r\n"
    if b"REFRESH-INTERVAL" in data or not data.startswith(head):
        return data
    return head + _REFRESH + data[len(head) :]


def _not_since(given: str | None, stamp: float) -> bool:
    """If-Modified-Since at or after the file's time (to the second, as HTTP dates go)."""
    if not given:
        return False
    try:
        since = parsedate_to_datetime(given)
    except (TypeError, ValueError):
        return False
    return since.tzinfo is not None and int(stamp) <= since.timestamp()


def _weeks(given: str) -> int | None:
    if not given:
        return None
    if not given.isdigit() or not 1 <= int(given) <= 104:
        raise ValueError(f"weeks: expected a number from 1 to 104, got {given[:40]!r}")
    return int(given)


def _json(ok: bool, body: dict[str, object]) -> tuple[int, str, bytes]:
    status = HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE
    return status, "application/json", json.dumps(body, sort_keys=True).encode() + b"\n"


def _html(status: int, text: str) -> tuple[int, str, bytes]:
    return status, "text/html; charset=utf-8", text.encode()


def _page(status: int, text: str) -> tuple[int, dict[str, str], bytes]:
    status, content_type, body = _html(status, text)
    return status, {"Content-Type": content_type}, body


def _failed() -> tuple[int, str, bytes]:
    """What a request that hit a defect gets; the log has the traceback."""
    return HTTPStatus.INTERNAL_SERVER_ERROR, "text/plain", b"internal error; see the service log\n"
