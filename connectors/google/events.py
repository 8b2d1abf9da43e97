"""Google Calendar event resources and our types, both ways.

Events read for races and busy time become iCalendar VEVENTs (Google's `recurrence` lines are
iCalendar already), so they are read (`connectors.ical`) as any calendar's events are,
recurrences included. Sessions become event bodies with the client-supplied id, the session
key in a private extended property, a colour per kind and no reminders.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

from connectors.base import GOOGLE_SESSION_PROPERTY, RemoteEvent, SessionEvent

# Google's event colour ids: 2 sage for runs, 6 tangerine for strength, 11 tomato for key runs.
COLORS = {"run": "2", "strength": "6", "key": "11"}


def kind_of(session_key: str) -> str:
    slot = session_key.rsplit("/", 1)[-1]
    if slot.startswith("strength"):
        return "strength"
    return "key" if slot.startswith(("q", "long")) else "run"


def to_body(event: SessionEvent, transparency: str = "opaque") -> dict[str, Any]:
    return {
        "id": event.id,
        "summary": event.title,
        "description": event.description,
        "start": _when(event.start),
        "end": _when(event.end),
        "colorId": COLORS[kind_of(event.session_key)],
        "transparency": transparency,
        "reminders": {"useDefault": False},
        "extendedProperties": {"private": {GOOGLE_SESSION_PROPERTY: event.session_key}},
    }


def _when(moment: datetime) -> dict[str, str]:
    when = {"dateTime": moment.isoformat()}
    key = getattr(moment.tzinfo, "key", None)
    if isinstance(key, str):
        when["timeZone"] = key
    return when


def parse_when(when: dict[str, Any]) -> datetime | date:
    if "dateTime" in when:
        moment = datetime.fromisoformat(str(when["dateTime"]).replace("Z", "+00:00"))
        zone = _zone(when.get("timeZone"))
        return moment.astimezone(zone) if zone else moment
    return date.fromisoformat(str(when["date"]))


def _zone(name: object) -> ZoneInfo | None:
    if not isinstance(name, str):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def to_remote(item: dict[str, Any]) -> RemoteEvent:
    private = item.get("extendedProperties", {}).get("private", {})
    key = private.get(GOOGLE_SESSION_PROPERTY)
    start = parse_when(item.get("start", {}))
    end = parse_when(item.get("end", {})) if item.get("end") else start
    return RemoteEvent(
        id=str(item["id"]),
        title=str(item.get("summary", "")),
        start=start,
        end=end,
        description=str(item.get("description", "")),
        location=str(item.get("location", "")),
        busy=item.get("transparency", "opaque") != "transparent",
        session_key=str(key) if key is not None else None,
        etag=item.get("etag"),
        extras=extras_of(item, str(key) if key is not None else None),
    )


def extras_of(item: dict[str, Any], session_key: str | None) -> tuple[tuple[str, str], ...]:
    """What the event holds beyond what racecal writes when it creates a session (its kind's
    colour, no reminders, confirmed): another colour, reminders, a status."""
    out: list[tuple[str, str]] = []
    colour = str(item.get("colorId", ""))
    if session_key is not None and colour != COLORS[kind_of(session_key)]:
        out.append(("colour", colour or "default"))
    reminders = item.get("reminders", {"useDefault": False})
    if reminders.get("useDefault"):
        out.append(("reminders", "default"))
    elif reminders.get("overrides"):
        times = sorted(
            f"{r.get('method', '')}:{r.get('minutes', '')}" for r in reminders["overrides"]
        )
        out.append(("reminders", ";".join(times)))
    status = str(item.get("status", "confirmed"))
    if status != "confirmed":
        out.append(("status", status))
    return tuple(out)


# What racecal writes of a session it updates; the rest of the event stays as it is held.
OWNED = ("summary", "description", "start", "end", "transparency")


def merged(
    current: dict[str, Any] | None, event: SessionEvent, transparency: str
) -> dict[str, Any]:
    """The body of an update: the event as held with racecal's own fields set (its tag
    joins the private properties other apps may have there too); without the event as held,
    the whole session as racecal writes it."""
    body = to_body(event, transparency)
    if current is None:
        return body
    out = {k: v for k, v in current.items() if k not in ("etag", "htmlLink", "updated")}
    out.update({name: body[name] for name in OWNED})
    extended = dict(current.get("extendedProperties", {}))
    extended["private"] = {**extended.get("private", {}), **body["extendedProperties"]["private"]}
    out["extendedProperties"] = extended
    return out


def to_vevent(item: dict[str, Any], series_uid: str | None = None) -> icalendar.Event:
    """An event resource as the VEVENT an iCalendar export of it would hold; an instance of a
    series takes `series_uid` when it does not carry the series' UID itself."""
    vevent = icalendar.Event()
    vevent.add("uid", item.get("iCalUID") or series_uid or item["id"])
    vevent.add("summary", item.get("summary", ""))
    if item.get("description"):
        vevent.add("description", item["description"])
    if item.get("location"):
        vevent.add("location", item["location"])
    for name in ("start", "end"):
        when = item.get(name)
        if when:
            vevent.add(f"dt{name}", _local(when))
    if "originalStartTime" in item:
        vevent.add("recurrence-id", _local(item["originalStartTime"]))
    if item.get("created"):
        vevent.add("created", parse_when({"dateTime": item["created"]}))
    if item.get("transparency") == "transparent":
        vevent.add("transp", "TRANSPARENT")
    if item.get("status") == "cancelled":
        vevent.add("status", "CANCELLED")
    if item.get("eventType") == "outOfOffice":
        # Google's own "I am away" (L13): read as a category, as iCalendar would say it.
        vevent.add("categories", ["out-of-office"])
    for line in item.get("recurrence", []):
        # Google's recurrence lines are iCalendar content lines: let icalendar read them.
        parsed = icalendar.Event.from_ical(f"BEGIN:VEVENT\r\n{line}\r\nEND:VEVENT\r\n")
        for name, value in parsed.property_items(recursive=False):
            if name in ("RRULE", "EXDATE", "RDATE", "EXRULE"):
                vevent.add(name, value, encode=False)
    return vevent


def cancelled_instance(item: dict[str, Any], series_uid: str) -> icalendar.Event:
    """A deleted occurrence of a series (Google keeps only its id, series and original start)
    as the cancelled override that takes the occurrence out of the series."""
    original = _local(item["originalStartTime"])
    vevent = icalendar.Event()
    vevent.add("uid", series_uid)
    vevent.add("dtstart", original)
    vevent.add("recurrence-id", original)
    vevent.add("status", "CANCELLED")
    return vevent


def _local(when: dict[str, Any]) -> datetime | date:
    """A start or end on the event's own wall clock, so a recurrence follows its DST."""
    return parse_when(when)
