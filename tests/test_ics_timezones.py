"""Issue 13, items 2 and 7: time zones are the file's own. A custom VTIMEZONE in one athlete's
file must not leak into another's file of the same TZID (icalendar caches VTIMEZONEs for the
whole process, first parsed wins), for files and CalDAV objects alike; a TZID that names no
zone is read in the calendar's X-WR-TIMEZONE or the athlete's own zone, with one warning per
TZID."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.caldav.collection import parse_calendar
from connectors.ics import IcsFileSource
from service.planning import read_busy, read_races
from service.sync.engine import run_pass
from tests.support import example_store

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


def nowhere(path: Path, header: str = "") -> Path:
    """Three events in a TZID no VTIMEZONE defines and no zone database knows."""
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:n{day}\r\nSUMMARY:Site visit\r\n"
        f"DTSTART;TZID=Head Office Time:202701{day:02d}T090000\r\n"
        f"DTEND;TZID=Head Office Time:202701{day:02d}T100000\r\nEND:VEVENT\r\n"
        for day in (5, 6, 7)
    )
    path.write_text(
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{header}{events}END:VCALENDAR\r\n",
        encoding="utf-8",
    )
    return path


def test_an_unknown_tzid_is_read_in_the_athletes_zone_with_one_warning(tmp_path: Path) -> None:
    source = IcsFileSource(nowhere(tmp_path / "visits.ics"))
    (warning,) = [p.line for p in source.changes(None).problems]
    assert "TZID 'Head Office Time' names no time zone" in warning
    assert "its 3 event(s) are read in your own time zone" in warning
    busy = read_busy(source.path, BERLIN, *WINDOW)
    assert [(b.start.day, b.start.hour, b.start.tzinfo) for b in busy] == [
        (5, 9, BERLIN),
        (6, 9, BERLIN),
        (7, 9, BERLIN),
    ]


def test_an_unknown_tzid_is_read_in_the_calendars_x_wr_timezone(tmp_path: Path) -> None:
    path = nowhere(tmp_path / "visits.ics", "X-WR-TIMEZONE:America/New_York\r\n")
    source = IcsFileSource(path)
    (warning,) = [p.line for p in source.changes(None).problems]
    assert warning.endswith("its 3 event(s) are read in America/New_York")
    starts = [e.start for e in source.events(*WINDOW)]
    assert sorted(s.astimezone(UTC) for s in starts if isinstance(s, datetime)) == [
        datetime(2027, 1, day, 14, tzinfo=UTC) for day in (5, 6, 7)
    ]
    race_file = tmp_path / "race.ics"
    race_file.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-TIMEZONE:Pacific/Auckland\r\n"
        "BEGIN:VEVENT\r\nUID:r\r\nSUMMARY:Auckland Marathon [A]\r\n"
        "DTSTART;TZID=Race Day Time:20270426T050000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        encoding="utf-8",
    )
    (race,) = read_races(race_file, BERLIN).races
    assert race.date == date(2027, 4, 25)  # 05:00 in Auckland is the evening before in Berlin


def test_the_warning_is_one_line_per_pass_and_tzid(tmp_path: Path) -> None:
    store, entry = example_store(tmp_path)
    nowhere(entry.busy_ics[0])
    for _ in range(2):
        result = run_pass(store, entry, datetime(2027, 1, 4, 5, 0, tzinfo=BERLIN))
        assert result.error is None
        assert len([p for p in result.problems if "Head Office Time" in p]) == 1
