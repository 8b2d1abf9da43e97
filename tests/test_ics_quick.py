"""Issue 13, item 6: 100,000 busy events are read without icalendar parsing each one. Plain
events (connectors.quick) are read by a few patterns and kept outside the icalendar tree; the
property here holds that this gives the same events, problems, occurrences, cut lines and busy
time as icalendar reading every event, for calendars mixing plain events with everything the
patterns must leave to icalendar; and so does every file of the corpus."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import astuple
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import IcsError, RemoteEvent
from connectors.expand import PER_CALENDAR, PER_EVENT
from connectors.ical import Read, read
from connectors.ics import IcsFileSource
from scheduler.busy import busy_from
from tests.test_ics_corpus import CORPUS

UTC = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")
WINDOW = (datetime(2027, 3, 22, tzinfo=BERLIN), datetime(2027, 4, 5, tzinfo=BERLIN))
OFFICE = (
    "BEGIN:VTIMEZONE\r\nTZID:Office Time\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
    "TZOFFSETFROM:+0300\r\nTZOFFSETTO:+0300\r\nTZNAME:OT\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
)


def calendar(events: list[str], header: str = "") -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + header
        + "".join(events)
        + "END:VCALENDAR\r\n"
    ).encode()


# A moment around the window (some before, some after): days and minutes from its start.
moments = st.builds(
    # Aware only to be written: each event gives the time its own form (UTC, floating, a TZID).
    lambda days, minutes: datetime(2027, 3, 22, tzinfo=UTC) + timedelta(days=days, minutes=minutes),
    # Few values, so that events often share a start (their order is then the file's).
    st.integers(-3, 16),
    st.sampled_from([0, 420, 1439]),
)
texts = st.sampled_from(
    [
        "Meeting",
        " padded ",
        "a, b; c: d",
        "escaped\\, comma\\nline",
        "back\\\\slash",
        "Zürich ☕",
        "",
        "x" * 90,
    ]
)
# Mostly a UID of its own; sometimes one another event has too, a blank one or none.
uids = st.one_of(
    st.uuids().map(str),
    st.uuids().map(str),
    st.sampled_from(["a@x", "b@x", " d@x ", "", None]),
)


def stamp(moment: datetime, form: str) -> str:
    if form == "utc":
        return f":{moment:%Y%m%dT%H%M%S}Z"
    if form == "floating":
        return f":{moment:%Y%m%dT%H%M%S}"
    if form == "date":
        return f";VALUE=DATE:{moment:%Y%m%d}"
    if form == "bare date":
        return f":{moment:%Y%m%d}"
    if form == "broken":
        return ":2027-13-45"
    return f";TZID={form}:{moment:%Y%m%dT%H%M%S}"


def fold(line: str) -> str:
    """A content line folded at 40 octets' worth of characters, as long lines are."""
    return "\r\n ".join(line[i : i + 40] for i in range(0, len(line), 40)) if line else line


@st.composite
def vevents(draw: st.DrawFn) -> str:
    start = draw(moments)
    form = draw(
        st.sampled_from(
            [
                *("utc", "utc", "utc", "floating", "floating", "date", "bare date", "broken"),
                *("Europe/Berlin", "Office Time", "Nowhere/Land"),
            ]
        )
    )
    lines = ["BEGIN:VEVENT"]
    uid = draw(uids)
    if uid is not None:
        lines.append(f"UID:{uid}")
    lines.append(f"SUMMARY:{draw(texts)}")
    if draw(st.booleans()):
        lines.append(f"DESCRIPTION:{draw(texts)}")
    if draw(st.booleans()):
        lines.append(f"LOCATION:{draw(texts)}")
    if draw(st.integers(0, 9)):
        lines.append(f"DTSTART{stamp(start, form)}")
    ending = draw(st.sampled_from(["dtend", "duration", "none", "weeks", "bad", "mixed"]))
    length = timedelta(minutes=draw(st.sampled_from([0, 15, 60, 1440, 2 * 1440])))
    if ending == "dtend":
        lines.append(f"DTEND{stamp(start + length, form)}")
    elif ending == "mixed":
        lines.append(f"DTEND{stamp(start + length, 'date' if form == 'utc' else 'utc')}")
    elif ending == "duration":
        lines.append(f"DURATION:PT{length.total_seconds() // 60:.0f}M")
    elif ending == "weeks":
        lines.append("DURATION:P1W")
    elif ending == "bad":
        lines.append(draw(st.sampled_from(["DURATION:PT", "DURATION:-PT5M", "DURATION:soon"])))
    extras = st.sampled_from(
        [
            "TRANSP:TRANSPARENT",
            "TRANSP:opaque",
            "STATUS:CANCELLED",
            "STATUS:cancelled",
            "STATUS:CONFIRMED",
            "CLASS:PRIVATE",
            "DTSTAMP:20270101T120000Z",
            "DTSTAMP:20270101T120000",
            "CREATED:20261201T080000Z",
            "CREATED:nonsense",
            "LAST-MODIFIED:20270101T120000Z",
            "SEQUENCE:3",
            "SEQUENCE:x",
            "PRIORITY:5",
            "X-APP-NOTE:anything: at all",
            "X-WR-ODD:inside an event",
            "summary:lower case name",
            "SUMMARY:twice",
            "SUMMARY;LANGUAGE=de:Besprechung",
            "ORGANIZER:mailto:a@example.com",
            "RRULE:FREQ=DAILY;COUNT=4",
            "RRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=20270601T000000Z",
            "RRULE:FREQ=SOMETIMES",
            f"RDATE{stamp(start + timedelta(days=3), form)}",
            f"EXDATE{stamp(start + timedelta(days=1), form)}",
            f"RECURRENCE-ID{stamp(start + timedelta(days=1), form)}",
            "BEGIN:VALARM\r\nTRIGGER:-PT15M\r\nACTION:DISPLAY\r\nEND:VALARM",
        ]
    )
    # Plain events are most of a big calendar: most here carry none of these.
    lines.extend(draw(st.lists(extras, max_size=3)) if draw(st.integers(0, 2)) == 0 else [])
    lines.append("END:VEVENT")
    if draw(st.integers(0, 5)) == 0:
        lines = [fold(line) for line in lines]
    return "".join(f"{line}\r\n" for line in lines)


headers = st.sampled_from(["", OFFICE, "X-WR-TIMEZONE:America/New_York\r\n"])
broken_blocks = st.sampled_from(
    [
        "BEGIN:VEVENT\r\nUID:broken@x\r\nDTSTART:20270323T100000Z\r\nBEGIN:VALARM\r\n"
        "END:VTODO\r\nEND:VEVENT\r\n",
        "BEGIN:VEVENT\r\nUID:nocolon@x\r\nDTSTART:20270323T100000Z\r\nJUST TEXT\r\nEND:VEVENT\r\n",
    ]
)


def outcome(data: bytes, quick: bool) -> Read | str:
    try:
        return read(data, "busy.ics", basis=Path("busy.ics"), quick=quick)
    except IcsError as exc:
        return str(exc)


def window_of(
    found: Read,
    start: datetime = WINDOW[0],
    end: datetime = WINDOW[1],
    per_event: int = PER_EVENT,
    per_calendar: int = PER_CALENDAR,
) -> tuple[object, ...]:
    """The occurrences in the window (in no order: recurring-ical-events gives a series'
    occurrences in an order of its own), the cut lines and the busy time."""
    try:
        events, cut = found.bounded("busy.ics", start, end, per_event, per_calendar)
    except IcsError as exc:  # the series cannot be expanded at all: the same either way
        return (str(exc),)
    return sorted(written(events), key=repr), cut, busy_from(events, BERLIN)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(vevents(), vevents(), vevents(), broken_blocks), max_size=14),
    headers,
    st.integers(1, 4),
    st.integers(1, 12),
)
def test_plain_events_read_quickly_read_as_icalendar_reads_them(
    events: list[str], header: str, per_event: int, per_calendar: int
) -> None:
    data = calendar(events, header)
    full, quick = outcome(data, quick=False), outcome(data, quick=True)
    if isinstance(full, str) or isinstance(quick, str):
        assert quick == full  # no calendar at all (an event never ends): the same either way
        return
    assert written(quick.events) == written(full.events)
    assert [p.line for p in quick.problems] == [p.line for p in full.problems]
    assert quick.problems == full.problems
    limits = (*WINDOW, per_event, per_calendar)
    assert window_of(quick, *limits) == window_of(full, *limits)


def plain_meetings(count: int) -> bytes:
    first = datetime(2027, 3, 22, 7, tzinfo=UTC)
    return calendar(
        [
            f"BEGIN:VEVENT\r\nUID:e{n}@bench\r\nSUMMARY:Meeting {n}\r\n"
            f"DTSTART:{first + timedelta(minutes=5 * n):%Y%m%dT%H%M%SZ}\r\n"
            "DURATION:PT4M\r\nEND:VEVENT\r\n"
            for n in range(count)
        ]
    )


def test_a_calendar_of_plain_events_holds_no_icalendar_event(tmp_path: Path) -> None:
    found = read(plain_meetings(300), "busy.ics", quick=True)
    assert len(found.alone) == len(found.events) == 300
    assert not found.calendar.walk("VEVENT")
    events, cut = found.bounded("busy.ics", *WINDOW, per_calendar=100)
    assert [e.uid for e in events] == [f"e{n}@bench" for n in range(100)]
    assert cut == (
        "busy.ics: more than 100 occurrences from 2027-03-22 to 2027-04-05; the calendar is "
        "read up to 2027-03-22 15:20",
    )


def test_a_plain_event_sharing_its_uid_is_left_to_icalendar() -> None:
    master = (
        "BEGIN:VEVENT\r\nUID:shared@x\r\nSUMMARY:Weekly\r\nDTSTART:20270322T090000Z\r\n"
        "DURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nEND:VEVENT\r\n"
    )
    moved = (
        "BEGIN:VEVENT\r\nUID:shared@x\r\nSUMMARY:Moved\r\nDTSTART:20270330T150000Z\r\n"
        "DURATION:PT1H\r\nEND:VEVENT\r\n"
    )
    found = read(calendar([master, moved]), "busy.ics", quick=True)
    assert found.alone == ()
    assert len(found.calendar.walk("VEVENT")) == 2


def test_a_busy_file_of_plain_events_reads_only_the_first_in_the_window(tmp_path: Path) -> None:
    path = tmp_path / "busy.ics"
    path.write_bytes(plain_meetings(25_000))
    source = IcsFileSource(path)
    assert len(source.changes(None).events) == 25_000
    busy = busy_from(source.events(*WINDOW), BERLIN)
    first = datetime(2027, 3, 22, 7, tzinfo=UTC)
    assert len(busy) == -(-(WINDOW[1] - first) // timedelta(minutes=5))
    assert busy[0].start == first
    assert busy[-1].end <= WINDOW[1]


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_corpus_reads_the_same_quickly(path: Path) -> None:
    data = path.read_bytes()
    full, quick = outcome(data, quick=False), outcome(data, quick=True)
    if isinstance(full, str) or isinstance(quick, str):
        assert quick == full
        return
    assert written(quick.events) == written(full.events)
    assert quick.problems == full.problems
    wide = (datetime(1990, 1, 1, tzinfo=BERLIN), datetime(2040, 1, 1, tzinfo=BERLIN))
    assert window_of(quick, *wide) == window_of(full, *wide)


def written(events: Iterable[RemoteEvent]) -> list[tuple[object, ...]]:
    """The events with their times as text: two parses of a custom VTIMEZONE give two zone
    objects, and Python never finds an ambiguous time in one equal to the other's."""
    return [
        tuple(v.isoformat() if isinstance(v, date) else v for v in astuple(event))
        for event in events
    ]
