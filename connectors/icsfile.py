"""Local .ics files: races and busy time in.

Parsing is icalendar's; recurring busy events are expanded by recurring-ical-events (which also
applies X-WR-TIMEZONE). Problems come back as one-line messages naming the file and the event;
a file that is not iCalendar at all raises IcsError.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from scheduler.model import Interval, Race
from scheduler.races import race_from_event

MAX_BYTES = 20 * 1024 * 1024
EXPANSION_ERRORS = (ValueError, KeyError, IndexError, AttributeError, TypeError)


class IcsError(ValueError):
    """A calendar that cannot be read; str() is one line naming the file or URL. `unparsable`
    says the content was there but is not iCalendar (as opposed to not being had at all)."""

    def __init__(self, where: Path | str, reason: str, *, unparsable: bool = True) -> None:
        text = f"not a valid iCalendar file ({reason})" if unparsable else reason
        super().__init__(f"{where}: {text}")
        self.where = where
        self.reason = reason


@dataclass(frozen=True)
class RaceRead:
    races: tuple[Race, ...]
    problems: tuple[str, ...]
    # Problems with events that read as races: planning without them would drop their blocks,
    # so a sync pass keeps the last plan until they are fixed.
    broken_races: tuple[str, ...] = ()


def _load(path: Path) -> icalendar.Calendar:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IcsError(path, "file not found") from None
    except OSError as exc:
        raise IcsError(path, exc.strerror or str(exc)) from None
    if len(data) > MAX_BYTES:
        raise IcsError(path, f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise IcsError(path, reason[:160]) from None
    if not isinstance(calendar, icalendar.Calendar):
        raise IcsError(path, "no VCALENDAR")
    return calendar


def _local_day(value: date | datetime, tz: ZoneInfo) -> date:
    if isinstance(value, datetime):
        # A floating time is the athlete's own wall clock.
        return (value if value.tzinfo else value.replace(tzinfo=tz)).astimezone(tz).date()
    return value


def _created(event: icalendar.Event, tz: ZoneInfo) -> date | None:
    """When the race was put in the calendar: P3 compresses a block against that day."""
    created = event.get("CREATED")
    value = getattr(created, "dt", None)
    return _local_day(value, tz) if isinstance(value, date) else None


def read_races(path: Path, tz: ZoneInfo) -> RaceRead:
    return races_in(_load(path), path, tz)


def races_in(calendar: icalendar.Calendar, path: Path | str, tz: ZoneInfo) -> RaceRead:
    """Every VEVENT that reads as a race (scheduler.races); others are ignored, broken ones are
    reported and skipped. `path` names the calendar in messages."""
    races: list[Race] = []
    problems: list[str] = []
    broken: list[str] = []
    for event in calendar.walk("VEVENT"):
        if not isinstance(event, icalendar.Event):
            continue
        title = str(event.get("SUMMARY", "")).strip()
        name = f"event '{title or event.get('UID', '?')}'"
        if event.errors:
            problem = f"{path}: {name}: {event.errors[0][0]} is malformed; skipped"
            problems.append(problem)
            if race_from_event("?", title, str(event.get("DESCRIPTION", "")), date.min):
                broken.append(problem)
            continue
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        try:
            start = event.start
        except (KeyError, ValueError, IndexError):
            problems.append(f"{path}: {name} has no usable DTSTART; skipped")
            continue
        uid = str(event.get("UID", "")).strip() or f"{Path(str(path)).name}:{title}:{start}"
        race = race_from_event(
            uid,
            title,
            str(event.get("DESCRIPTION", "")),
            _local_day(start, tz),
            str(event.get("LOCATION", "")),
            planned_since=_created(event, tz),
        )
        if race is not None:
            races.append(race)
    return RaceRead(tuple(races), tuple(problems), tuple(broken))


def read_busy(path: Path, tz: ZoneInfo, start: datetime, end: datetime) -> list[Interval]:
    return busy_in(_load(path), path, tz, start, end)


def busy_in(
    calendar: icalendar.Calendar, path: Path | str, tz: ZoneInfo, start: datetime, end: datetime
) -> list[Interval]:
    """Timed, opaque events between `start` and `end`, recurrences expanded. All-day events do
    not block time: a holiday or a birthday on the calendar is not a meeting, and a runner on
    vacation still trains."""
    busy: list[Interval] = []
    try:
        occurrences = recurring_ical_events.of(calendar).between(start, end)
    except EXPANSION_ERRORS as exc:
        # Odd but real-world files trip the expansion library in several ways (a DTSTART list,
        # mixed date and date-time recurrences); none of them may stop the other athletes.
        raise IcsError(
            path, f"cannot expand recurring events ({type(exc).__name__}: {str(exc)[:120]})"
        ) from None
    for event in occurrences:
        if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
            continue
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        try:
            begin, finish = event.start, event.end
        except (KeyError, ValueError, IndexError):
            continue
        if not isinstance(begin, datetime):
            continue
        if not isinstance(finish, datetime):
            finish = begin + timedelta(hours=1)
        begin = begin if begin.tzinfo else begin.replace(tzinfo=tz)
        finish = finish if finish.tzinfo else finish.replace(tzinfo=tz)
        if finish > begin:
            busy.append(Interval(begin.astimezone(tz), finish.astimezone(tz)))
    busy.sort(key=lambda i: (i.start, i.end))
    return busy
