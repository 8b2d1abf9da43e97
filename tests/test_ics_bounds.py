"""Issue 13, item 6: bounded input. A file or feed is read no further than 20 MiB; recurrences
are expanded inside the window only, from near the window (not from a DTSTART in 2000), at most
PER_EVENT occurrences an event and PER_CALENDAR a calendar, and what was cut is reported naming
the event. No timings here: counts of what was read, expanded and reported (bench/hostile.py
prints the times)."""

from __future__ import annotations

import threading
import time as clock
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from connectors.base import IcsError
from connectors.expand import PER_CALENDAR, PER_EVENT, expand
from connectors.ical import bounded, read
from connectors.ics import IcsFileSource
from connectors.ics.url import fetch

BERLIN = ZoneInfo("Europe/Berlin")
YEAR = (datetime(2027, 1, 4, tzinfo=BERLIN), datetime(2028, 1, 4, tzinfo=BERLIN))
MIB = 1024 * 1024


def bytes_read() -> int:
    """What this process has read from files and sockets so far (the kernel's count)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def calendar_text(*events: str, header: str = "") -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + header
        + "".join(events)
        + "END:VCALENDAR\r\n"
    ).encode()


def vevent(uid: str, start: str, rule: str = "", extra: str = "", minutes: int = 1) -> str:
    rrule = f"RRULE:{rule}\r\n" if rule else ""
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{uid}\r\nDTSTART{start}\r\n"
        f"DURATION:PT{minutes}M\r\n{rrule}{extra}END:VEVENT\r\n"
    )


def test_a_1_gib_file_is_refused_without_being_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "huge.ics"
    with path.open("wb") as handle:
        handle.write(calendar_text()[:-15])
        handle.truncate(1024 * MIB)  # sparse: no disk is used
    before = bytes_read()
    with pytest.raises(IcsError) as err:
        IcsFileSource(path).changes(None)
    assert str(err.value) == f"{path}: larger than 20 MiB"
    assert bytes_read() - before < 21 * MIB


class Announcing(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("Content-Length", str(1024 * MIB))
        self.end_headers()
        self.wfile.write(b"BEGIN:VCALENDAR\r\n")
        self.wfile.flush()
        clock.sleep(3)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def announcing() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Announcing)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/secret/feed.ics"
    httpd.shutdown()
    httpd.server_close()


def test_a_feed_announcing_1_gib_is_refused_before_its_body(
    announcing: str, tmp_path: Path
) -> None:
    before = bytes_read()
    with pytest.raises(IcsError) as err:
        fetch(announcing, tmp_path)
    assert str(err.value) == "http://127.0.0.1/...: larger than 20 MiB"
    assert bytes_read() - before < MIB
    assert not list(tmp_path.glob("*.ics"))


def source_of(tmp_path: Path, data: bytes) -> IcsFileSource:
    path = tmp_path / "busy.ics"
    path.write_bytes(data)
    return IcsFileSource(path)


@pytest.mark.parametrize(("freq", "step"), [("MINUTELY", 60), ("SECONDLY", 1)])
def test_a_series_repeating_since_2000_gives_its_first_occurrences_in_the_window(
    freq: str, step: int
) -> None:
    data = calendar_text(vevent("every", ";TZID=Europe/Berlin:20000101T000000", f"FREQ={freq}"))
    events, cut = bounded(read(data, "busy.ics").calendar, "busy.ics", *YEAR)
    assert len(events) == PER_EVENT
    starts = sorted(e.start for e in events if isinstance(e.start, datetime))
    # The occurrence already running at the window's start counts (it overlaps).
    assert starts[0] <= YEAR[0] < starts[0] + timedelta(minutes=1)
    assert starts[-1] - starts[0] == timedelta(seconds=step * (PER_EVENT - 1))
    assert cut == (
        f"busy.ics: event UID every: more than {PER_EVENT} occurrences from 2027-01-04 to "
        f"2028-01-04; the first {PER_EVENT} are read",
    )


def test_a_calendar_stops_at_its_limit_and_says_so_once() -> None:
    series = [vevent(f"s{n}", f":2000010{n + 1}T000000Z", "FREQ=MINUTELY") for n in range(5)]
    calendar = read(calendar_text(*series), "busy.ics").calendar
    found = expand(calendar, "busy.ics", *YEAR)
    assert len(found.components) == PER_CALENDAR
    assert len(found.cut) == 5
    assert found.cut[-1].startswith(f"busy.ics: more than {PER_CALENDAR} occurrences")


def test_many_single_events_stop_at_the_calendar_limit() -> None:
    singles = [vevent(f"e{n}", f":20270110T{n // 60:02d}{n % 60:02d}00Z") for n in range(300)]
    calendar = read(calendar_text(*singles), "busy.ics").calendar
    found = expand(calendar, "busy.ics", *YEAR, per_calendar=250)
    assert len(found.components) == 250
    assert len(found.cut) == 1
    assert "more than 250 occurrences" in found.cut[0]


SERIES = {
    "hourly across DST": vevent(
        "h", ";TZID=Europe/Berlin:20000101T003000", "FREQ=HOURLY;INTERVAL=7", minutes=30
    ),
    "weekly with days, an EXDATE and a moved one": vevent(
        "w",
        ";TZID=Europe/Berlin:20000104T070000",
        "FREQ=WEEKLY;BYDAY=TU,TH;WKST=MO",
        "EXDATE;TZID=Europe/Berlin:20270323T070000\r\n",
        minutes=60,
    )
    + "BEGIN:VEVENT\r\nUID:w\r\nRECURRENCE-ID;TZID=Europe/Berlin:20270325T070000\r\n"
    "DTSTART;TZID=Europe/Berlin:20270325T110000\r\nDURATION:PT1H\r\nEND:VEVENT\r\n",
    "daily with a count": vevent("c", ":20000101T060000Z", "FREQ=DAILY;COUNT=10000"),
    "every 3 days until": vevent(
        "u", ":20000101T060000Z", "FREQ=DAILY;INTERVAL=3;UNTIL=20270401T000000Z"
    ),
    "floating, every 90 minutes": vevent("f", ":20000101T000000", "FREQ=MINUTELY;INTERVAL=90"),
    "longer than its period": vevent("l", ":20000101T000000Z", "FREQ=HOURLY", minutes=150),
}


@pytest.mark.parametrize("name", sorted(SERIES))
def test_started_near_the_window_a_series_has_the_occurrences_it_had(name: str) -> None:
    window = (datetime(2027, 3, 20, tzinfo=BERLIN), datetime(2027, 4, 3, tzinfo=BERLIN))
    data = calendar_text(SERIES[name])
    whole = icalendar.Calendar.from_ical(data)
    expected = sorted(
        (str(e.start), str(e.end)) for e in recurring_ical_events.of(whole).between(*window)
    )
    found = expand(read(data, "busy.ics").calendar, "busy.ics", *window)
    assert found.cut == ()
    assert sorted((str(e.start), str(e.end)) for e in found.components) == expected
    assert expected


def test_the_source_reports_what_was_cut(tmp_path: Path) -> None:
    source = source_of(
        tmp_path, calendar_text(vevent("every", ":20000101T000000Z", "FREQ=SECONDLY"))
    )
    assert len(source.events(*YEAR)) == PER_EVENT
