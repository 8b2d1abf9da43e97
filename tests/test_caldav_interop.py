"""What racecal writes over CalDAV is plain, portable iCalendar: it parses in icalendar and in a
second, stricter parser (the `ical` package), and comes back from Radicale as it was sent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from caldav.davclient import DAVClient
from ical.calendar_stream import IcsCalendarStream

from connectors.base import SessionEvent, managed_id
from connectors.caldav import CalDavCalendar
from connectors.vevent import object_for, to_vevent
from tests.radicale_server import Radicale
from tests.test_connector_caldav import account_for

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2027, 3, 28, 7, 30, tzinfo=BERLIN)  # the morning clocks go forward
DESCRIPTION = (
    "Phase: build (week 3 of 5)\n"
    "Back squat 4 x 5 @ RPE 7, rest 2-3 min; Romanian deadlift 3 x 8 @ RPE 7\n"
    "Rules: S2, S4, L1; umlauts and commas: Übung, Satz; semicolons; too"
)


@pytest.fixture
def training(radicale: Radicale) -> Iterator[CalDavCalendar]:
    account = account_for(radicale)
    yield account.training("Training")
    account.close()


def fetch(calendar: CalDavCalendar, event_id: str) -> str:
    user = calendar.account.settings.username
    client = DAVClient(url=calendar.url, username=user, password="x")
    response = client.request(calendar.url + f"{event_id}.ics", "GET")
    assert response.status == 200
    return str(response.raw)


def session() -> SessionEvent:
    key = "hamburg/w-03/strength-a"
    return SessionEvent(
        managed_id("alex", key),
        key,
        "Strength A - heavy lower",
        DESCRIPTION,
        START,
        START + timedelta(minutes=60),
    )


def test_written_sessions_parse_in_two_parsers_and_round_trip(training: CalDavCalendar) -> None:
    event = session()
    before = datetime.now(UTC).replace(microsecond=0)
    training.create(event)
    after = datetime.now(UTC)
    text = fetch(training, event.id)

    parsed = icalendar.Calendar.from_ical(text)
    [vevent] = parsed.walk("VEVENT")
    assert not vevent.errors
    assert str(vevent["UID"]) == f"{event.id}@racecal"
    assert str(vevent["X-RACECAL-SESSION"]) == event.session_key
    assert (vevent.start, vevent.end) == (event.start, event.end)
    assert str(vevent["DESCRIPTION"]) == DESCRIPTION
    assert parsed.walk("VTIMEZONE")  # the TZID it uses is defined in the object
    # Stamped when written, never at the session's own (future) day.
    stamp = vevent.decoded("DTSTAMP")
    assert before <= stamp <= after
    assert int(vevent["SEQUENCE"]) == 0

    strict = IcsCalendarStream.calendar_from_ics(text)
    [other] = strict.events
    assert other.summary == event.title
    assert other.description == DESCRIPTION
    assert other.dtstart == event.start
    assert other.dtend == event.end
    assert other.uid == f"{event.id}@racecal"

    # Radicale re-serializes (property order changes), but every component and property
    # comes back as it was sent.
    sent = object_for(event, to_vevent(event, stamp)).to_ical().decode()
    assert _shape(text) == _shape(sent)


def test_the_stored_timezone_gives_the_right_offset_all_year(training: CalDavCalendar) -> None:
    """A client that trusts the VTIMEZONE in the object (not its own tz database) must see the
    same UTC time as racecal meant, in summer and in winter."""
    for month in (1, 4, 7, 10, 12):
        start = datetime(2027, month, 15, 18, 0, tzinfo=BERLIN)
        key = f"k/{month}"
        event = SessionEvent(managed_id("alex", key), key, "Easy run", "", start, start)
        training.create(event)
        stored = icalendar.Calendar.from_ical(fetch(training, event.id))
        [vtimezone] = stored.walk("VTIMEZONE")
        assert _offset_by_definition(vtimezone, start.replace(tzinfo=None)) == start.utcoffset()


def _offset_by_definition(vtimezone: icalendar.Timezone, local: datetime) -> timedelta:
    """What a client that reads the VTIMEZONE's rules (and no tz database) computes: the
    TZOFFSETTO of the latest onset (DTSTART or RDATE, RRULEs not used by us) not after `local`."""
    onsets: list[tuple[datetime, timedelta]] = []
    for observance in vtimezone.subcomponents:
        offset = observance["TZOFFSETTO"].td
        starts = [observance.decoded("DTSTART")]
        rdates = observance.get("RDATE", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            starts.extend(p.dt for p in rdate.dts)
        onsets.extend((moment, offset) for moment in starts if moment <= local)
    return max(onsets)[1]


def _shape(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each component with its own properties as sorted name:value lines."""
    out = []
    for component in icalendar.Calendar.from_ical(text).walk():
        lines = sorted(
            f"{name}:{_value(value)}"
            for name, value in component.property_items(recursive=False)
            if name not in ("BEGIN", "END")
        )
        out.append((str(component.name), tuple(lines)))
    return sorted(out)


def _value(value: object) -> str:
    to_ical = getattr(value, "to_ical", None)
    raw = to_ical() if to_ical else value
    return raw.decode() if isinstance(raw, bytes) else str(raw)
