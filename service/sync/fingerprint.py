"""What the athlete sees of an event, as one hash: equal fingerprints mean the calendar holds
exactly a version racecal wrote.

The fingerprint covers every field the athlete can change and racecal judges by: title,
description, start, end, location and the backend's extras (colour, reminders, status). It
leaves out what calendar apps change on their own (SEQUENCE, DTSTAMP, X- properties, the
timezone an instant is written in) and the session tag itself. Text is compared with line ends
and trailing blanks normalised, times as UTC instants to the second.

Migration 0002 carries a frozen copy of this definition to fill in the versions written before
it; change one and a new migration must compute the versions again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime

from connectors.base import RemoteEvent, SessionEvent


def fingerprint(
    title: str,
    description: str,
    start: datetime | date,
    end: datetime | date,
    location: str = "",
    extras: Iterable[tuple[str, str]] = (),
) -> str:
    parts = [_text(title), _text(description), _moment(start), _moment(end), _text(location)]
    parts.extend(f"{name}={value}" for name, value in sorted(extras))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def of_held(event: RemoteEvent) -> str:
    """The fingerprint of an event as the calendar holds it."""
    return fingerprint(
        event.title, event.description, event.start, event.end, event.location, event.extras
    )


def of_write(event: SessionEvent, over: RemoteEvent | None = None) -> str:
    """What the calendar holds once racecal wrote `event` over `over` (None: created anew).
    racecal writes its own fields (title, description, times) and leaves the rest as the
    event holds it, so a location or a reminder on an event it still owns stays."""
    location = over.location if over is not None else ""
    extras = over.extras if over is not None else ()
    return fingerprint(event.title, event.description, event.start, event.end, location, extras)


# How the link to a session's workout file starts, the last line racecal writes in its event
# (service.sync.engine.session_event); the stored session holds the text without it.
WORKOUT_LINK = "Workout for your watch (FIT): "


def without_link(description: str) -> str:
    head, _, last = _text(description).rpartition("\n")
    return head if last.startswith(WORKOUT_LINK) else description


def changes(
    held: RemoteEvent, title: str, description: str, start: datetime, end: datetime
) -> tuple[str, ...]:
    """What the athlete changed in `held` relative to what racecal last wrote, for people:
    time, title, description, location and the names of the extras. The workout link racecal
    ends an event with is not the athlete's text (the stored session holds none)."""
    out = []
    if (_moment(held.start), _moment(held.end)) != (_moment(start), _moment(end)):
        out.append("time")
    if _text(held.title) != _text(title):
        out.append("title")
    if _text(without_link(held.description)) != _text(without_link(description)):
        out.append("description")
    if _text(held.location):
        out.append("location")
    out.extend(sorted({name for name, _ in held.extras}))
    return tuple(out)


def _text(value: str) -> str:
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def _moment(value: datetime | date) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return value.isoformat()
