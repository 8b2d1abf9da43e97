"""The endpoint's HTTP server: waitress, with every bound a daemon on an open port needs.

waitress reads requests on one event loop and hands only complete ones to a fixed pool of
threads, so slow or idle clients cost a socket, never a thread; it refuses a malformed or
negative Content-Length, and a body or header block past its limit, with 400/413/431 before
racecal sees the request. What it does not bound is how long a client may take to send one
request while it keeps trickling bytes (each byte counts as activity): `_Server` closes such
a connection once its request has been arriving for `request_seconds`.

Routing and answers stay in service.daemon.web: this module turns a WSGI call into a
`Request` and an `Answer` back (gzipped when the client takes it: the plan page of a season is
half a megabyte of text, much of it the same explanations, and is read on phones), and owns
the server's start and stop.
"""

from __future__ import annotations

import gzip
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger("racecal")


@dataclass(frozen=True)
class HttpLimits:
    # Requests answered at once; the page plans, so a few are plenty.
    threads: int = 4
    # Open connections; past it new ones wait in the listen backlog until one closes.
    connections: int = 100
    # A request (request line, headers and body) must have arrived within this.
    request_seconds: float = 10.0
    # A kept-alive connection with no request under way is closed after this.
    idle_seconds: int = 30
    # Google's push notifications carry no body and the page's form a few hundred bytes.
    body_bytes: int = 64 * 1024
    header_bytes: int = 16 * 1024


DEFAULT_LIMITS = HttpLimits()


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # the path and query as sent, not yet unquoted
    headers: Mapping[str, str]
    body: bytes


Answer = tuple[int, Mapping[str, str], bytes]


class _Channel(HTTPChannel):  # type: ignore[misc]
    """A connection that notes when the request it is reading began."""

    began: float | None = None

    def received(self, data: bytes) -> bool:
        if self.request is None and data:
            self.began = time.monotonic()
        done: bool = super().received(data)
        if self.request is None:
            self.began = None
        return done


class _Server(TcpWSGIServer):  # type: ignore[misc]
    channel_class = _Channel
    request_seconds = HttpLimits.request_seconds

    def maintenance(self, now: float) -> None:
        super().maintenance(now)
        cutoff = time.monotonic() - self.request_seconds
        for channel in list(self.active_channels.values()):
            if channel.began is not None and channel.began < cutoff:
                log.debug("http: closed a connection whose request took too long")
                channel.will_close = True


def _wsgi(handle: Callable[[Request], Answer]) -> Callable[..., Iterable[bytes]]:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        headers = {
            key[5:].replace("_", "-").title(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers[key.replace("_", "-").title()] = str(environ[key])
        method = str(environ["REQUEST_METHOD"])
        body = environ["wsgi.input"].read() if method == "POST" else b""
        request = Request(method, str(environ.get("REQUEST_URI") or "/"), headers, body)
        status, answer_headers, payload = handle(request)
        answer_headers, payload = _encoded(
            headers.get("Accept-Encoding", ""), answer_headers, payload
        )
        log.debug("http: %s %s %d", method, request.target.split("?")[0], status)
        reason = HTTPStatus(status).phrase
        sent = [*answer_headers.items(), ("Content-Length", str(len(payload)))]
        start_response(f"{status} {reason}", sent)
        return [b"" if method == "HEAD" else payload]

    return app


# Text racecal makes itself; a feed with an ETag stays as it is (its validator names the bytes).
COMPRESSIBLE = ("text/html", "application/json", "text/plain")
SMALLEST = 1024  # below this gzip's header and CPU are not worth it


def _encoded(
    accepted: str, headers: Mapping[str, str], payload: bytes
) -> tuple[Mapping[str, str], bytes]:
    kind = headers.get("Content-Type", "").split(";", 1)[0].strip()
    if kind not in COMPRESSIBLE or "ETag" in headers or "Content-Encoding" in headers:
        return headers, payload
    varied = {**headers, "Vary": "Accept-Encoding"}
    if len(payload) < SMALLEST or not _takes_gzip(accepted):
        return varied, payload
    # mtime=0: the same answer is the same bytes.
    return {**varied, "Content-Encoding": "gzip"}, gzip.compress(payload, 6, mtime=0)


def _takes_gzip(accepted: str) -> bool:
    """Whether an Accept-Encoding header admits gzip (RFC 9110 12.5.3: "gzip;q=0" refuses it,
    "*" admits it unless gzip is refused by name)."""
    weights: dict[str, float] = {}
    for item in accepted.lower().split(","):
        name, _, params = item.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if name:
            weights[name.strip()] = weight
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0


class HttpServer:
    """Bound at construction (a taken port fails the daemon's start, not a thread later);
    served from a thread of its own by start(); stop() closes every connection."""

    def __init__(
        self,
        address: tuple[str, int],
        handle: Callable[[Request], Answer],
        limits: HttpLimits = DEFAULT_LIMITS,
    ) -> None:
        host, port = address
        self.limits = limits
        # The first address the name stands for, as the standard library's server binds
        # ("localhost" is one socket, not one per address family).
        where = socket.getaddrinfo(host.strip("[]"), port, 0, socket.SOCK_STREAM)[0][4]
        adjustments = Adjustments(
            host=str(where[0]),
            port=port,
            threads=limits.threads,
            connection_limit=limits.connections,
            channel_timeout=limits.idle_seconds,
            # How often idle and slow connections are looked for.
            cleanup_interval=1,
            max_request_body_size=limits.body_bytes,
            max_request_header_size=limits.header_bytes,
            ident="racecal",
            # The daemon sits behind no proxy of its own: X-Forwarded-* are not trusted.
            clear_untrusted_proxy_headers=True,
        )
        dispatcher = ThreadedTaskDispatcher()
        dispatcher.set_thread_count(limits.threads)
        server = _Server(
            _wsgi(handle),
            map={},
            dispatcher=dispatcher,
            adj=adjustments,
            sockinfo=adjustments.listen[0],
        )
        server.request_seconds = limits.request_seconds
        self._server = server
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        return str(self._server.effective_host), int(self._server.effective_port)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.run, name="racecal-http")
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        """Close the listening socket and every connection from the server's own loop (its
        sockets are not to be touched from another thread), wait for the loop and the request
        threads to end, and only then close the pipe that wakes the loop: a request thread
        finishing meanwhile still writes to it, and the loop may run our closing before our
        own wake-up byte is written (another thread's woke it), so the pipe must stay open
        until nothing can write to it."""
        server = self._server
        trigger = server.trigger

        def close_all() -> None:
            for dispatcher in list(server._map.values()):
                if dispatcher is trigger:
                    continue
                if dispatcher is server:
                    # Not the server's own close(), which closes the pipe too.
                    wasyncore.dispatcher.close(server)
                else:
                    dispatcher.close()
            trigger.del_channel()  # the loop ends with an empty map

        if self._thread is not None and self._thread.is_alive():
            trigger.pull_trigger(close_all)
            self._thread.join(timeout=5)
        else:
            close_all()
        server.task_dispatcher.shutdown(timeout=5)
        trigger.close()
