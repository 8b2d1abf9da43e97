"""Races and busy time from real .ics files (the shipped examples and hand-written variants)."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.base import IcsError
from scheduler.model import Priority
from service.planning import read_busy, read_races

ROOT = Path(__file__).resolve().parent.parent
BERLIN = ZoneInfo("Europe/Berlin")


def ics(tmp_path: Path, body: str, name: str = "cal.ics") -> Path:
    path = tmp_path / name
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + body.replace("\n", "\r\n")
        + "END:VCALENDAR\r\n"
    )
    path.write_text(text, encoding="utf-8")
    return path


def test_example_races_are_the_three_races_and_not_the_expo() -> None:
    read = read_races(ROOT / "examples" / "races.ics", BERLIN)
    got = sorted((r.date, r.title, r.priority, round(r.distance_km, 1)) for r in read.races)
    assert got == [
        (date(2027, 2, 27), "Parkrun 5K #C", Priority.C, 5.0),
        (date(2027, 3, 28), "Berliner Halbmarathon (B race)", Priority.B, 21.1),
        (date(2027, 4, 25), "Hamburg Marathon [A]", Priority.A, 42.2),
    ]
    assert read.problems == ()
    hamburg = next(r for r in read.races if r.priority is Priority.A)
    assert hamburg.planned_since == date(2026, 10, 2)  # CREATED: when it was added (P3)
    assert hamburg.location.startswith("Karolinenstraße")


def test_late_evening_utc_race_lands_on_the_local_date(tmp_path: Path) -> None:
    path = ics(
        tmp_path,
        "BEGIN:VEVENT\nUID:x\nDTSTART:20270424T230000Z\n"
        "DTEND:20270425T030000Z\nSUMMARY:Midnight 10K\nEND:VEVENT\n",
    )
    (race,) = read_races(path, BERLIN).races
    assert race.date == date(2027, 4, 25)


def test_all_day_race(tmp_path: Path) -> None:
    path = ics(
        tmp_path,
        "BEGIN:VEVENT\nUID:y\nDTSTART;VALUE=DATE:20270605\n"
        "DTEND;VALUE=DATE:20270607\nSUMMARY:Trail ultra 80 km [A]\nEND:VEVENT\n",
    )
    (race,) = read_races(path, BERLIN).races
    assert (race.date, race.distance_km, race.priority) == (date(2027, 6, 5), 80.0, Priority.A)


def test_malformed_file_is_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.ics"
    path.write_text("this is not a calendar\n", encoding="utf-8")
    with pytest.raises(IcsError) as err:
        read_races(path, BERLIN)
    assert str(err.value).startswith(f"{path}: not a valid iCalendar file (")
    assert "\n" not in str(err.value)


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(IcsError, match="file not found"):
        read_races(tmp_path / "gone.ics", BERLIN)


def test_broken_event_is_reported_and_skipped(tmp_path: Path) -> None:
    path = ics(
        tmp_path,
        "BEGIN:VEVENT\nUID:a\nDTSTART:2027XX01\nSUMMARY:Bad 10K\nEND:VEVENT\n"
        "BEGIN:VEVENT\nUID:b\nDTSTART;VALUE=DATE:20270501\nSUMMARY:Good 5K\nEND:VEVENT\n",
    )
    read = read_races(path, BERLIN)
    assert [r.title for r in read.races] == ["Good 5K"]
    assert len(read.problems) == 1
    assert "Bad 10K" in read.problems[0]
    assert str(path) in read.problems[0]


def test_busy_expands_recurrences_minus_exdate_and_skips_all_day() -> None:
    start = datetime(2027, 1, 4, tzinfo=BERLIN)
    end = datetime(2027, 1, 11, tzinfo=BERLIN)
    busy = read_busy(ROOT / "examples" / "busy.ics", BERLIN, start, end)
    got = [(b.start.date(), b.start.time(), b.end.time()) for b in busy]
    assert got == [
        (date(2027, 1, 6), time(18), time(20)),  # choir; Tue 5th stand-up is an EXDATE
        (date(2027, 1, 7), time(7), time(8)),  # stand-up
    ]
    vacation = read_busy(
        ROOT / "examples" / "busy.ics",
        BERLIN,
        datetime(2027, 2, 19, tzinfo=BERLIN),
        datetime(2027, 2, 20, tzinfo=BERLIN),
    )
    assert vacation == []


def test_busy_across_dst_keeps_local_wall_clock() -> None:
    start = datetime(2027, 3, 22, tzinfo=BERLIN)
    end = datetime(2027, 4, 5, tzinfo=BERLIN)
    busy = read_busy(ROOT / "examples" / "busy.ics", BERLIN, start, end)
    standups = [b for b in busy if b.start.astimezone(BERLIN).time() == time(7)]
    assert len(standups) == 4  # Tue/Thu, both weeks, 07:00 local before and after the change
    offsets = {b.start.utcoffset() for b in standups}
    assert len(offsets) == 2
