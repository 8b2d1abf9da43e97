"""Who wants to hear about API traffic (the daemon's metrics) subscribes here; connectors call
`note` for every HTTP request they send and every retry they wait for. Dependency-free, so the
connectors stay usable without the service."""

from __future__ import annotations

import threading
from collections.abc import Callable

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
