"""iCalendar as every backend reads it (a file, a feed, a CalDAV object, Google's events made
into VEVENTs): the components as `RemoteEvent`s, and their occurrences in a window with the
recurrences expanded by recurring-ical-events (which also applies X-WR-TIMEZONE).

What cannot be read comes back as one-line `Problem`s naming the calendar and the event; a
file that is not iCalendar at all raises IcsError. Nothing here knows what a race is.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import icalendar
import recurring_ical_events

from connectors.base import IcsError, Problem, RemoteEvent

MAX_BYTES = 20 * 1024 * 1024
EXPANSION_ERRORS = (ValueError, KeyError, IndexError, AttributeError, TypeError)


def parse(data: bytes, where: Path | str) -> icalendar.Calendar:
    """The calendar in `data`; IcsError naming `where` when it is not one."""
    if len(data) > MAX_BYTES:
        raise IcsError(where, f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise IcsError(where, reason[:160]) from None
    if not isinstance(calendar, icalendar.Calendar):
        raise IcsError(where, "no VCALENDAR")
    return calendar


def load(path: Path) -> tuple[bytes, icalendar.Calendar]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IcsError(path, "file not found", unparsable=False) from None
    except OSError as exc:
        raise IcsError(path, exc.strerror or str(exc), unparsable=False) from None
    return data, parse(data, path)


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
    event: icalendar.Event, where: Path | str, basis: Path | str | None = None
) -> RemoteEvent | Problem:
    """One VEVENT as it stands, or the problem that keeps it from being read."""
    title = str(event.get("SUMMARY", "")).strip()
    description = str(event.get("DESCRIPTION", ""))
    name = f"event '{title or event.get('UID', '?')}'"
    given = str(event.get("UID", "")).strip()
    if event.errors:
        line = f"{where}: {name}: {event.errors[0][0]} is malformed; skipped"
        return Problem(given or line, line, title, description)
    try:
        start = event.start
    except (KeyError, ValueError, IndexError):
        line = f"{where}: {name} has no usable DTSTART; skipped"
        return Problem(given or line, line)
    uid = given or f"{Path(str(basis or where)).name}:{title}:{start}"
    return _remote(event, uid, start, _end(event, start), title, description)


def occurrences(
    calendar: icalendar.Calendar, where: Path | str, start: datetime, end: datetime
) -> list[RemoteEvent]:
    """The events overlapping [start, end), recurrences expanded, cancelled occurrences out."""
    try:
        found = recurring_ical_events.of(calendar).between(start, end)
    except EXPANSION_ERRORS as exc:
        # Odd but real-world files trip the expansion library in several ways (a DTSTART list,
        # mixed date and date-time recurrences); none of them may stop the other athletes.
        raise IcsError(
            where, f"cannot expand recurring events ({type(exc).__name__}: {str(exc)[:120]})"
        ) from None
    out: list[RemoteEvent] = []
    for event in found:
        try:
            begin, finish = event.start, event.end
        except (KeyError, ValueError, IndexError):
            continue
        uid = str(event.get("UID", "")).strip()
        title = str(event.get("SUMMARY", "")).strip()
        out.append(_remote(event, uid, begin, finish, title, str(event.get("DESCRIPTION", ""))))
    return out


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
    )
