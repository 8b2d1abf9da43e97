"""The plainest VEVENTs read without icalendar: what a big calendar is mostly made of.

icalendar builds a component, a parameter map and a typed value for every line of every
event, about 0.2 ms an event: 100,000 meetings cost seconds before the window is even known.
Most events of a big export say no more than a UID, a title, a start and an end. Such an
event is read here with a few patterns, and gives exactly what icalendar would give; anything
else (a TZID, a repeat, an alarm, a parameter, a property not listed below, a value that does
not fit its pattern, a line twice) is left to icalendar (None), which stays the reference.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from connectors.base import RemoteEvent

UTC = ZoneInfo("UTC")  # what icalendar gives a time ending in Z

# Properties whose value is text kept as it stands (a backslash sends the event to icalendar).
TEXT = frozenset({"UID", "SUMMARY", "DESCRIPTION", "LOCATION", "TRANSP", "STATUS", "CLASS"})
# Properties that are a UTC time, read for CREATED only, checked for the rest.
STAMPS = frozenset({"DTSTAMP", "CREATED", "LAST-MODIFIED"})
NUMBERS = frozenset({"SEQUENCE", "PRIORITY"})
TIMES = frozenset({"DTSTART", "DTEND"})

# icalendar's own unfolding and line split (icalendar.parser.content_line).
_FOLD = re.compile(r"(?:(?<!\n)\r\n|(?<![\r\n])\n)(?:\r?\n)*[ \t]")
_NEWLINE = re.compile(r"\r?\n")
_LINE = re.compile(r"([A-Z][A-Z0-9-]*)(;VALUE=DATE)?:([^\\\r]*)", re.ASCII)
_STAMP = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})(Z?)")
_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_NUMBER = re.compile(r"[0-9]{1,9}")
_WEEKS = re.compile(r"P([0-9]{1,6})W")
_SPAN = re.compile(
    r"P(?:([0-9]{1,6})D)?(?:T(?:([0-9]{1,6})H)?(?:([0-9]{1,6})M)?(?:([0-9]{1,6})S)?)?"
)


def plain(text: bytes, zoned: bool) -> RemoteEvent | None:
    """The event in `text` (one BEGIN:VEVENT ... END:VEVENT) as `connectors.ical.component`
    reads it when it is plain, else None. Plain events have a UID without surrounding blanks
    (so no UID is made up for them, and their one occurrence is the same event). `zoned`: the
    calendar has an X-WR-TIMEZONE, which sets the zone of floating times (the library's way):
    an event with one is not plain."""
    try:
        unfolded = text.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\n " in unfolded or "\n\t" in unfolded:
        unfolded = _FOLD.sub("", unfolded)
    lines = [line for line in _NEWLINE.split(unfolded) if line]
    if len(lines) < 3 or lines[0] != "BEGIN:VEVENT" or lines[-1] != "END:VEVENT":
        return None
    values: dict[str, str] = {}
    dated: set[str] = set()
    for line in lines[1:-1]:
        found = _LINE.fullmatch(line)
        if found is None:
            return None
        name, as_date, value = found.groups()
        if name in values or not _known(name, value, bool(as_date)):
            return None
        values[name] = value
        if as_date:
            dated.add(name)
    return _event(values, dated, zoned)


def _known(name: str, value: str, as_date: bool) -> bool:
    if as_date:
        return name in TIMES
    if name in TEXT or name in TIMES or name == "DURATION":
        return True
    if name in STAMPS:
        return _utc(value) is not None
    if name in NUMBERS:
        return _NUMBER.fullmatch(value) is not None
    return name.startswith("X-") and not name.startswith("X-WR-")


def _event(values: dict[str, str], dated: set[str], zoned: bool) -> RemoteEvent | None:
    uid = values.get("UID", "")
    if not uid or uid != uid.strip() or "DTSTART" not in values:
        return None
    if "DTEND" in values and "DURATION" in values:
        return None
    start = _time(values["DTSTART"], "DTSTART" in dated)
    if start is None or (zoned and isinstance(start, datetime) and start.tzinfo is None):
        return None
    if "DTEND" in values:
        end = _time(values["DTEND"], "DTEND" in dated)
        if end is None or not _alike(start, end):
            return None
    elif "DURATION" in values:
        length = _duration(values["DURATION"])
        if length is None or not isinstance(start, datetime):
            return None
        end = start + length
    elif isinstance(start, datetime):
        end = start
    else:
        end = start + timedelta(days=1)
    created = _utc(values["CREATED"]) if "CREATED" in values else None
    return RemoteEvent(
        id=uid,
        uid=uid,
        title=values.get("SUMMARY", "").strip(),
        description=values.get("DESCRIPTION", ""),
        location=values.get("LOCATION", ""),
        start=start,
        end=end,
        busy=values.get("TRANSP", "OPAQUE").upper() != "TRANSPARENT",
        cancelled=values.get("STATUS", "").upper() == "CANCELLED",
        created=created,
    )


def _alike(start: date, end: date) -> bool:
    """Both days, or both times of one kind (UTC or floating)."""
    if isinstance(start, datetime) and isinstance(end, datetime):
        return (start.tzinfo is None) == (end.tzinfo is None)
    return not isinstance(start, datetime) and not isinstance(end, datetime)


def _time(value: str, as_date: bool) -> date | None:
    try:
        if as_date:
            day = _DATE.fullmatch(value)
            return date(*map(int, day.groups())) if day and value[:4] != "0000" else None
        found = _STAMP.fullmatch(value)
        if found is None or value[:4] == "0000":
            return None
        year, month, day_, hour, minute, second = (int(n) for n in found.groups()[:6])
        zone = UTC if found.group(7) else None
        return datetime(year, month, day_, hour, minute, second, tzinfo=zone)
    except ValueError:
        return None


def _utc(value: str) -> datetime | None:
    moment = _time(value, False) if value.endswith("Z") else None
    return moment if isinstance(moment, datetime) else None


def _duration(value: str) -> timedelta | None:
    weeks = _WEEKS.fullmatch(value)
    if weeks:
        return timedelta(weeks=int(weeks.group(1)))
    found = _SPAN.fullmatch(value)
    if found is None or value in ("P", "PT") or value.endswith("T"):
        return None
    days, hours, minutes, seconds = (int(part or 0) for part in found.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
