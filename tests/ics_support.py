"""Another calendar app editing a .ics file (parse, change, save to a temp file, rename): the
contract's hooks for the file and feed backends."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import icalendar

EMPTY = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//another app//EN\r\nEND:VCALENDAR\r\n"


def save_as_another_app(path: Path, change: Callable[[icalendar.Calendar], None]) -> None:
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    change(cal)
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.save")
    tmp.write_bytes(cal.to_ical())
    os.replace(tmp, path)


def _same(component: object, event: icalendar.Event) -> bool:
    return isinstance(component, icalendar.Event) and (
        str(component.get("UID")),
        str(component.get("RECURRENCE-ID", "")),
    ) == (str(event.get("UID")), str(event.get("RECURRENCE-ID", "")))


def put(path: Path, event: icalendar.Event) -> None:
    """Add the event, or replace the one with its UID (and RECURRENCE-ID)."""

    def change(cal: icalendar.Calendar) -> None:
        cal.subcomponents[:] = [c for c in cal.subcomponents if not _same(c, event)]
        cal.add_component(event)

    save_as_another_app(path, change)


def drop(path: Path, uid: str) -> None:
    def change(cal: icalendar.Calendar) -> None:
        cal.subcomponents[:] = [c for c in cal.subcomponents if str(c.get("UID", "")) != uid]

    save_as_another_app(path, change)


def put_raw(path: Path, vevent: str) -> None:
    """Add an event as text, malformed ones included (an app's export, a hand edit)."""
    data = path.read_bytes().replace(b"END:VCALENDAR", vevent.encode() + b"END:VCALENDAR")
    path.write_bytes(data)
