"""R6 on a real CalDAV server: another app's running plan in a Radicale calendar, read through
the same source as races and busy time; a run the app moves there moves the strength."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from connectors.base import SourceError
from service.config.load import AthleteConfig, load_config
from service.planning import plan_for
from service.sync.engine import run_pass
from tests.caldav_world import CONFIG, World, split
from tests.radicale_server import Radicale

HERE = Path(__file__).parent / "calendars"
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2027, 1, 11)
NOW = datetime.combine(MONDAY, time(5), tzinfo=BERLIN)


def configured(world: World, runs: str) -> AthleteConfig:
    world.base.mkdir(parents=True, exist_ok=True)
    path = world.base / "config.toml"
    text = CONFIG.format(url=world.server.url, user=world.user, secret="", retry=1)
    path.write_text(text.replace('busy = ["Personal"]', f'busy = ["Personal"]\nruns = ["{runs}"]'))
    return load_config(path).athletes[0]


@pytest.fixture
def world(radicale: Radicale, tmp_path: Path) -> World:
    found = World(radicale, tmp_path)
    runna = found.app.principal().make_calendar(name="Runna")
    for text in split(HERE / "runs_runna.ics"):
        runna.save_event(text)
    return found


def day_of(event: icalendar.Event) -> date:
    start = event.start
    return (start.astimezone(BERLIN) if isinstance(start, datetime) else start).date()


def test_runs_from_a_caldav_calendar_are_read_and_the_strength_follows_a_move(
    world: World,
) -> None:
    entry = configured(world, "Runna")
    assert entry.athlete.runs_from_calendar
    plan = plan_for(entry, MONDAY, 1).plan
    assert [(r.title, r.kind, r.all_day) for r in plan.external_runs] == [
        ("Intervals - 6x800m", "intervals", True),
        ("Easy Run - 5km", "easy", True),
        ("Tempo Run - 8km", "tempo", True),
        ("Long Run - 18km", "long", True),
    ]
    store = world.store()
    assert run_pass(store, entry, NOW).error is None
    thursday = MONDAY + timedelta(days=3)
    before = world.sessions()
    assert all("strength" in str(e["SUMMARY"]).lower() for e in before.values())
    lift = next(k for k, e in before.items() if day_of(e) == thursday)
    # Runna moves Saturday's tempo run onto Thursday.
    for calendar in world.app.principal().calendars():
        if calendar.get_display_name() != "Runna":
            continue
        for obj in calendar.events():
            cal = icalendar.Calendar.from_ical(obj.data)
            event = next(iter(cal.walk("VEVENT")))
            if event.start == MONDAY + timedelta(days=5):
                del event["DTSTART"], event["DTEND"]
                event.add("dtstart", thursday)
                event.add("dtend", thursday + timedelta(days=1))
                obj.data = cal.to_ical().decode()
                obj.save(increase_seqno=False)
    moved = run_pass(store, entry, NOW)
    assert moved.error is None
    after = world.sessions()
    assert str(after[lift]["UID"]) == str(before[lift]["UID"])
    assert day_of(after[lift]) != thursday
    assert not [e for e in after.values() if day_of(e) == thursday]


def test_a_runs_calendar_the_server_does_not_have_is_one_line_naming_the_key(
    world: World,
) -> None:
    entry = configured(world, "Runa")
    with pytest.raises(SourceError) as caught:
        plan_for(entry, MONDAY, 1)
    line = str(caught.value)
    assert "\n" not in line
    assert line.startswith(f"{world.base / 'config.toml'}: athletes[0].caldav.runs: ")
    assert "no calendar named 'Runa'" in line
    assert "Runna" in line  # the calendars there are
