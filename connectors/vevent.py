"""A training session as an iCalendar VEVENT and back: the one text racecal writes to .ics files
and CalDAV servers alike, so both backends show the athlete the same event."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import icalendar

from connectors.base import SESSION_PROPERTY, RemoteEvent, SessionEvent

PRODID = "-//racecal//training plan//EN"
UID_DOMAIN = "racecal"


def event_id(component: icalendar.Event) -> str:
    """Managed events use `<id>@racecal` as UID; others keep their UID as the id."""
    uid = str(component.get("UID", ""))
    return uid.removesuffix(f"@{UID_DOMAIN}")


def write_stamp() -> datetime:
    """DTSTAMP for an event written now (RFC 5545: when the object was created or last
    changed by its organizer): to the second, in UTC, never in the future. Taken once per
    write, so an edit applied again to a newer file writes the same bytes."""
    return datetime.now(UTC).replace(microsecond=0)


def to_vevent(event: SessionEvent, stamp: datetime, sequence: int = 0) -> icalendar.Event:
    vevent = icalendar.Event()
    vevent.add("uid", f"{event.id}@{UID_DOMAIN}")
    vevent.add("dtstamp", stamp)
    vevent.add("dtstart", event.start)
    vevent.add("dtend", event.end)
    vevent.add("summary", event.title)
    vevent.add("description", event.description)
    vevent.add("sequence", sequence)
    vevent.add("transp", "OPAQUE")
    vevent.add(SESSION_PROPERTY, event.session_key)
    return vevent


# What racecal writes of a session; everything else on the event is left as it is held.
OWNED = ("DTSTAMP", "DTSTART", "DTEND", "DURATION", "SUMMARY", "DESCRIPTION", "SEQUENCE")


def patched(
    current: icalendar.Event, event: SessionEvent, stamp: datetime, sequence: int
) -> icalendar.Event:
    """`current` with racecal's own fields set from `event`: a location, a reminder (VALARM) or
    another app's X- property on it stays."""
    out = icalendar.Event.from_ical(current.to_ical())
    assert isinstance(out, icalendar.Event)
    for name in (*OWNED, SESSION_PROPERTY):
        if name in out:
            del out[name]
    fresh = to_vevent(event, stamp, sequence)
    for name in (*OWNED, SESSION_PROPERTY):
        if name in fresh:
            out.add(name, fresh[name], encode=False)
    return out


def extras_of(component: icalendar.Event) -> tuple[tuple[str, str], ...]:
    """What the athlete may have added to an event that racecal does not write: reminders
    (VALARM), a colour (RFC 7986 COLOR), a status."""
    out: list[tuple[str, str]] = []
    alarms = [c for c in component.subcomponents if c.name == "VALARM"]
    if alarms:
        triggers = sorted(_text(a["TRIGGER"].to_ical()) if "TRIGGER" in a else "" for a in alarms)
        out.append(("reminders", ";".join(triggers)))
    if "COLOR" in component:
        out.append(("colour", str(component["COLOR"])))
    status = str(component.get("STATUS", "")).lower()
    if status and status != "confirmed":
        out.append(("status", status))
    return tuple(out)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def object_for(event: SessionEvent, vevent: icalendar.Event) -> icalendar.Calendar:
    """One session as a calendar object of its own (CalDAV stores one per event; `vevent`: the
    session's VEVENT as patched into what the server held), with a
    VTIMEZONE that servers keep intact: its transitions span only the event's year and the
    next, one observance per transition. Servers that re-serialize through vobject (Radicale)
    keep one value of a multi-valued RDATE, which shifts summer times by an hour for any client
    that trusts the VTIMEZONE."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    tzid = getattr(event.start.tzinfo, "key", None)
    if isinstance(tzid, str):
        calendar.add_component(_timezone(tzid, event.start.year))
    calendar.add_component(vevent)
    return calendar


def _timezone(tzid: str, year: int) -> icalendar.Timezone:
    full = icalendar.Timezone.from_tzid(
        tzid, first_date=date(year, 1, 1), last_date=date(year + 2, 1, 1)
    )
    out = icalendar.Timezone()
    out.add("tzid", tzid)
    for observance in full.subcomponents:
        onsets = [observance.decoded("DTSTART")]
        rdates = observance.get("RDATE", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            onsets.extend(period.dt for period in rdate.dts)
        for onset in onsets:
            single = type(observance)()
            for name, value in observance.property_items(recursive=False):
                if name not in ("BEGIN", "END", "DTSTART", "RDATE"):
                    single.add(name, value)
            single.add("dtstart", onset)
            out.add_component(single)
    return out


def to_remote(component: icalendar.Event, etag: str | None) -> RemoteEvent:
    start = component.start
    try:
        end = component.end
    except (KeyError, ValueError, IndexError):
        end = start
    key = component.get(SESSION_PROPERTY)
    return RemoteEvent(
        id=event_id(component),
        title=str(component.get("SUMMARY", "")),
        start=start,
        end=end,
        description=str(component.get("DESCRIPTION", "")),
        location=str(component.get("LOCATION", "")),
        busy=str(component.get("TRANSP", "OPAQUE")).upper() != "TRANSPARENT",
        session_key=str(key) if key is not None else None,
        etag=etag,
        cancelled=str(component.get("STATUS", "")).upper() == "CANCELLED",
        extras=extras_of(component),
    )


def as_datetime(value: datetime | date, like: datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=like.tzinfo)
    return datetime.combine(value, time(0), tzinfo=like.tzinfo)


def overlaps(event: RemoteEvent, start: datetime, end: datetime) -> bool:
    return as_datetime(event.start, start) < end and start < as_datetime(event.end, start)
