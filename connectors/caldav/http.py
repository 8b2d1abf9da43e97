"""HTTP to a CalDAV server: the caldav library's client, our error tree, one retry layer.

The caldav client does authentication (Basic, Digest, Bearer, negotiated from the 401) and
keeps the connection; everything it raises is translated here, at the edge, so the rest of
racecal only sees `connectors.base` errors. Retries are ours alone (tenacity): connection
errors, 429 and 5xx are retried with exponential backoff and jitter, honouring Retry-After, up
to a bounded total time; the pass then ends and the next one tries again. Each request (or
library call: discovery is a few) also has a total deadline besides the per-read timeout
(`connectors.deadline`): a server trickling its answer is cut there with TooSlow, which is not
retried, and the connections it had are dropped from the client's pool. Credentials and
bodies never reach a message.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from caldav.davclient import DAVClient
from caldav.lib import error as dav_error
from caldav.lib.http_sync import requests as http_library

from connectors.base import (
    AuthError,
    CalendarError,
    NotFound,
    RateLimited,
    Unavailable,
    safe_url,
)
from connectors.deadline import REQUEST_SECONDS, Deadline, watch_active
from connectors.observe import label, note
from connectors.retry import RetryPolicy

T = TypeVar("T")

VALID_SYNC_TOKEN = "{DAV:}valid-sync-token"


class StaleToken(CalendarError):
    """The server no longer knows our sync token (RFC 6578 3.2): list everything again."""


class Refused(CalendarError):
    """A 4xx the caller must interpret (412 on a conditional write, 403 on a REPORT the server
    does not offer)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    # The parsed XML (an lxml element) when the body was XML, else None and the body in `text`.
    tree: Any
    text: str


class DavHttp:
    """One client per athlete account; not shared between threads."""

    def __init__(
        self,
        url: str,
        username: str | None,
        password: str | None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        deadline: float = REQUEST_SECONDS,
    ) -> None:
        self.url = url
        self.deadline = deadline
        self.client = DAVClient(
            url=url,
            username=username,
            # A server without authentication still wants a user name (Radicale answers an
            # anonymous request with 401): a user with no secret logs in with an empty one.
            password=password if password is not None or username is None else "",
            timeout=int(timeout),
            # Our retry layer owns 429/503; the client's own would sleep without bound.
            rate_limit_handle=False,
        )
        self.retry = retry or RetryPolicy()
        for manager in self._pools():
            manager.pool_classes_by_scheme = _watched(manager.pool_classes_by_scheme)

    def _pools(self) -> list[Any]:
        adapters: list[Any] = list(self.client.session.adapters.values())
        return [a.poolmanager for a in adapters if getattr(a, "poolmanager", None) is not None]

    def close(self) -> None:
        self.client.close()

    @contextmanager
    def _in_time(self, name: str) -> Iterator[None]:
        """One request (or library call) under the deadline: cut there, TooSlow, and the
        connections of the client's pool are dropped rather than read on half way."""
        with Deadline(self.deadline) as deadline:
            try:
                yield
            except Exception:
                if not deadline.expired:
                    raise
            if deadline.expired:
                for manager in self._pools():
                    manager.clear()
                raise deadline.too_slow(name) from None

    def send(
        self, method: str, url: str, body: str = "", headers: Mapping[str, str] | None = None
    ) -> Reply:
        """One request with retries; 2xx and 3xx come back, the rest raise."""
        sent = dict(headers or {})
        return self.retry.run(lambda: self._once(method, url, body, sent), "caldav")

    def call(self, what: str, action: Callable[[], T]) -> T:
        """A caldav library call (discovery, MKCALENDAR) under the same errors and retries."""

        def once() -> T:
            with self._in_time(what), _translated(what):
                return action()

        return self.retry.run(once, "caldav")

    def _once(self, method: str, url: str, body: str, headers: dict[str, str]) -> Reply:
        name = safe_url(url)
        try:
            with self._in_time(name), _translated(name):
                response = self.client.request(url, method, body, headers)
        except CalendarError as exc:
            note("caldav", "request", label(exc))
            raise
        status = int(response.status)
        note("caldav", "request", str(status))
        tree = getattr(response, "tree", None)
        text = "" if tree is not None else response.raw
        reply = Reply(status, {k.lower(): v for k, v in response.headers.items()}, tree, text)
        if status >= 500:
            raise Unavailable(f"{name}: server error (HTTP {status})", str(status))
        if status == 404:
            raise NotFound(f"{name}: not found (HTTP 404)")
        if status in (409, 412) and tree is not None and _expired(tree):
            raise StaleToken(f"{name}: sync token expired")
        if status >= 400:
            raise Refused(f"{name}: refused (HTTP {status})", status)
        return reply


@contextmanager
def _translated(name: str) -> Iterator[None]:
    """The caldav library's and the HTTP library's failures as our error tree."""
    try:
        yield
    except dav_error.RateLimitError as exc:
        if exc.status == 503:
            raise Unavailable(f"{name}: server unavailable (HTTP 503)", "503") from None
        raise RateLimited(
            f"{name}: rate limited (HTTP 429)", retry_after=exc.retry_after_seconds
        ) from None
    except dav_error.AuthorizationError as exc:
        if VALID_SYNC_TOKEN in (exc.preconditions or []):
            raise StaleToken(f"{name}: sync token expired") from None
        if exc.status == 403:
            raise Refused(f"{name}: forbidden (HTTP 403)", 403) from None
        raise AuthError(f"{name}: credentials rejected (HTTP 401)") from None
    except dav_error.NotFoundError:
        raise NotFound(f"{name}: not found (HTTP 404)") from None
    except dav_error.DAVError as exc:
        status = exc.status or 0
        if status >= 500 or not status:
            raise Unavailable(f"{name}: server error (HTTP {status or '?'})") from None
        raise Refused(f"{name}: refused (HTTP {status})", status) from None
    except http_library.exceptions.RequestException as exc:
        raise Unavailable(f"{name}: cannot connect ({type(exc).__name__})") from None


def _expired(tree: Any) -> bool:
    return tree.find(f".//{VALID_SYNC_TOKEN}") is not None or tree.tag == VALID_SYNC_TOKEN


def _watched(pools: Mapping[str, Any]) -> dict[str, Any]:
    """The HTTP library's pool classes with connections whose sockets the thread's request
    deadline watches (a new connection when it connects, a pooled one each time it sends)."""
    return {scheme: _watched_pool(pool) for scheme, pool in pools.items()}


@functools.cache
def _watched_pool(pool: Any) -> Any:
    base = pool.ConnectionCls

    class Watched(base):  # type: ignore[valid-type,misc]
        def connect(self) -> None:
            super().connect()
            watch_active(getattr(self, "sock", None))

        def request(self, *args: Any, **kwargs: Any) -> Any:
            watch_active(getattr(self, "sock", None))
            return super().request(*args, **kwargs)

    return type(f"Watched{pool.__name__}", (pool,), {"ConnectionCls": Watched})
