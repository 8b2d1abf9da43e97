"""Occurrences of a calendar's events inside a window, within bounds.

A busy event repeating every minute since 2000 is a real file (a monitoring export, an app's
bug); expanded naively (recurring-ical-events, dateutil) it is walked from its DTSTART, and
every occurrence in the window is built at once: minutes and gigabytes. So a frequent series
(every second to every week) is started again at its last period before the window, the
window is walked in spans that grow while they are empty and shrink while they are full, and
no event gives more than PER_EVENT occurrences, no calendar more than PER_CALENDAR. What is cut
or left out comes back as one line each, naming the event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import icalendar
import recurring_ical_events
from icalendar.prop import vDDDTypes

from connectors.base import IcsError, RemoteEvent

PER_EVENT = 5_000
PER_CALENDAR = 20_000
EXPANSION_ERRORS = (ValueError, KeyError, IndexError, AttributeError, TypeError)
# The frequencies whose series start again near the window: one period in wall-clock time.
PERIODS = {
    "SECONDLY": timedelta(seconds=1),
    "MINUTELY": timedelta(minutes=1),
    "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1),
    "WEEKLY": timedelta(weeks=1),
}
FIRST_SPAN = timedelta(hours=1)
# Occurrences a span is sized for once a series shows how dense it is.
SPAN_TARGET = 500


@dataclass(frozen=True, slots=True)
class Lone:
    """An event that stands alone, read without icalendar (connectors.quick): the line it
    begins on and its one occurrence."""

    line: int
    event: RemoteEvent


@dataclass(frozen=True)
class Expanded:
    # One VEVENT per occurrence, with its own DTSTART and DTEND (a lone event as it was read).
    components: tuple[icalendar.Event | RemoteEvent, ...]
    # One line per event cut short or left out, and one when the calendar was cut.
    cut: tuple[str, ...]


def expand(
    calendar: icalendar.Calendar,
    where: Path | str,
    start: datetime,
    end: datetime,
    per_event: int = PER_EVENT,
    per_calendar: int = PER_CALENDAR,
    alone: tuple[Lone, ...] = (),
    lines: dict[int, int] | None = None,
) -> Expanded:
    """The occurrences overlapping [start, end), recurrences expanded, within the bounds.
    `alone`: events that stand alone kept outside the calendar; `lines`: where each VEVENT of
    the calendar begins, by id(), so that events of one start keep the file's order."""
    singles, others = _singles(calendar, start, end, alone, lines or {})
    moved = calendar.copy()
    moved.subcomponents = [near(c, start) for c in others]
    try:
        query = recurring_ical_events.of(moved, skip_bad_series=True)
    except EXPANSION_ERRORS as exc:
        raise IcsError(where, f"cannot expand recurring events ({_reason(exc)})") from None
    out: list[icalendar.Event | RemoteEvent] = []
    cut: list[str] = []
    for series in query.series:
        room = min(per_event, per_calendar - len(out))
        if room <= 0:
            cut.append(
                f"{where}: more than {per_calendar} occurrences from {start:%Y-%m-%d} to "
                f"{end:%Y-%m-%d}; the calendar is read up to there"
            )
            break
        name = f"event UID {series.uid}"
        try:
            found, more = _take(series, start, end, room)
        except EXPANSION_ERRORS as exc:
            cut.append(f"{where}: {name}: cannot be expanded ({_reason(exc)}); left out")
            continue
        out.extend(o.as_component(False) for o in found)
        if more and room == per_event:
            cut.append(
                f"{where}: {name}: more than {per_event} occurrences from {start:%Y-%m-%d} to "
                f"{end:%Y-%m-%d}; the first {per_event} are read"
            )
        elif more:
            cut.append(
                f"{where}: more than {per_calendar} occurrences from {start:%Y-%m-%d} to "
                f"{end:%Y-%m-%d}; the calendar is read up to there ({name} cut short)"
            )
            break
    else:
        room = per_calendar - len(out)
        out.extend(event for _, event in singles[:room])
        if len(singles) > room:
            cut.append(
                f"{where}: more than {per_calendar} occurrences from {start:%Y-%m-%d} to "
                f"{end:%Y-%m-%d}; the calendar is read up to "
                f"{singles[room][0]:%Y-%m-%d %H:%M}"
            )
    return Expanded(tuple(out), tuple(cut))


def _singles(
    calendar: icalendar.Calendar,
    start: datetime,
    end: datetime,
    alone: tuple[Lone, ...],
    lines: dict[int, int],
) -> tuple[list[tuple[datetime, icalendar.Event | RemoteEvent]], list[Any]]:
    """The events that stand alone (no repeat, no override, a UID of their own) overlapping
    the window, with their starts, in time order (the file's among those of one start), and
    every other component. The lone ones are most of a big calendar; they need no series
    built to be found in the window."""
    events = [c for c in calendar.subcomponents if isinstance(c, icalendar.Event)]
    uses = Counter(str(c.get("UID", "")) for c in events)
    floating_is_zoned = "X-WR-TIMEZONE" in calendar
    singles: list[tuple[datetime, int, icalendar.Event | RemoteEvent]] = []
    others: list[Any] = [c for c in calendar.subcomponents if not isinstance(c, icalendar.Event)]
    for index, event in enumerate(events):
        if uses[str(event.get("UID", ""))] > 1 or any(k in event for k in ALONE_NOT):
            others.append(event)
            continue
        try:
            begin, finish = event.start, event.end
        except (*EXPANSION_ERRORS, icalendar.InvalidCalendar):
            others.append(event)
            continue
        if floating_is_zoned and isinstance(begin, datetime) and begin.tzinfo is None:
            others.append(event)  # X-WR-TIMEZONE sets its zone: the library's way
            continue
        first, last = _moment(begin, start), _moment(finish, start)
        if _overlaps(first, last, start, end):
            singles.append((first, lines.get(id(event), index), event))
    for lone in alone:
        first, last = _moment(lone.event.start, start), _moment(lone.event.end, start)
        if _overlaps(first, last, start, end):
            singles.append((first, lone.line, lone.event))
    singles.sort(key=lambda single: (single[0], single[1]))
    return [(first, event) for first, _, event in singles], others


def _overlaps(first: datetime, last: datetime, start: datetime, end: datetime) -> bool:
    return (first < end and last > start) or (first == last and start <= first < end)


# What makes an event more than itself: a repeat, or an override of one.
ALONE_NOT = ("RRULE", "RDATE", "RECURRENCE-ID")


def _moment(value: date, like: datetime) -> datetime:
    """A start or end as an aware datetime: floating in `like`'s zone, a day at its midnight."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=like.tzinfo)
    return datetime.combine(value, time(), tzinfo=like.tzinfo)


def _take(series: Any, start: datetime, end: datetime, room: int) -> tuple[list[Any], bool]:
    """Up to `room` occurrences of one series in the window; whether there were more."""
    found: list[Any] = []
    seen: set[Any] = set()
    for occurrence in _walk(series, start, end):
        if occurrence.id in seen:
            continue
        if len(found) == room:
            return found, True
        seen.add(occurrence.id)
        found.append(occurrence)
    return found, False


def _walk(series: Any, start: datetime, end: datetime) -> Iterator[Any]:
    """The series' occurrences span by span (an occurrence across two spans comes twice)."""
    if len(getattr(series.recurrence, "rrules", ())) <= 1:
        # No RRULE: its occurrences are in the file already.
        yield from series.between(start, end)
        return
    at, span = start, FIRST_SPAN
    while at < end:
        stop = at + span if span < end - at else end
        count = 0
        for occurrence in series.between(at, stop):
            count += 1
            yield occurrence
        at = stop
        grown = span * 4 if not count else span * SPAN_TARGET / count
        span = min(max(timedelta(seconds=1), grown), end - start)


def near(component: Any, start: datetime) -> Any:
    """A frequent series (every second to every week, one RRULE) as a copy started at its last
    period before the window (less its length), so expanding it does not walk every
    occurrence since its DTSTART; any other component as it is. The occurrences in the window
    are the same: a whole number of periods in wall-clock time is what the rule steps by."""
    if not isinstance(component, icalendar.Event):
        return component
    rule = component.get("RRULE")
    first = component.get("DTSTART")
    if not isinstance(rule, dict) or first is None or isinstance(first, list):
        return component
    step = PERIODS.get(str((rule.get("FREQ") or [""])[0]).upper())
    begin = getattr(first, "dt", None)
    if step is None or not isinstance(begin, datetime):
        return component
    try:
        period = step * int((rule.get("INTERVAL") or [1])[0])
        length = component.end - begin if "DTEND" in component or "DURATION" in component else step
        periods = (_wall(start, begin) - begin.replace(tzinfo=None)) // period
        periods -= length // period + 2
    except (*EXPANSION_ERRORS, OverflowError):
        return component
    count = (rule.get("COUNT") or [None])[0]
    if count is not None and any(key.startswith("BY") for key in rule):
        return component  # occurrences per period unknown: COUNT cannot be carried over
    if periods <= 0 or (count is not None and int(count) <= periods):
        return component
    moved = component.copy()
    moved.subcomponents = component.subcomponents
    _shift(moved, "DTSTART", period * periods)
    if "DTEND" in moved:
        _shift(moved, "DTEND", period * periods)
    if count is not None:
        moved["RRULE"] = icalendar.vRecur({**rule, "COUNT": [int(count) - periods]})
    return moved


def _wall(moment: datetime, like: datetime) -> datetime:
    """`moment` on the wall clock of `like`'s zone, naive."""
    if like.tzinfo is None:
        return moment.replace(tzinfo=None)
    return moment.astimezone(like.tzinfo).replace(tzinfo=None)


def _shift(component: icalendar.Event, name: str, by: timedelta) -> None:
    held: Any = component[name]
    value = held.dt
    if isinstance(value, datetime):
        moved: date = (value.replace(tzinfo=None) + by).replace(tzinfo=value.tzinfo)
    else:
        moved = datetime.combine(value, time()) + by
    shifted = vDDDTypes(moved)
    shifted.params = held.params
    component[name] = shifted


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}"
