"""R6 end to end: a Runna feed that also holds the app's own strength and yoga, read from a real
.ics file through a sync pass. The app's strength counts as a heavy lift (no lift of
racecal's that day nor the days beside it, L2); the yoga is busy time, not a key run."""

from __future__ import annotations

import shutil
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from service.config.load import load_config
from service.store.database import Store
from service.sync.engine import run_pass
from tests.support import example_workspace

HERE = Path(__file__).parent / "calendars"
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2027, 1, 11)
NOW = datetime.combine(MONDAY, time(5), tzinfo=BERLIN)
WEEKS = 3


def add_the_apps_other_sessions(path: Path) -> list[tuple[datetime, datetime]]:
    """Wednesday 18:00 'Strength - Lower Body' and Friday 07:00 'Yoga' in each week of the
    feed; returns the yoga's times."""
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    yoga = []
    for week in range(WEEKS):
        monday = MONDAY + timedelta(weeks=week)
        for title, weekday, at, minutes in (
            ("Strength - Lower Body", 2, time(18), 45),
            ("Yoga", 4, time(7), 45),
        ):
            start = datetime.combine(monday + timedelta(days=weekday), at, tzinfo=BERLIN)
            event = icalendar.Event()
            event.add("uid", f"other-{title}-{week}@runna.com")
            event.add("dtstamp", datetime(2027, 1, 5, 12, tzinfo=BERLIN))
            event.add("dtstart", start)
            event.add("dtend", start + timedelta(minutes=minutes))
            event.add("summary", title)
            cal.add_component(event)
            if title == "Yoga":
                yoga.append((start, start + timedelta(minutes=minutes)))
    path.write_bytes(cal.to_ical())
    return yoga


def lifts(path: Path) -> list[tuple[datetime, datetime]]:
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    return [
        (e.start.astimezone(BERLIN), e.end.astimezone(BERLIN))
        for e in cal.walk("VEVENT")
        if "X-RACECAL-SESSION" in e and "strength" in str(e["SUMMARY"]).lower()
    ]


def test_the_apps_strength_and_yoga_read_from_its_feed(tmp_path: Path) -> None:
    config = example_workspace(tmp_path)
    shutil.copy(HERE / "runs_runna.ics", tmp_path / "runs.ics")
    yoga = add_the_apps_other_sessions(tmp_path / "runs.ics")
    with config.open("a", encoding="utf-8") as f:
        f.write('\n[athletes.runs]\nics = ["runs.ics"]\n')
    entry = load_config(config).athletes[0]
    store = Store.open("sqlite:///var/racecal.db", tmp_path)
    store.upgrade()

    result = run_pass(store, entry, NOW)

    assert result.error is None
    placed = [
        (s, e) for s, e in lifts(entry.output_ics) if s.date() < MONDAY + timedelta(WEEKS * 7)
    ]
    assert placed
    for start, end in placed:
        # Not Tuesday, Wednesday or Thursday: the app's lower-body lift is on Wednesday.
        assert start.weekday() not in (1, 2, 3), start
        for y_start, y_end in yoga:
            assert not (y_start < end and start < y_end), start
