"""iCalendar as every backend reads it (a file, a feed, a CalDAV object, Google's events made
into VEVENTs): the components as `RemoteEvent`s, and their occurrences in a window with the
recurrences expanded by recurring-ical-events (which also applies X-WR-TIMEZONE).

What cannot be read comes back as one-line `Problem`s naming the calendar and the event; a
file that is not iCalendar at all raises IcsError. Nothing here knows what a race is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import icalendar
import recurring_ical_events

from connectors import icaltext
from connectors.base import IcsError, Problem, RemoteEvent
from connectors.expand import PER_CALENDAR, PER_EVENT, Lone, expand

log = logging.getLogger("racecal.sources")
MAX_BYTES = icaltext.MAX_BYTES
EXPANSION_ERRORS = (ValueError, KeyError, IndexError, AttributeError, TypeError)
# What a recurring event needs of its own to be expanded at all.
RECURRING = ("RRULE", "RDATE", "EXDATE")


@dataclass(frozen=True)
class Read:
    """A calendar file as read: the calendar with the events that can be read, those events
    (a series once, its overrides each) and what was left out, one line each."""

    calendar: icalendar.Calendar
    events: tuple[RemoteEvent, ...]
    problems: tuple[Problem, ...]
    # The plain events read without icalendar (`read(quick=True)`): not in `calendar`.
    alone: tuple[Lone, ...] = ()
    # The line each VEVENT of `calendar` begins on, by id(), so that events of one start
    # keep the file's order.
    lines: dict[int, int] | None = None

    def bounded(
        self,
        where: Path | str,
        start: datetime,
        end: datetime,
        per_event: int = PER_EVENT,
        per_calendar: int = PER_CALENDAR,
    ) -> tuple[list[RemoteEvent], tuple[str, ...]]:
        """`bounded` over this calendar and its plain events."""
        return bounded(
            self.calendar, where, start, end, self.alone, self.lines, per_event, per_calendar
        )


def parse(data: bytes, where: Path | str) -> icalendar.Calendar:
    """The calendar in `data` with the events that can be read; IcsError naming `where` when
    it is no calendar at all."""
    return read(data, where).calendar


def read(
    data: bytes, where: Path | str, basis: Path | str | None = None, quick: bool = False
) -> Read:
    """Every VEVENT of `data` that can be read, each one that cannot named by its line, UID
    and title and left out (the rest is read); TZIDs that name no zone reported once each.
    `where` and `basis` as in `components`. `quick`: plain events (connectors.quick) are read
    without icalendar, to the same events; `Read.bounded` then gives their occurrences."""
    split = icaltext.parse(data, where, quick)
    zone = icaltext.calendar_zone(split.calendar)
    events: list[tuple[int, RemoteEvent]] = []
    problems = [_unparsed(block, reason, where) for block, reason in split.broken]
    kept: list[icalendar.Event] = []
    lines: dict[int, int] = {}
    floating: dict[str, int] = {}
    for line, event in split.events:
        for tzid in () if event.errors else icaltext.unresolved(event, zone):
            floating[tzid] = floating.get(tzid, 0) + 1
        found = component(event, where, basis, line)
        if isinstance(found, RemoteEvent):
            found = _expandable(event, found, f"{where}, line {line}")
        if isinstance(found, RemoteEvent):
            events.append((line, found))
            kept.append(event)
            lines[id(event)] = line
        else:
            problems.append(found)
    alone: list[Lone] = []
    for line, found in split.plain:
        events.append((line, found))
        alone.append(Lone(line, found))
    if alone:
        events.sort(key=lambda pair: pair[0])
    calendar = split.calendar
    calendar.subcomponents = [
        *(c for c in calendar.subcomponents if not isinstance(c, icalendar.Event)),
        *kept,
    ]
    for tzid, count in sorted(floating.items()):
        read_in = zone.key if zone is not None else "your own time zone"
        problems.append(
            Problem(
                f"tzid:{tzid}",
                f"{where}: TZID '{tzid}' names no time zone (no VTIMEZONE, not an IANA or "
                f"Windows name); its {count} event(s) are read in {read_in}",
                plain=f"{where}: TZID '{tzid}' names no time zone; its {count} event(s) are "
                f"read in {read_in}",
            )
        )
    return Read(calendar, tuple(e for _, e in events), tuple(problems), tuple(alone), lines)


def load(path: Path) -> tuple[bytes, icalendar.Calendar]:
    try:
        data = icaltext.read_file(path, path)
    except FileNotFoundError:
        raise IcsError(path, "file not found", unparsable=False) from None
    except OSError as exc:
        raise IcsError(path, exc.strerror or str(exc), unparsable=False) from None
    return data, parse(data, path)


ONCE = ("DTSTART", "DTEND", "DURATION", "RECURRENCE-ID")


def components(
    calendar: icalendar.Calendar, where: Path | str, basis: Path | str | None = None
) -> tuple[list[RemoteEvent], list[Problem]]:
    """Every VEVENT as it stands (a series once, its overrides each), in the calendar's order;
    broken ones as problems. `where` names the calendar in messages; `basis` (default: where)
    names it in the UID made up for an event without one."""
    events: list[RemoteEvent] = []
    problems: list[Problem] = []
    for event in calendar.walk("VEVENT"):
        if isinstance(event, icalendar.Event):
            read = component(event, where, basis)
            if isinstance(read, RemoteEvent):
                events.append(read)
            else:
                problems.append(read)
    return events, problems


def component(
    event: icalendar.Event,
    where: Path | str,
    basis: Path | str | None = None,
    line: int | None = None,
) -> RemoteEvent | Problem:
    """One VEVENT as it stands, or the problem that keeps it from being read (`line`: where
    it begins in its file, for the message)."""
    title = str(event.get("SUMMARY", "")).strip()
    description = str(event.get("DESCRIPTION", ""))
    given = str(event.get("UID", "")).strip()
    at = f"{where}, line {line}" if line else str(where)
    name, plain = _name(title, given), _unnamed(given)
    if event.errors:
        what = f"{event.errors[0][0] or 'a line'} is malformed; skipped"
        text = f"{at}: {name}: {what}"
        return Problem(given or text, text, title, description, f"{at}: {plain}: {what}")
    # RFC 5545 allows each of these once in a VEVENT; twice, the event has no one time (and
    # two RECURRENCE-IDs broke the expansion of the whole calendar).
    twice = next((p for p in ONCE if isinstance(event.get(p), list)), None)
    if twice is not None and twice != "DTSTART":
        what = f"has more than one {twice}; skipped"
        return Problem(
            given or at, f"{at}: {name} {what}", title, description, f"{at}: {plain} {what}"
        )
    try:
        if twice == "DTSTART":
            raise ValueError("more than one DTSTART")
        start = event.start
    except (KeyError, ValueError, IndexError):
        text = f"{at}: {name} has no usable DTSTART; skipped"
        return Problem(given or text, text, plain=f"{at}: {plain} has no usable DTSTART; skipped")
    uid = given or f"{Path(str(basis or where)).name}:{title}:{start}"
    return _remote(event, uid, start, _end(event, start), title, description)


def _name(title: str, uid: str) -> str:
    if title and uid:
        return f"event '{title}' (UID {uid})"
    if title or uid:
        return f"event '{title}'" if title else f"event UID {uid}"
    return "an event with no UID or title"


def _unnamed(uid: str) -> str:
    """An event by its UID alone, for the plain form of a problem."""
    return f"event (UID {uid})" if uid else "an event with no UID"


def _unparsed(block: icaltext.Block, reason: str, where: Path | str) -> Problem:
    title, uid = block.field("SUMMARY"), block.field("UID")
    at = f"{where}, line {block.line}"
    text = f"{at}: {_name(title, uid)} cannot be read ({reason}); skipped"
    # The reason may quote the line, and so the contents: not in the plain form.
    plain = f"{at}: {_unnamed(uid)} cannot be read; skipped"
    return Problem(uid or text, text, title or None, block.field("DESCRIPTION"), plain)


def _expandable(event: icalendar.Event, read: RemoteEvent, at: str) -> RemoteEvent | Problem:
    """`read`, or the problem when its recurrence cannot be expanded (a rule with a typo,
    dates of mixed kinds): found here, one event is skipped, not the whole calendar."""
    if not any(name in event for name in RECURRING):
        return read
    trial = icalendar.Calendar()
    trial.add_component(event)
    try:
        begin = read.start
        # A short span: a series repeating every second still gives only a few.
        span = timedelta(minutes=1) if isinstance(begin, datetime) else timedelta(days=1)
        recurring_ical_events.of(trial).between(begin, begin + span)
    except EXPANSION_ERRORS as exc:
        uid = read.uid if read.uid == str(event.get("UID", "")) else ""
        reason = icaltext.first_line(exc)
        what = f"its recurrence cannot be expanded ({reason}); skipped"
        text = f"{at}: {_name(read.title, uid)}: {what}"
        plain = f"{at}: {_unnamed(uid)}: {what}"
        return Problem(read.uid, text, read.title, read.description, plain)
    return read


def occurrences(
    calendar: icalendar.Calendar, where: Path | str, start: datetime, end: datetime
) -> list[RemoteEvent]:
    """The events overlapping [start, end), recurrences expanded, cancelled occurrences out;
    what the bounds cut (connectors.expand) is logged at WARNING."""
    events, cut = bounded(calendar, where, start, end)
    for line in cut:
        log.warning("%s", line)
    return events


def bounded(
    calendar: icalendar.Calendar,
    where: Path | str,
    start: datetime,
    end: datetime,
    alone: tuple[Lone, ...] = (),
    lines: dict[int, int] | None = None,
    per_event: int = PER_EVENT,
    per_calendar: int = PER_CALENDAR,
) -> tuple[list[RemoteEvent], tuple[str, ...]]:
    """`occurrences`, and one line for each event the bounds cut or left out; `alone` and
    `lines` as `Read` has them."""
    found = expand(calendar, where, start, end, per_event, per_calendar, alone, lines)
    out: list[RemoteEvent] = []
    for event in found.components:
        if isinstance(event, RemoteEvent):
            out.append(event)
            continue
        try:
            begin, finish = event.start, event.end
        except (KeyError, ValueError, IndexError):
            continue
        uid = str(event.get("UID", "")).strip()
        title = str(event.get("SUMMARY", "")).strip()
        out.append(_remote(event, uid, begin, finish, title, str(event.get("DESCRIPTION", ""))))
    return out, found.cut


def _end(event: icalendar.Event, start: date | datetime) -> date | datetime:
    try:
        end: date | datetime = event.end
    except (KeyError, ValueError, IndexError):
        return start
    return end


def _remote(
    event: icalendar.Event,
    uid: str,
    start: date | datetime,
    end: date | datetime,
    title: str,
    description: str,
) -> RemoteEvent:
    recurrence = event.get("RECURRENCE-ID")
    moment = getattr(recurrence, "dt", None)
    occurrence = f"#{moment.isoformat()}" if isinstance(moment, date) else ""
    created = getattr(event.get("CREATED"), "dt", None)
    return RemoteEvent(
        id=uid + occurrence,
        title=title,
        start=start,
        end=end,
        description=description,
        location=str(event.get("LOCATION", "")),
        busy=str(event.get("TRANSP", "OPAQUE")).upper() != "TRANSPARENT",
        created=created if isinstance(created, date) else None,
        uid=uid,
        cancelled=str(event.get("STATUS", "")).upper() == "CANCELLED",
        categories=categories_of(event),
    )


def categories_of(event: icalendar.Event) -> tuple[str, ...]:
    """Every CATEGORIES value of the event (the property may repeat, each a list)."""
    found = event.get("CATEGORIES")
    if found is None:
        return ()
    out: list[str] = []
    for prop in found if isinstance(found, list) else [found]:
        cats = getattr(prop, "cats", None)
        out.extend(str(c).strip() for c in (cats if cats is not None else [prop]))
    return tuple(c for c in out if c)
