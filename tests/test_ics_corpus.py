"""Robustness of the .ics readers over the real-world and malformed calendars that icalendar
and recurring-ical-events ship with their packages (about 258 files), and over hand-written
broken files: every file gives races/busy time or one IcsError line, never another exception;
and a sync pass whose race file breaks keeps serving the last good plan."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from connectors.base import IcsError
from connectors.ics import IcsFileSource
from service.planning import read_busy, read_races
from service.sync.engine import run_pass
from tests.support import example_store

ROOT = Path(__file__).resolve().parent.parent
BERLIN = ZoneInfo("Europe/Berlin")
CORPUS = sorted(
    path
    for package in (icalendar, recurring_ical_events)
    for path in Path(package.__file__).resolve().parent.rglob("*.ics")
)
WINDOW = (datetime(1990, 1, 1, tzinfo=BERLIN), datetime(2040, 1, 1, tzinfo=BERLIN))

BROKEN = {
    "empty.ics": b"",
    "html-error-page.ics": b"<html><body>502 Bad Gateway</body></html>",
    "truncated.ics": b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:2027",
    "no-end.ics": b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:10K\r\n",
    "binary.ics": bytes(range(256)) * 4,
    "bad-date.ics": b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:2027-13-45\r\n"
    b"SUMMARY:Marathon [A]\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    "bad-rrule.ics": b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20270101T100000Z\r\n"
    b"RRULE:FREQ=SOMETIMES\r\nSUMMARY:Meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    "json.ics": b'{"events": []}',
    "latin1.ics": "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20270501\r\n"
    "SUMMARY:Lauf über 10 km\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".encode("latin-1"),
    "vcard.ics": b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Alex\r\nEND:VCARD\r\n",
}


def test_the_corpus_is_there() -> None:
    assert len(CORPUS) >= 200


def failure(read: Callable[[], object]) -> str | None:
    """The IcsError message of `read`, or None when it succeeded; anything else propagates."""
    try:
        read()
    except IcsError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_world_files_read_or_fail_in_one_line(path: Path) -> None:
    for read in (lambda: read_races(path, BERLIN), lambda: read_busy(path, BERLIN, *WINDOW)):
        message = failure(read)
        if message is not None:
            assert message.startswith(f"{path}: ")
            assert "\n" not in message


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_files_fail_in_one_line_or_yield_nothing_wrong(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(BROKEN[name])
    message = failure(lambda: read_races(path, BERLIN))
    if message is not None:
        assert "\n" not in message
        assert str(path) in message
        return
    read = read_races(path, BERLIN)
    assert all(0.8 < r.distance_km <= 400 for r in read.races)
    assert all("\n" not in p for p in read.problems)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_race_file_keeps_the_last_good_plan(name: str, tmp_path: Path) -> None:
    store, entry = example_store(tmp_path)
    now = datetime(2027, 1, 11, 5, 0, tzinfo=BERLIN)
    assert run_pass(store, entry, now).error is None
    good = entry.output_ics.read_bytes()
    entry.race_ics[0].write_bytes(BROKEN[name])
    result = run_pass(store, entry, now)
    if result.error is not None:
        assert "\n" not in result.error
        assert str(entry.race_ics[0]) in result.error
        assert entry.output_ics.read_bytes() == good
    else:
        # The file parses. Every race vanishing at once is held as a fault (the empty-source
        # guard): the plan is kept until the athlete confirms; otherwise it follows the file.
        sessions = icalendar.Calendar.from_ical(entry.output_ics.read_bytes()).walk("VEVENT")
        races_left = any("google.com/w" in str(e.get("X-RACECAL-SESSION", "")) for e in sessions)
        assert bool(result.held) == (entry.output_ics.read_bytes() == good) or races_left
    expected_error = name not in ("bad-rrule.ics", "latin1.ics")
    assert (result.error is not None) == expected_error


BAD_EVENT = (
    b"BEGIN:VEVENT\r\nUID:planted-bad@racecal.test\r\nSUMMARY:Planted\r\n"
    b"DTSTART:2027XX01T100000\r\nEND:VEVENT\r\n"
)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_file_that_reads_as_races_reads_as_busy_time_with_a_bad_event_inside(
    path: Path, tmp_path: Path
) -> None:
    if failure(lambda: read_races(path, BERLIN)) is not None:
        return
    assert failure(lambda: read_busy(path, BERLIN, *WINDOW)) is None
    data = path.read_bytes()
    end = data.upper().rfind(b"END:VCALENDAR")
    if end < 0:
        return
    planted = tmp_path / path.name
    planted.write_bytes(data[:end] + BAD_EVENT + data[end:])
    assert failure(lambda: read_busy(planted, BERLIN, *WINDOW)) is None
    found = IcsFileSource(planted).changes(None)
    assert len([p for p in found.problems if "planted-bad@racecal.test" in p.line]) == 1
