"""Which calendar events are life, not training (L13-L16): a marker in the title (`#holiday`,
`#sick`, ...) or an iCalendar category that says the same ("Holiday", "Urlaub", "Krank").
Both tables are the athlete's to extend; matching ignores case."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from scheduler.model import LifeEvent, LifeKind

# Title markers, the `#` included.
MARKERS: Mapping[str, LifeKind] = {
    "#holiday": LifeKind.HOLIDAY,
    "#vacation": LifeKind.HOLIDAY,
    "#urlaub": LifeKind.HOLIDAY,
    "#travel": LifeKind.TRAVEL,
    "#reise": LifeKind.TRAVEL,
    "#sick": LifeKind.SICK,
    "#krank": LifeKind.SICK,
    "#injured": LifeKind.INJURED,
    "#verletzt": LifeKind.INJURED,
    "#nostrength": LifeKind.NOSTRENGTH,
}
# CATEGORIES values (and Google's out-of-office events, which the connector names so).
CATEGORIES: Mapping[str, LifeKind] = {
    "holiday": LifeKind.HOLIDAY,
    "vacation": LifeKind.HOLIDAY,
    "urlaub": LifeKind.HOLIDAY,
    "ferien": LifeKind.HOLIDAY,
    "out-of-office": LifeKind.HOLIDAY,
    "travel": LifeKind.TRAVEL,
    "reise": LifeKind.TRAVEL,
    "sick": LifeKind.SICK,
    "krank": LifeKind.SICK,
    "injured": LifeKind.INJURED,
    "verletzt": LifeKind.INJURED,
}
# `#travel bodyweight`: the words that ask for one bodyweight session while away.
BODYWEIGHT = ("bodyweight", "körpergewicht")

_TAG = re.compile(r"(?<![\w#])#[\w-]+")


def life_kind(
    title: str,
    categories: Iterable[str] = (),
    markers: Mapping[str, LifeKind] = MARKERS,
    category_table: Mapping[str, LifeKind] = CATEGORIES,
) -> tuple[LifeKind, str] | None:
    """The kind of life event the title's first marker (or else a category) names, and the
    title's words besides the marker; None for an ordinary event."""
    for match in _TAG.finditer(title):
        kind = markers.get(match.group().lower())
        if kind is not None:
            rest = (title[: match.start()] + title[match.end() :]).strip()
            return kind, " ".join(rest.split())
    for category in categories:
        kind = category_table.get(category.strip().lower())
        if kind is not None:
            return kind, " ".join(title.split())
    return None


class Marked(Protocol):
    """An event as a calendar holds it, as far as its marker is concerned."""

    @property
    def title(self) -> str: ...
    @property
    def start(self) -> datetime | date: ...
    @property
    def end(self) -> datetime | date: ...
    @property
    def cancelled(self) -> bool: ...
    @property
    def categories(self) -> tuple[str, ...]: ...


E = TypeVar("E", bound=Marked)


def split_life(
    events: Iterable[E],
    tz: ZoneInfo,
    markers: Mapping[str, LifeKind] = MARKERS,
    category_table: Mapping[str, LifeKind] = CATEGORIES,
) -> tuple[list[LifeEvent], list[E]]:
    """The life events among `events` (a cancelled one is none), and the other events: a
    marked event is no race and no busy time as well."""
    life: list[LifeEvent] = []
    rest: list[E] = []
    for event in events:
        found = life_kind(event.title, event.categories, markers, category_table)
        if found is None:
            rest.append(event)
            continue
        if not event.cancelled:
            first, last = local_days(event.start, event.end, tz)
            life.append(life_event(found[0], found[1], first, last))
    return life, rest


def local_days(start: datetime | date, end: datetime | date, tz: ZoneInfo) -> tuple[date, date]:
    """The first and last local day an event covers: an all-day event's end is the day after
    it; a timed one covers each day it touches (a floating time is the athlete's clock)."""
    if not isinstance(start, datetime):
        last = end if not isinstance(end, datetime) else end.date()
        return start, max(start, last - timedelta(days=1))
    begin = (start if start.tzinfo else start.replace(tzinfo=tz)).astimezone(tz)
    if not isinstance(end, datetime):
        return begin.date(), max(begin.date(), end - timedelta(days=1))
    finish = (end if end.tzinfo else end.replace(tzinfo=tz)).astimezone(tz)
    return begin.date(), max(begin.date(), (finish - timedelta(microseconds=1)).date())


def life_event(kind: LifeKind, note: str, first: date, last: date) -> LifeEvent:
    """The event for days `first`..`last`; `#travel bodyweight` asks for a bodyweight session."""
    low = note.lower()
    bodyweight = kind is LifeKind.TRAVEL and any(word in low for word in BODYWEIGHT)
    return LifeEvent(kind, first, max(first, last), note, bodyweight)


__all__ = [
    "BODYWEIGHT",
    "CATEGORIES",
    "MARKERS",
    "life_event",
    "life_kind",
    "local_days",
    "split_life",
]
