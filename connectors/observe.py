"""Who wants to hear about API traffic (the daemon's metrics) subscribes here; connectors call
`note` for every HTTP request they send and every retry they wait for. Dependency-free, so the
connectors stay usable without the service."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# (backend, "request" or "retry", status: an HTTP status code, or "connection")
Listener = Callable[[str, str, str], None]

_lock = threading.Lock()
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> Callable[[], None]:
    """Start hearing; the returned function stops it."""
    with _lock:
        _listeners.append(listener)

    def unsubscribe() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return unsubscribe


def note(backend: str, event: str, status: str) -> None:
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(backend, event, status)


def label(exc: BaseException) -> str:
    """The status a failed request is counted under."""
    status = getattr(exc, "status", None)
    if status:
        return str(status)
    return KNOWN.get(type(exc).__name__, "error")


KNOWN = {"AuthError": "401", "NotFound": "404", "Gone": "410", "Conflict": "409"}


# The quota tallies open on each thread: a pass runs on one thread, so what its connectors send
# there is what it costs.
_tallies = threading.local()


@contextmanager
def counted() -> Iterator[Counter[str]]:
    """Counts, by backend, the API requests sent against its quota on this thread while open
    (each call inside a batch is one, as Google counts them; token refreshes are none)."""
    tally: Counter[str] = Counter()
    stack: list[Counter[str]] = _tallies.__dict__.setdefault("stack", [])
    stack.append(tally)
    try:
        yield tally
    finally:
        stack.remove(tally)


def spend(backend: str, requests: int = 1) -> None:
    """Connectors call this for each request they send against the backend's quota."""
    for tally in getattr(_tallies, "stack", ()):
        tally[backend] += requests
