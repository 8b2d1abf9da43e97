"""A local server speaking the Google Calendar API v3 wire protocol well enough for the real
google-api-python-client: calendars, events (sync tokens, paging, recurrence expansion,
If-Match), freeBusy, push channels, the batch endpoint and a token endpoint. Data belongs to the
user named by the bearer token (`Bearer user:<name>`; no token or any other is the user `me`).
Faults are injected with a seed; every HTTP request is logged.

    with FakeGoogleCalendar() as fake:
        service = build("calendar", "v3", static_discovery=True,
                        credentials=AnonymousCredentials(),
                        client_options={"api_endpoint": fake.api_endpoint})
        batch = BatchHttpRequest(batch_uri=fake.batch_uri)

The API's behaviour lives in `google_api`, the batch format in `google_batch`, times and
recurrence expansion in `google_time`.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes import google_batch
from tests.fakes.google_api import JSON, ApiError, CalendarApi, Query, Reply

# Kinds for faults() and fail_next(). "lost" applies the call, then drops the connection.
# "410" hits only a list with a syncToken, "412" only a write with If-Match. "trickle" sends the
# reply one byte every TRICKLE_GAP seconds, headers included, until the client hangs up.
FAULT_KINDS = (
    "429", "503", "500", "drop", "lost", "403rate", "403userrate", "403scope", "410", "412",
    "trickle",
)  # fmt: skip
TRICKLE_GAP = 0.2
STATUS_FAULTS = {
    "429": (429, "rateLimitExceeded", "Rate Limit Exceeded"),
    "503": (503, "backendError", "The service is currently unavailable."),
    "500": (500, "backendError", "Backend Error"),
    "403rate": (403, "rateLimitExceeded", "Rate Limit Exceeded"),
    "403userrate": (403, "userRateLimitExceeded", "User Rate Limit Exceeded"),
    # What Google answers a token without the scope a method needs (calendarList.list for
    # racecal's calendar.app.created, says the API's discovery document).
    "403scope": (403, "insufficientPermissions", "Request had insufficient authentication scopes."),
}
MAX_BATCH = 50


class LogEntry(NamedTuple):
    method: str
    path: str  # percent-decoded, without the query
    query: Query
    status: int  # 0: the client got no reply (drop, lost)
    at: float = 0.0  # when it came (time.time()), to count requests per minute


JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
OAUTH_SCOPES = (
    "https://www.googleapis.com/auth/calendar.events.readonly",
    "https://www.googleapis.com/auth/calendar.app.created",
)


def _jwt_claims(assertion: str) -> dict[str, object]:
    try:
        payload = assertion.split(".")[1]
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(decoded)
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


class FakeGoogleCalendar(CalendarApi):
    def __init__(
        self,
        *,
        require_token: str | None = None,
        retry_after: int = 0,
        latency_ms: float = 0,
        max_page_size: int = 2500,
    ) -> None:
        super().__init__(max_page_size)
        self.require_token = require_token
        self.retry_after = retry_after  # the Retry-After header of 429 and 503 replies
        self.latency_ms = latency_ms  # added to every HTTP request
        self.revoked = False
        self.log: list[LogEntry] = []  # one per HTTP request; a batch is one
        self.batch_log: list[LogEntry] = []  # the calls inside batches
        self.counts: Counter[str] = Counter()  # HTTP requests by method
        self.tokens_issued = 0
        # The form of every authorization-code exchange (the web flow's PKCE verifier).
        self.code_exchanges: list[dict[str, str]] = []
        # (service account, delegated user, scopes) of every service-account token issued
        self.delegated: list[tuple[str, str, str]] = []
        self._rate = 0.0
        self._kinds: tuple[str, ...] = ()
        self._random = random.Random(1)
        self._next: list[str] = []
        self._next_in_batch: list[str] = []
        self._token_faults: list[int] = []
        # A test's own fault plan, asked first for every HTTP request and every call inside a
        # batch: (method, path, in_batch) -> a fault kind, or None to go on as drawn.
        self.script: Callable[[str, str, bool], str | None] | None = None
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self.stopping = threading.Event()  # ends the trickles

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_endpoint(self) -> str:
        return f"{self.url}/calendar/v3/"

    @property
    def batch_uri(self) -> str:
        return f"{self.url}/batch/calendar/v3"

    def start(self) -> FakeGoogleCalendar:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._threads = [
            threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True),
            threading.Thread(target=self._deliver, daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._outbox.put(None)
            for thread in self._threads:
                thread.join(5)

    def __enter__(self) -> FakeGoogleCalendar:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- test controls ---------------------------------------------------------------------------

    def faults(
        self, rate: float = 0.3, kinds: Iterable[str] = ("429", "503", "500", "drop", "403rate"),
        seed: int = 1,
    ) -> None:  # fmt: skip
        """Fail this share of HTTP requests and of calls inside batches (those with status
        kinds only), drawn from `kinds` with a seeded generator. rate=0 turns faults off."""
        kinds = tuple(kinds)
        assert set(kinds) <= set(FAULT_KINDS), kinds
        with self._lock:
            self._rate, self._kinds, self._random = rate, kinds, random.Random(seed)

    def fail_next(self, n: int, kind: str, *, in_batch: bool = False) -> None:
        """The next n HTTP requests (a batch is one) fail this way; with in_batch, the next n
        calls inside batches. "410" and "412" wait for the next sync list / conditional write."""
        assert kind in FAULT_KINDS, kind
        with self._lock:
            if kind in self._pending:
                self._pending[kind] += n
            else:
                (self._next_in_batch if in_batch else self._next).extend([kind] * n)

    def fail_token(self, n: int, status: int = 503) -> None:
        """The next n requests to the token endpoint answer `status` (an outage of the sign-in
        service, which is not a refused grant)."""
        with self._lock:
            self._token_faults.extend([status] * n)

    def revoke(self, revoked: bool = True) -> None:
        """Every API call answers 401 and the token endpoint `invalid_grant` until revoke(False)."""
        self.revoked = revoked

    def reset_log(self) -> None:
        with self._lock:
            self.log, self.batch_log = [], []
            self.counts, self.call_counts = Counter(), Counter()

    # -- HTTP --------------------------------------------------------------------------------------

    def _draw(self, in_batch: bool, method: str = "", path: str = "") -> str | None:
        with self._lock:
            if self.script is not None:
                scripted = self.script(method, path, in_batch)
                if scripted is not None:
                    self.injected[scripted] += 1
                    return scripted
            waiting = self._next_in_batch if in_batch else self._next
            kind = None
            if waiting:
                kind = waiting.pop(0)
            elif self._rate and self._random.random() < self._rate:
                kinds = [k for k in self._kinds if not (in_batch and k in ("drop", "lost"))]
                kind = self._random.choice(kinds) if kinds else None
            if kind is not None and kind not in self._pending:  # 410, 412: counted when hit
                self.injected[kind] += 1
            return kind

    def call(
        self, method: str, path: str, query: Query, headers: Mapping[str, str], body: bytes,
        fault: str | None = None,
    ) -> Reply:  # fmt: skip
        """One API call (path under /calendar/v3); headers with lower-case names."""
        with self._lock:
            self.call_counts[method] += 1
        try:
            if fault in STATUS_FAULTS:
                raise ApiError(*STATUS_FAULTS[fault])
            token = headers.get("authorization", "").removeprefix("Bearer ").strip()
            if self.revoked or (self.require_token and token != self.require_token):
                raise ApiError(401, "authError", "Invalid Credentials")
            user = token[5:] if token.startswith("user:") else "me"
            data = json.loads(body) if body.strip() else {}
            if not isinstance(data, dict):
                raise ApiError(400, "parseError", "Parse Error")
            if "sendUpdates" in query:
                self.send_updates.append((method, query["sendUpdates"][-1]))
            with self._lock:
                return self._route(method, path, query, headers, data, user, fault)
        except ApiError as error:
            return self._error(error.code, error.reason, error.message)
        except (ValueError, KeyError, TypeError) as error:
            return self._error(400, "invalid", f"Invalid value: {error}")

    def _error(self, code: int, reason: str, message: str) -> Reply:
        """An error in Google's JSON shape."""
        extra = {}
        if code in (429, 503):
            extra["Retry-After"] = str(self.retry_after)
        if code == 401:
            extra["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/"'
        detail = {"domain": "global", "reason": reason, "message": message}
        return Reply(code, {"error": {"code": code, "message": message, "errors": [detail]}}, extra)

    def _token(self, body: bytes) -> tuple[int, JSON]:
        with self._lock:
            down = self._token_faults.pop(0) if self._token_faults else None
        if down is not None:
            return down, {"error": "internal_failure", "error_description": "Backend Error"}
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        grant = form.get("grant_type")
        if grant == JWT_BEARER:
            # A service account acting for a Workspace user (domain-wide delegation): the
            # signed assertion names the user in `sub`. The signature is not checked here.
            claims = _jwt_claims(form.get("assertion", ""))
            if self.revoked or not claims.get("sub"):
                return 400, {"error": "invalid_grant", "error_description": "Not authorized."}
            self.tokens_issued += 1
            self.delegated.append(
                (str(claims.get("iss")), str(claims["sub"]), str(claims.get("scope")))
            )
            user = str(claims["sub"]).split("@")[0]
            return 200, {"access_token": f"user:{user}", "expires_in": 3600, "token_type": "Bearer"}
        if grant == "authorization_code":
            # The installed-app flow's exchange: the code names the user it was issued for.
            self.code_exchanges.append(form)
            code = form.get("code", "")
            if not code.startswith("user:") or not form.get("redirect_uri"):
                return 400, {"error": "invalid_grant", "error_description": "Bad code."}
            self.tokens_issued += 1
            return 200, {
                "access_token": code,
                "refresh_token": code,
                "expires_in": 3600,
                "token_type": "Bearer",
                "scope": form.get("scope", " ".join(OAUTH_SCOPES)),
            }
        if grant != "refresh_token":
            return 400, {"error": "unsupported_grant_type"}
        if self.revoked:
            return 400, {"error": "invalid_grant", "error_description": "Token has been revoked."}
        refresh = form.get("refresh_token", "")
        self.tokens_issued += 1
        issued = self.require_token or (refresh if refresh.startswith("user:") else "fake-access")
        return 200, {"access_token": issued, "expires_in": 3600, "token_type": "Bearer"}

    def _batch(self, headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            parts = google_batch.parse(headers.get("content-type", ""), body)
        except ValueError as error:
            return _encode(self._error(400, "invalid", str(error)))
        if not parts or len(parts) > MAX_BATCH:
            return _encode(self._error(400, "invalid", f"A batch holds 1 to {MAX_BATCH} calls."))
        replies = []
        for part in parts:
            target = urlsplit(part.target)
            query = parse_qs(target.query, keep_blank_values=True)
            inherited = {"authorization": headers.get("authorization", "")} | part.headers
            fault = self._draw(True, part.method, unquote(target.path))
            reply = self.call(part.method, target.path, query, inherited, part.body, fault)
            with self._lock:
                self.batch_log.append(
                    LogEntry(part.method, unquote(target.path), query, reply.status, time.time())
                )
            replies.append(google_batch.Reply(part.content_id, *_encode(reply)))
        content_type, out = google_batch.render(replies)
        return 200, {"Content-Type": content_type}, out


def _encode(reply: Reply) -> tuple[int, dict[str, str], bytes]:
    if reply.body is None:
        return reply.status, dict(reply.headers), b""
    headers = {"Content-Type": "application/json; charset=UTF-8"} | reply.headers
    return reply.status, headers, json.dumps(reply.body).encode()


def _handler(fake: FakeGoogleCalendar) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = 1 << 16  # headers and body in one send: no Nagle and delayed-ACK stalls
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:
            pass

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            target = urlsplit(self.path)
            path, query = unquote(target.path), parse_qs(target.query, keep_blank_values=True)
            headers = {name.lower(): value for name, value in self.headers.items()}
            if fake.latency_ms:
                time.sleep(fake.latency_ms / 1000)
            fault = None if target.path == "/token" else fake._draw(False, self.command, path)
            if fault == "drop":
                self._log(path, query, 0)
                self.close_connection = True
                return
            if target.path == "/token":
                status, extra, out = _encode(Reply(*fake._token(body), {}))
            elif target.path.rstrip("/") in ("/batch", "/batch/calendar/v3"):
                if fault in STATUS_FAULTS:
                    status, extra, out = _encode(fake._error(*STATUS_FAULTS[fault]))
                else:
                    status, extra, out = fake._batch(headers, body)
            else:
                reply = fake.call(self.command, target.path, query, headers, body, fault)
                status, extra, out = _encode(reply)
            if fault == "lost":
                self._log(path, query, 0)
                self.close_connection = True
                return
            self._log(path, query, status)
            if fault == "trickle":
                self._trickle(status, extra, out)
                return
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def _trickle(self, status: int, extra: dict[str, str], out: bytes) -> None:
            head = f"HTTP/1.1 {status} OK\r\nContent-Length: {len(out)}\r\n"
            head += "".join(f"{name}: {value}\r\n" for name, value in extra.items())
            self.close_connection = True
            try:
                for byte in (head + "\r\n").encode() + out:
                    if fake.stopping.wait(TRICKLE_GAP):
                        return
                    self.connection.sendall(bytes([byte]))
            except OSError:  # the client hung up: what a deadline does
                return

        def _log(self, path: str, query: Query, status: int) -> None:
            with fake._lock:
                fake.log.append(LogEntry(self.command, path, query, status, time.time()))
                fake.counts[self.command] += 1

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    return Handler
