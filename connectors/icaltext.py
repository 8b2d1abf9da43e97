"""iCalendar text read one VEVENT at a time: a broken event is named by its line and left out,
and the rest of the calendar is read.

icalendar parses a whole calendar or fails; real files carry one broken event among hundreds
(an app's export, a hand edit). So the text is split into the calendar without its VEVENTs
(properties, VTIMEZONEs) and each VEVENT with the line it begins on, and each is parsed alone.

icalendar also keeps every VTIMEZONE it has parsed in one process-wide cache keyed by TZID,
where the first one parsed wins: one athlete's custom "Office Time" would then shift another
athlete's events of that TZID. Every text is parsed with an empty cache, one at a time
(`own_timezones`), and each parsed time keeps the zone its own file gave it.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from icalendar.timezone import tzp

from connectors.base import IcsError, RemoteEvent
from connectors.quick import plain

MAX_BYTES = 20 * 1024 * 1024
PARSE_ERRORS = (ValueError, IndexError, KeyError, TypeError, AttributeError)

_lock = threading.Lock()


@contextmanager
def own_timezones() -> Iterator[None]:
    """Parse inside: the VTIMEZONEs icalendar caches are this text's alone (module docstring).
    Times parsed inside keep their zones after it; only the cache is emptied again."""
    with _lock:
        tzp.use_zoneinfo()  # a new provider: its cache starts empty
        try:
            yield
        finally:
            tzp.use_zoneinfo()


def read_file(path: Path, where: Path | str) -> bytes:
    """The file's bytes, read no further than MAX_BYTES (a 1 GiB file is not read whole);
    IcsError when it is larger, OSError as the system says."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise too_large(where)
    return data


def too_large(where: Path | str) -> IcsError:
    return IcsError(where, f"larger than {MAX_BYTES // (1024 * 1024)} MiB", unparsable=False)


@dataclass(frozen=True)
class Block:
    """One VEVENT's text and the line of the file it begins on (1 is the first)."""

    line: int
    text: bytes

    def field(self, name: str) -> str:
        """A property's raw value as the text has it (for naming an event that cannot be
        parsed); "" when absent."""
        pattern = rb"^" + re.escape(name.encode()) + rb"(?:;[^:\r\n]*)?:([^\r\n]*)"
        found = re.search(pattern, self.text, re.M | re.I)
        return found.group(1).decode("utf-8", "replace").strip()[:80] if found else ""


@dataclass(frozen=True)
class Split:
    calendar: icalendar.Calendar
    # Each VEVENT parsed, with the line it begins on.
    events: tuple[tuple[int, icalendar.Event], ...]
    # Each VEVENT that could not be parsed at all, and why.
    broken: tuple[tuple[Block, str], ...]
    # Each plain VEVENT read without icalendar (`parse(quick=True)`), with the line it begins
    # on; none of them shares its UID with another VEVENT of the text.
    plain: tuple[tuple[int, RemoteEvent], ...] = ()


def split(data: bytes, where: Path | str) -> tuple[bytes, list[Block]]:
    """The calendar's text without its VEVENTs, and each VEVENT of the calendar (a VEVENT
    directly inside a VCALENDAR) with its first line. IcsError when a VEVENT never ends (a
    file cut off while written or downloaded). Only the lines that begin or end a component
    are looked at one by one (folded lines begin with a space: never one of them)."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    rest: list[bytes] = []
    blocks: list[Block] = []
    depth = inner = open_at = open_pos = kept = counted = 0
    line = 1
    at_end = False
    for mark in _MARK.finditer(data):
        begins = mark.group(1).upper() == b"BEGIN"
        if inner:
            inner += 1 if begins else -1
            if not inner:
                stop = data.find(b"\n", mark.start())
                stop = len(data) if stop < 0 else stop
                blocks.append(Block(open_at, data[open_pos:stop] + b"\n"))
                kept, at_end = stop + 1, stop == len(data)
            continue
        if depth == 1 and begins:
            stop = data.find(b"\n", mark.start())
            word = data[mark.start() : len(data) if stop < 0 else stop]
            if word.rstrip(b"\r\n \t").upper() == b"BEGIN:VEVENT":
                line += data.count(b"\n", counted, mark.start())
                counted = mark.start()
                rest.append(data[kept : mark.start()])
                inner, open_at, open_pos = 1, line, mark.start()
                continue
        depth += 1 if begins else -1
    if inner:
        raise IcsError(where, f"the event at line {open_at} has no END:VEVENT (cut off?)")
    rest.append(data[kept:])
    text = b"".join(rest)
    if at_end and text.endswith(b"\n"):
        text = text[:-1]  # the line before a VEVENT that ends the text ends the rest too
    return text, blocks


# A line that begins or ends a component, as the text says it (any case).
_MARK = re.compile(rb"^(BEGIN|END):", re.M | re.I)


def parse(data: bytes, where: Path | str, quick: bool = False) -> Split:
    """The calendar in `data` with each VEVENT that parses; IcsError naming `where` when the
    text is no calendar at all. `quick`: plain VEVENTs (connectors.quick) are read without
    icalendar and left out of the calendar, unless another VEVENT has their UID (a series
    and its overrides are the library's to join)."""
    if len(data) > MAX_BYTES:
        raise too_large(where)
    rest, blocks = split(data, where)
    parsed: list[tuple[int, icalendar.Event]] = []
    broken: list[tuple[Block, str]] = []
    read: list[tuple[int, RemoteEvent]] = []
    with own_timezones():
        calendar = _calendar(rest, where)
        zoned = "X-WR-TIMEZONE" in calendar
        for block in blocks:
            found = plain(block.text, zoned) if quick else None
            if found is not None:
                read.append((block.line, found))
            else:
                _parse_one(block, parsed, broken)
        del blocks  # a plain event's text is not held beside what was read of it
        uses = Counter(str(event.get("UID", "")) for _, event in parsed)
        uses.update(found.uid for _, found in read)
        shared = {line for line, found in read if uses[found.uid] > 1}
        if shared:  # rare (an override read plain): the text is split again for them
            for block in split(data, where)[1]:
                if block.line in shared:
                    _parse_one(block, parsed, broken)
    if shared:  # back in the file's order
        parsed.sort(key=lambda pair: pair[0])
        broken.sort(key=lambda pair: pair[0].line)
    for _, event in parsed:
        calendar.add_component(event)
    alone = tuple((line, found) for line, found in read if uses[found.uid] == 1)
    return Split(calendar, tuple(parsed), tuple(broken), alone)


def _parse_one(
    block: Block, parsed: list[tuple[int, icalendar.Event]], broken: list[tuple[Block, str]]
) -> None:
    try:
        event = icalendar.Event.from_ical(block.text)
    except PARSE_ERRORS as exc:
        broken.append((block, first_line(exc)))
        return
    if isinstance(event, icalendar.Event):
        parsed.append((block.line, event))
    else:
        broken.append((block, "not a VEVENT"))


def _calendar(data: bytes | str, where: Path | str) -> icalendar.Calendar:
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except PARSE_ERRORS as exc:
        raise IcsError(where, first_line(exc)) from None
    if not isinstance(calendar, icalendar.Calendar):
        raise IcsError(where, "no VCALENDAR")
    return calendar


def first_line(exc: BaseException) -> str:
    return ((str(exc).splitlines() or [""])[0] or type(exc).__name__)[:160]


# The properties whose times name a TZID.
TIMED = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")


def unresolved(event: icalendar.Event, zone: tzinfo | None) -> set[str]:
    """The TZIDs of `event` that named no zone (no VTIMEZONE, no IANA or Windows name), which
    icalendar reads as floating times; those times are set in `zone` (the calendar's
    X-WR-TIMEZONE) when given, else left floating: the athlete's own clock."""
    found: set[str] = set()
    for name in TIMED:
        values = event.get(name)
        for value in values if isinstance(values, list) else [values]:
            tzid = getattr(value, "params", {}).get("TZID")
            if not tzid:
                continue
            for single in getattr(value, "dts", None) or [value]:
                moment = getattr(single, "dt", None)
                if isinstance(moment, datetime) and moment.tzinfo is None:
                    found.add(str(tzid))
                    if zone is not None:
                        single.dt = moment.replace(tzinfo=zone)
    return found


def calendar_zone(calendar: icalendar.Calendar) -> ZoneInfo | None:
    """The calendar's X-WR-TIMEZONE as a zone, when it names one."""
    name = str(calendar.get("X-WR-TIMEZONE", "")).strip()
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        found = tzp.timezone(name)
        return found if isinstance(found, ZoneInfo) else None
