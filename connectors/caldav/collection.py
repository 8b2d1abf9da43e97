"""One CalDAV collection mirrored in memory, kept current with the fewest requests.

Where the server speaks WebDAV sync (RFC 6578) a pass costs one sync-collection REPORT, which
asks for the calendar data of changed objects in the same reply; an expired token means one full
listing. Servers without it are followed by their CTag (one PROPFIND when nothing changed, then
an etag listing and a multiget of what did). Objects are kept as text and parsed lazily, once per
etag.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

import icalendar

from connectors.caldav.http import DavHttp, Refused, StaleToken
from connectors.icaltext import own_timezones

DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
CS = "{http://calendarserver.org/ns/}"
XML_HEADERS = {"Content-Type": "application/xml; charset=utf-8"}

SYNC_BODY = """<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level>
<D:prop><D:getetag/><C:calendar-data/></D:prop></D:sync-collection>"""
CTAG_BODY = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">
<D:prop><CS:getctag/><D:sync-token/></D:prop></D:propfind>"""
ETAGS_BODY = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:resourcetype/></D:prop></D:propfind>"""
MULTIGET_BODY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data/></D:prop>{hrefs}</C:calendar-multiget>"""


@dataclass(frozen=True)
class DavObject:
    href: str
    etag: str | None
    text: str


@dataclass(frozen=True)
class Delta:
    changed: tuple[DavObject, ...]
    # hrefs of objects gone since the last sync
    removed: tuple[str, ...]
    # the mirror was rebuilt from a full listing
    full: bool


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class DavCollection:
    def __init__(self, http: DavHttp, url: str) -> None:
        self.http = http
        self.url = url if url.endswith("/") else url + "/"
        self.path = unquote(urlsplit(self.url).path)
        self.objects: dict[str, DavObject] = {}
        self.token: str | None = None
        self.ctag: str | None = None
        self.loaded = False
        # Followed from a sync token given by an earlier process: `objects` holds only what
        # changed since.
        self.partial = False
        # "sync" until the server shows it has no sync-collection, then "ctag" for good.
        self.mode = "sync"
        # Bumped on every change, so readers can keep what they derived from the objects.
        self.version = 0
        self._parsed: dict[str, tuple[str | None, icalendar.Calendar | None, str]] = {}

    def href_url(self, href: str) -> str:
        return urljoin(self.url, _quoted(href))

    def reset(self) -> None:
        self.objects, self.token, self.ctag, self.loaded = {}, None, None, False
        self.partial = False

    def mark(self) -> str:
        """Where the collection's stream stands, and by which kind of mark (a cursor's token)."""
        if self.mode == "sync" and self.token:
            return f"s:{self.token}"
        return f"c:{self.ctag or ''}"

    def prime(self, mark: str) -> None:
        """Go on from a `mark` an earlier process handed out: the next sync asks only what
        changed since (`objects` then holds only that: `partial`)."""
        kind, _, value = mark.partition(":")
        self.mode = "ctag" if kind == "c" else "sync"
        self.token, self.ctag = (None, value) if kind == "c" else (value, None)
        self.loaded = self.partial = True

    def fetch(self, url: str) -> DavObject:
        """One object read by itself (GET); NotFound when it is not there."""
        reply = self.http.send("GET", url)
        return DavObject(url, reply.headers.get("etag"), reply.text)

    # -- keeping current ------------------------------------------------------------------
    def sync(self) -> Delta:
        if self.mode == "sync":
            try:
                return self._sync_collection()
            except StaleToken:
                self.token = None
                return self._sync_collection()
            except Refused as exc:
                if exc.status not in (400, 403, 405, 415, 501):
                    raise
                self.mode = "ctag"
        return self._by_ctag()

    def _sync_collection(self) -> Delta:
        full = self.token is None or not self.loaded
        token = "" if full else (self.token or "")
        changed: dict[str, DavObject] = {}
        removed: set[str] = set()
        missing: list[str] = []
        for _page in range(100):
            reply = self.http.send(
                "REPORT",
                self.url,
                SYNC_BODY.format(token=_xml_escape(token)),
                {**XML_HEADERS, "Depth": "0"},
            )
            truncated = False
            for href, status, props in responses(reply.tree):
                if self._is_self(href):
                    truncated = truncated or status == 507
                    continue
                if status == 404:
                    removed.add(href)
                    changed.pop(href, None)
                    continue
                if props is None:
                    continue
                etag, data = (
                    text_of(props, f"{DAV}getetag"),
                    text_of(props, f"{CALDAV}calendar-data"),
                )
                removed.discard(href)
                if data is None:
                    missing.append(href)
                else:
                    changed[href] = DavObject(href, etag, data)
            token = text_of(reply.tree, f"{DAV}sync-token") or token
            if not truncated:
                break
        for obj in self._multiget(missing):
            changed[obj.href] = obj
        self.token = token or None
        return self._apply(changed, removed, full)

    def _by_ctag(self) -> Delta:
        reply = self.http.send("PROPFIND", self.url, CTAG_BODY, {**XML_HEADERS, "Depth": "0"})
        ctag = text_of(reply.tree, f"{CS}getctag") or text_of(reply.tree, f"{DAV}sync-token")
        if self.loaded and ctag is not None and ctag == self.ctag:
            return Delta((), (), full=False)
        listing = self.http.send("PROPFIND", self.url, ETAGS_BODY, {**XML_HEADERS, "Depth": "1"})
        etags: dict[str, str | None] = {}
        for href, _status, props in responses(listing.tree):
            if self._is_self(href) or props is None:
                continue
            if props.find(f".//{DAV}collection") is not None:
                continue
            etags[href] = text_of(props, f"{DAV}getetag")
        stale = [h for h, e in etags.items() if h not in self.objects or self.objects[h].etag != e]
        changed = {obj.href: obj for obj in self._multiget(stale)}
        removed = {h for h in self.objects if h not in etags}
        # Primed from a cursor, nothing is held to compare with: what is there is everything.
        full = not self.loaded or self.partial
        self.ctag = ctag
        return self._apply(changed, removed, full)

    def _multiget(self, hrefs: list[str]) -> Iterator[DavObject]:
        for start in range(0, len(hrefs), 200):
            chunk = hrefs[start : start + 200]
            body = MULTIGET_BODY.format(
                hrefs="".join(
                    f"<D:href>{_xml_escape(quote(h, safe='/:@'))}</D:href>" for h in chunk
                )
            )
            reply = self.http.send("REPORT", self.url, body, {**XML_HEADERS, "Depth": "1"})
            for href, status, props in responses(reply.tree):
                data = text_of(props, f"{CALDAV}calendar-data") if props is not None else None
                if status != 404 and data is not None and props is not None:
                    yield DavObject(href, text_of(props, f"{DAV}getetag"), data)

    def _apply(self, changed: dict[str, DavObject], removed: set[str], full: bool) -> Delta:
        if full:
            removed = {h for h in self.objects if h not in changed}
            self.objects = dict(changed)
            self.partial = False
        else:
            for href in removed:
                self.objects.pop(href, None)
            self.objects.update(changed)
        self.loaded = True
        if changed or removed or full:
            self.version += 1
        gone = tuple(sorted(h for h in removed if h not in changed))
        return Delta(tuple(changed[h] for h in sorted(changed)), gone, full)

    def _is_self(self, href: str) -> bool:
        return unquote(urlsplit(href).path).rstrip("/") == self.path.rstrip("/")

    # -- reading ------------------------------------------------------------------------
    def calendars(self) -> Iterator[tuple[str, icalendar.Calendar | None, str]]:
        """(href, parsed calendar or None, reason it could not be parsed) per object, parsed
        once per etag."""
        for href in sorted(self.objects):
            yield href, *self.parsed(href)
        for href in set(self._parsed) - set(self.objects):
            del self._parsed[href]

    def parsed(self, href: str) -> tuple[icalendar.Calendar | None, str]:
        """The object at `href` parsed (once per etag), or None and why it could not be."""
        obj = self.objects[href]
        cached = self._parsed.get(href)
        if cached is None or cached[0] != obj.etag or obj.etag is None:
            cached = (obj.etag, *parse_calendar(obj.text))
            self._parsed[href] = cached
        return cached[1], cached[2]


def _quoted(href: str) -> str:
    return quote(href, safe="/:@")


def parse_calendar(text: str) -> tuple[icalendar.Calendar | None, str]:
    """The calendar object, or None and the first line of why not."""
    try:
        # With its own time zones: another object's VTIMEZONE of the same TZID stays out.
        with own_timezones():
            parsed = icalendar.Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError) as exc:
        return None, (str(exc).splitlines() or [type(exc).__name__])[0][:160]
    if not isinstance(parsed, icalendar.Calendar):
        return None, "no VCALENDAR"
    return parsed, ""


def responses(tree: Any) -> Iterator[tuple[str, int, Any]]:
    """(href, status, the 200 prop element or None) for each DAV:response of a multistatus."""
    if tree is None:
        return
    for response in tree.iter(f"{DAV}response"):
        href = unquote(text_of(response, f"{DAV}href") or "")
        status = _status(response.find(f"{DAV}status"))
        props = None
        for propstat in response.iter(f"{DAV}propstat"):
            if _status(propstat.find(f"{DAV}status")) == 200:
                props = propstat.find(f"{DAV}prop")
        yield href, status or (200 if props is not None else 0), props


def _status(element: Any) -> int | None:
    if element is None or not element.text:
        return None
    parts = element.text.split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def text_of(element: Any, tag: str) -> str | None:
    if element is None:
        return None
    found = element.find(f".//{tag}") if element.tag != tag else element
    return None if found is None or found.text is None else str(found.text)
