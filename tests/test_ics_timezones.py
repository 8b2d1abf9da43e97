"""Issue 13, items 2 and 7: time zones are the file's own. A custom VTIMEZONE in one athlete's
file must not leak into another's file of the same TZID (icalendar caches VTIMEZONEs for the
whole process, first parsed wins), for files and CalDAV objects alike; a TZID that names no
zone is read in the calendar's X-WR-TIMEZONE or the athlete's own zone, with one warning per
TZID."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.caldav.collection import parse_calendar
from connectors.ics import IcsFileSource

BERLIN = ZoneInfo("Europe/Berlin")
WINDOW = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC))


def office(offset: str) -> str:
    """A calendar whose events use a custom zone 'Office Time' at `offset` all year."""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        "BEGIN:VEVENT\r\nUID:meeting\r\nSUMMARY:Meeting\r\n"
        "DTSTART;TZID=Office Time:20270105T090000\r\n"
        "DTEND;TZID=Office Time:20270105T100000\r\nEND:VEVENT\r\n"
        "BEGIN:VTIMEZONE\r\nTZID:Office Time\r\nBEGIN:STANDARD\r\n"
        f"DTSTART:19700101T000000\r\nTZOFFSETFROM:{offset}\r\nTZOFFSETTO:{offset}\r\n"
        "END:STANDARD\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n"
    )


def utc_start_of_file(path: Path) -> datetime:
    (event,) = IcsFileSource(path).events(*WINDOW)
    assert isinstance(event.start, datetime)
    return event.start.astimezone(UTC)


@pytest.mark.parametrize("first", ["east", "west"])
def test_two_files_with_one_tzid_keep_their_own_zones_in_either_order(
    first: str, tmp_path: Path
) -> None:
    east, west = tmp_path / "east.ics", tmp_path / "west.ics"
    east.write_text(office("+0500"), encoding="utf-8")
    west.write_text(office("-0300"), encoding="utf-8")
    order = [east, west] if first == "east" else [west, east]
    got = {path.name: utc_start_of_file(path) for path in order}
    assert got == {
        "east.ics": datetime(2027, 1, 5, 4, tzinfo=UTC),
        "west.ics": datetime(2027, 1, 5, 12, tzinfo=UTC),
    }


@pytest.mark.parametrize("first", ["east", "west"])
def test_two_caldav_objects_with_one_tzid_keep_their_own_zones_in_either_order(
    first: str,
) -> None:
    texts = {"east": office("+0500"), "west": office("-0300")}
    order = ["east", "west"] if first == "east" else ["west", "east"]
    got = {}
    for name in order:
        calendar, reason = parse_calendar(texts[name])
        assert calendar is not None, reason
        (event,) = calendar.walk("VEVENT")
        got[name] = event.start.astimezone(UTC)
    assert got == {
        "east": datetime(2027, 1, 5, 4, tzinfo=UTC),
        "west": datetime(2027, 1, 5, 12, tzinfo=UTC),
    }
