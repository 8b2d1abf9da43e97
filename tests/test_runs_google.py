"""R6 on Google Calendar: another app's running plan in a calendar of the athlete's, read
through the real Google client from the local Calendar v3 server like races and busy time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import icalendar
import pytest

from service.planning import plan_for
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.google_world import GoogleWorld, google_body

HERE = Path(__file__).parent / "calendars"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGoogleCalendar]:
    with FakeGoogleCalendar() as server:
        yield server


def test_runs_from_a_google_calendar_are_placed_around(
    fake: FakeGoogleCalendar, tmp_path: Path
) -> None:
    fake.faults(rate=0)
    world = GoogleWorld(fake, tmp_path, athlete="runner")
    world.config()  # the token the athlete's app signs in with
    made = world.app().calendars().insert(body={"summary": "TrainingPeaks"}).execute()
    feed = icalendar.Calendar.from_ical((HERE / "runs_trainingpeaks.ics").read_bytes())
    for event in feed.walk("VEVENT"):
        fake.put_event(made["id"], google_body(event), user=world.user)
    entry = world.config(account=f'runs = ["{made["id"]}"]')
    assert entry.athlete.runs_from_calendar
    plan = plan_for(entry, date(2027, 1, 11), weeks=1).plan
    assert [(r.title, r.kind, r.all_day) for r in plan.external_runs] == [
        ("Recovery Run", "easy", False),
        ("Threshold Run", "tempo", False),
        ("Day Off", "rest", True),
        ("Aerobic Endurance", "easy", False),
        ("Long Run", "long", False),
    ]
    assert plan.sessions
    assert all(s.kind == "strength" for s in plan.sessions)
