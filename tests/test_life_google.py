"""Google's out-of-office events (eventType outOfOffice) are holidays (L13): read through the
real Google client from the local Calendar v3 server, they take the sessions of their days and
block no time as busy events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from service.planning import plan_for
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.google_world import GoogleWorld

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGoogleCalendar]:
    with FakeGoogleCalendar() as server:
        yield server


def test_an_out_of_office_event_is_a_holiday(fake: FakeGoogleCalendar, tmp_path: Path) -> None:
    fake.faults(rate=0)
    world = GoogleWorld(fake, tmp_path, athlete="ooo")
    entry = world.config()
    today = date(2027, 1, 11)
    plain = plan_for(entry, today, weeks=3).plan
    first, last = date(2027, 1, 19), date(2027, 1, 21)
    assert [s for s in plain.sessions if first <= s.start.astimezone(BERLIN).date() <= last]
    fake.put_event(
        "primary",
        {
            "summary": "Out of office",
            "eventType": "outOfOffice",
            "start": {"dateTime": datetime(2027, 1, 19, 0, 0, tzinfo=BERLIN).isoformat()},
            "end": {"dateTime": datetime(2027, 1, 22, 0, 0, tzinfo=BERLIN).isoformat()},
        },
        user=world.user,
    )
    plan = plan_for(entry, today, weeks=3).plan
    days = {s.start.astimezone(BERLIN).date() for s in plan.sessions}
    assert not {d for d in days if first <= d <= last}
    lines = [w.line() for w in plan.warnings if w.rule == "L13"]
    assert lines == [next(line for line in lines if "#holiday 2027-01-19 to 2027-01-21" in line)]
