"""Calendars published at an http(s) URL (a Google "secret address", an Outlook or Apple
published calendar, a training app's feed), fetched into a local cache and read as a source.

Requests are conditional (If-None-Match / If-Modified-Since, from a cache kept on disk, so a new
process asks the same way), so an unchanged feed costs one 304; bodies are capped at MAX_BYTES;
when the server cannot be reached the last good copy is used and the read carries a one-line
warning. URLs often carry a secret token: they are never logged or shown beyond their host.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from connectors.base import Capabilities, ChangeSet, IcsError, Problem, RemoteEvent
from connectors.deadline import Deadline
from connectors.icaltext import MAX_BYTES, too_large
from connectors.ics.file import IcsFileSource

# Each read from the socket, and the whole fetch (a server trickling bytes resets the first).
TIMEOUT = 20.0
FETCH_SECONDS = 60.0
USER_AGENT = "racecal (+calendar sync for runners)"


@dataclass(frozen=True)
class Fetched:
    path: Path
    # True when the server answered 200 with a new body (False for 304 or a cached fallback).
    changed: bool
    warning: str | None = None


def display(url: str) -> str:
    """What may be shown of a URL: scheme and host, never the path (it holds the secret)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}/..."


def fetch(url: str, cache_dir: Path, seconds: float | None = None) -> Fetched:
    """The feed into the cache, conditionally, within `seconds` (FETCH_SECONDS) in all."""
    with Deadline(FETCH_SECONDS if seconds is None else seconds) as deadline:
        return _fetch(url, cache_dir, deadline)


def _fetch(url: str, cache_dir: Path, deadline: Deadline) -> Fetched:
    cache_dir.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(url.encode()).hexdigest()[:24]
    body, meta_path = cache_dir / f"{name}.ics", cache_dir / f"{name}.json"
    meta = _meta(meta_path)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if body.exists():
        if meta.get("etag"):
            request.add_header("If-None-Match", meta["etag"])
        if meta.get("last_modified"):
            request.add_header("If-Modified-Since", meta["last_modified"])
    where = display(url)
    try:
        with deadline.opener().open(request, timeout=TIMEOUT) as response:
            data = _body(response, where)
            if deadline.expired:  # what came before the cut is not the feed
                raise TimeoutError
            not_a_calendar = _not_a_calendar(data, response.headers.get("Content-Type"))
            if not_a_calendar:
                # A sign-in page, a captive portal, an error page sent as 200: never taken
                # over the last good copy.
                raise _NotACalendar(not_a_calendar)
            _write(body, data)
            _write(
                meta_path,
                json.dumps(
                    {
                        "etag": response.headers.get("ETag"),
                        "last_modified": response.headers.get("Last-Modified"),
                    }
                ).encode(),
            )
            return Fetched(body, changed=True)
    except urllib.error.HTTPError as exc:
        if exc.code == 304 and body.exists():
            return Fetched(body, changed=False)
        reason = f"HTTP {exc.code}"
        if deadline.expired:
            reason = f"no whole answer within {deadline.seconds:g} s"
    except _NotACalendar as exc:
        reason = str(exc)
        if body.exists():
            return Fetched(body, changed=False, warning=f"{where}: {reason}; using the last copy")
        raise IcsError(where, reason, unparsable=False) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = str(getattr(exc, "reason", exc)) or type(exc).__name__
        if deadline.expired:
            reason = f"no whole answer within {deadline.seconds:g} s"
    if body.exists():
        return Fetched(
            body,
            changed=False,
            warning=f"{display(url)}: unreachable ({reason}); using the last copy",
        )
    raise IcsError(where, f"cannot be fetched ({reason})", unparsable=False)


class IcsUrlSource:
    """A feed as a source: each look is one conditional request; its cursor is the cached
    copy's (stamp and digest), marked while the feed is unreachable so the warning shows."""

    capabilities = Capabilities(writable=False, incremental=True)

    def __init__(self, url: str, cache_dir: Path) -> None:
        self.url = url
        self.cache_dir = cache_dir
        self._copy: IcsFileSource | None = None

    @property
    def name(self) -> str:
        return display(self.url)

    @property
    def locator(self) -> str:
        # Two feeds on one host told apart, the secret path not shown.
        return f"{display(self.url)}#{hashlib.sha256(self.url.encode()).hexdigest()[:8]}"

    def _source(self) -> tuple[IcsFileSource, str | None]:
        fetched = fetch(self.url, self.cache_dir)
        if self._copy is None or self._copy.path != fetched.path:
            self._copy = IcsFileSource(fetched.path, where=self.name)
        return self._copy, fetched.warning

    def changes(self, cursor: str | None) -> ChangeSet:
        stale = STALE if cursor and cursor.endswith(STALE) else ""
        copy, warning = self._source()
        found = copy.changes(cursor.removesuffix(stale) if cursor else None)
        mark = STALE if warning else ""
        if warning is None and not stale:
            return found
        if found.quiet and mark == stale:
            return replace(found, cursor=found.cursor + mark)
        # Unreachable now, or again reachable: the whole copy, with the warning or without.
        whole = found if found.full else copy.changes(None)
        problems = whole.problems + ((Problem(FETCH, warning, plain=warning),) if warning else ())
        return replace(whole, cursor=whole.cursor + mark, problems=problems)

    def events(self, start: datetime, end: datetime) -> list[RemoteEvent]:
        copy = self._copy or self._source()[0]
        return copy.events(start, end)


def _body(response: Any, where: str) -> bytes:
    """The body read in chunks, never more than MAX_BYTES of it: a feed announcing more is
    refused before reading, one sending more is cut off at the cap."""
    announced = response.headers.get("Content-Length")
    if announced and announced.strip().isdigit() and int(announced) > MAX_BYTES:
        raise too_large(where)
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BYTES:
        chunk = response.read(min(CHUNK, MAX_BYTES + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    raise too_large(where)


CHUNK = 256 * 1024


class _NotACalendar(Exception):
    """A 200 whose body is no iCalendar data (the reason, for the one-line warning)."""


def _not_a_calendar(data: bytes, content_type: str | None) -> str | None:
    """Why `data` is not a calendar, or None: it must begin with BEGIN:VCALENDAR (after a BOM
    or blank lines) and hold its END:VCALENDAR (a cut-off download does not)."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper()
    kind = (content_type or "no content type").split(";")[0].strip()
    if head != b"BEGIN:VCALENDAR":
        return f"answered 200 with no calendar ({kind}; a sign-in or error page?)"
    if b"END:VCALENDAR" not in data[-4096:].upper():
        return "answered 200 with a calendar cut off before its end"
    return None


# Marks a cursor taken from the last good copy while the feed could not be fetched.
STALE = "~stale"
FETCH = "feed:unreachable"


def _meta(path: Path) -> dict[str, str]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return (
        {k: v for k, v in loaded.items() if isinstance(v, str)} if isinstance(loaded, dict) else {}
    )


def _write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
