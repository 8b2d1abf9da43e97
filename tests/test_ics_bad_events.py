"""Issue 13, item 5: one bad event in a busy (or race) calendar is skipped and named by its
line, UID and title, and the rest of the calendar is read; it used to fail the whole calendar
("not a valid iCalendar file") on every pass."""

from __future__ import annotations

import shutil
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from connectors.ics import IcsFileSource
from service.planning import read_busy, read_races
from service.sync.engine import run_pass
from tests.support import example_store

HERE = Path(__file__).resolve().parent
THREE_BAD = HERE / "calendars" / "busy_three_bad_events.ics"
BERLIN = ZoneInfo("Europe/Berlin")
WEEK = (datetime(2027, 1, 4, tzinfo=BERLIN), datetime(2027, 1, 11, tzinfo=BERLIN))
BAD = {  # UID: the line its VEVENT begins on
    "bad-dtstart@work.example": 29,
    "no-start@work.example": 47,
    "bad-rule@work.example": 58,
}


def test_the_good_events_come_through_and_each_bad_one_is_named_once() -> None:
    found = IcsFileSource(THREE_BAD).changes(None)
    assert sorted(e.uid for e in found.events) == [
        "good-choir@work.example",
        "good-lunch@work.example",
        "good-review@work.example",
        "good-standup@work.example",
    ]
    assert len(found.problems) == 3
    for uid, line in BAD.items():
        (named,) = [p.line for p in found.problems if uid in p.line]
        assert named.startswith(f"{THREE_BAD}, line {line}: ")
        assert named.endswith("; skipped")
    assert "'Dentist'" in next(p.line for p in found.problems if "bad-dtstart" in p.line)


def test_busy_time_is_read_around_the_bad_events() -> None:
    busy = read_busy(THREE_BAD, BERLIN, *WEEK)
    got = [(b.start.date(), b.start.time(), b.end.time()) for b in busy]
    assert got == [
        (date(2027, 1, 5), time(7), time(8)),  # stand-up
        (date(2027, 1, 6), time(14), time(16)),  # review
        (date(2027, 1, 6), time(18), time(20)),  # choir, 17:00Z
        (date(2027, 1, 7), time(7), time(8)),  # stand-up
        (date(2027, 1, 8), time(12), time(13)),  # lunch; the broken 1:1 at 9:00 is left out
    ]


def test_as_a_race_calendar_too() -> None:
    read = read_races(THREE_BAD, BERLIN)
    assert read.races == ()
    assert len(read.problems) == 3


def test_a_pass_with_the_busy_calendar_plans_and_names_each_bad_event_once(
    tmp_path: Path,
) -> None:
    store, entry = example_store(tmp_path)
    shutil.copyfile(THREE_BAD, entry.busy_ics[0])
    result = run_pass(store, entry, datetime(2027, 1, 4, 5, 0, tzinfo=BERLIN))
    assert result.error is None
    assert result.created > 0
    for uid in BAD:
        assert len([p for p in result.problems if uid in p]) == 1


def test_an_override_with_two_recurrence_ids_is_skipped_not_the_calendar(tmp_path: Path) -> None:
    # Seen: the whole busy calendar failed at the window (AttributeError in the expansion).
    path = tmp_path / "busy.ics"
    path.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
        "BEGIN:VEVENT\r\nUID:standup\r\nSUMMARY:Stand-up\r\nDTSTART:20270104T080000Z\r\n"
        "DTEND:20270104T083000Z\r\nRRULE:FREQ=DAILY;COUNT=5\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:standup\r\nSUMMARY:Stand-up moved\r\n"
        "RECURRENCE-ID:20270105T080000Z\r\nRECURRENCE-ID:20270106T080000Z\r\n"
        "DTSTART:20270105T090000Z\r\nDTEND:20270105T093000Z\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:dentist\r\nSUMMARY:Dentist\r\nDTSTART:20270107T140000Z\r\n"
        "DTEND:20270107T150000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        encoding="utf-8",
    )
    source = IcsFileSource(path)
    events = source.events(*WEEK)
    # The series as it stands without the broken override, and the other event.
    assert sorted((e.uid, e.start.day) for e in events) == [
        ("dentist", 7),
        *(("standup", day) for day in range(4, 9)),
    ]
    (problem,) = source.changes(None).problems
    assert problem.line == (
        f"{path}, line 11: event 'Stand-up moved' (UID standup) has more than one "
        "RECURRENCE-ID; skipped"
    )
    assert "Stand-up" not in (problem.plain or "")
