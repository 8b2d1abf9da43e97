"""Busy time from calendar events: what blocks a session's slot.

Timed, opaque events block their time; all-day events do not (a holiday or a birthday on the
calendar is not a meeting, and a runner on vacation still trains), nor do transparent or
cancelled ones. An event marked as a holiday, sick day and the like (scheduler.lifemarks) is
taken out before: it bends the plan by its own rules (L13-L16), not as busy time. A floating
time is the athlete's own wall clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from scheduler.model import Interval


class Occurrence(Protocol):
    """One occurrence of an event, as a calendar expands it."""

    @property
    def start(self) -> datetime | date: ...
    @property
    def end(self) -> datetime | date: ...
    @property
    def busy(self) -> bool: ...
    @property
    def cancelled(self) -> bool: ...


def busy_from(occurrences: Iterable[Occurrence], tz: ZoneInfo) -> list[Interval]:
    """The intervals the occurrences block, in time order, in `tz`."""
    busy: list[Interval] = []
    for event in occurrences:
        begin, finish = event.start, event.end
        if not event.busy or event.cancelled or not isinstance(begin, datetime):
            continue
        if not isinstance(finish, datetime):
            finish = begin + timedelta(hours=1)
        begin = begin if begin.tzinfo else begin.replace(tzinfo=tz)
        finish = finish if finish.tzinfo else finish.replace(tzinfo=tz)
        if finish > begin:
            busy.append(Interval(begin.astimezone(tz), finish.astimezone(tz)))
    busy.sort(key=lambda i: (i.start, i.end))
    return busy
