"""A whole-request deadline. Socket timeouts bound each read, not the request: a server that
sends one byte every few seconds never trips a 20 s timeout and can hold a request for ever
(seen: a feed at 1 byte per 5 s kept `sync --once` past 300 s and the daemon from stopping).
A timer shuts the request's sockets down when its time is up, which ends the read that is
blocked on them; the caller then reports the deadline (`TooSlow`) instead of the socket error.

Feeds (urllib) take the deadline's `opener()`. Client libraries that keep their own
connections (httplib2 for Google, niquests under caldav) are given connection classes that
call `watch_active()` whenever a connection is opened or sent on: a deadline entered on that
thread then watches whatever socket the library picked, new or from its pool.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import urllib.request
from typing import Any

from connectors.base import TooSlow

# The most one request to a calendar server may take in all (CalDAV, Google; a feed's fetch
# likewise), however slowly the server trickles its answer.
REQUEST_SECONDS = 60.0

_here = threading.local()


class Deadline:
    """Shuts down every socket registered with it once `seconds` have passed from start()."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        _here.__dict__.setdefault("active", []).append(self)
        return self

    def __exit__(self, *_: object) -> None:
        self._timer.cancel()
        _here.active.remove(self)

    def too_slow(self, what: str) -> TooSlow:
        return TooSlow(
            f"{what}: no whole answer: took longer than {self.seconds:g} s; "
            "the next pass tries again"
        )

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                _shut(sock)
            if sock not in self._sockets:  # a pooled connection is sent on again
                self._sockets.append(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def opener(self) -> urllib.request.OpenerDirector:
        """A urllib opener whose connections this deadline watches (http and https)."""
        deadline = self

        class _Http(urllib.request.HTTPHandler):
            def http_open(self, req: urllib.request.Request) -> Any:
                return self.do_open(_connection(http.client.HTTPConnection, deadline), req)

        class _Https(urllib.request.HTTPSHandler):
            def https_open(self, req: urllib.request.Request) -> Any:
                return self.do_open(
                    _connection(http.client.HTTPSConnection, deadline),
                    req,
                    context=self._context,  # type: ignore[attr-defined]
                )

        return urllib.request.build_opener(_Http, _Https)


def watch_active(sock: socket.socket | None) -> None:
    """`sock` watched by every deadline entered on this thread (none: nothing to do)."""
    if sock is None:
        return
    for deadline in getattr(_here, "active", ()):
        deadline.watch(sock)


def _connection(base: type[http.client.HTTPConnection], deadline: Deadline) -> Any:
    class Watched(base):  # type: ignore[valid-type,misc]
        def connect(self) -> None:
            super().connect()
            deadline.watch(self.sock)

    return Watched


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)
