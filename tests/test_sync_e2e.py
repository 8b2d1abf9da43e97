"""One sync pass end to end on the example config: real .ics files in, a real .ics file out,
state in SQLite or PostgreSQL, each pass in process or through the procrastinate queue. Moves,
pins, deletions and broken input, counted in writes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from service.config.load import AthleteConfig
from service.store.database import Store
from tests.executors import Embedded, Passes
from tests.support import move_race

ROOT = Path(__file__).resolve().parent.parent
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 1, 11, 5, 0, tzinfo=BERLIN)  # a Monday morning, 15 weeks before Hamburg


@pytest.fixture
def setup(tmp_path: Path, stores_and_executors: Embedded) -> tuple[Store, AthleteConfig, Passes]:
    return (*stores_and_executors.example(tmp_path), stores_and_executors.run_pass)


def output(entry: AthleteConfig) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(entry.output_ics.read_bytes())
    return {str(e["X-RACECAL-SESSION"]): e for e in cal.walk("VEVENT") if "X-RACECAL-SESSION" in e}


def test_first_pass_writes_the_plan_and_a_second_writes_nothing(setup) -> None:  # type: ignore[no-untyped-def]
    store, entry, run_pass = setup
    first = run_pass(store, entry, NOW)
    assert first.error is None
    assert first.created == len(output(entry)) > 60
    second = run_pass(store, entry, NOW)
    assert (second.created, second.updated, second.deleted, second.error) == (0, 0, 0, None)


def test_moving_the_A_race_updates_only_moved_sessions_keeping_uids(setup) -> None:  # type: ignore[no-untyped-def]
    store, entry, run_pass = setup
    run_pass(store, entry, NOW)
    before = {k: (str(e["UID"]), e.start) for k, e in output(entry).items()}
    move_race(entry, "Hamburg Marathon [A]", 14)
    moved = run_pass(store, entry, NOW)
    after = {k: (str(e["UID"]), e.start) for k, e in output(entry).items()}
    assert moved.error is None
    assert moved.updated > 10
    same_keys = set(before) & set(after)
    assert all(before[k][0] == after[k][0] for k in same_keys)  # UIDs unchanged
    changed = sum(1 for k in same_keys if before[k][1] != after[k][1])
    assert moved.updated >= changed
    assert moved.created + moved.deleted < moved.updated  # moves are updates, not re-creates
    assert run_pass(store, entry, NOW).writes == 0
    move_race(entry, "Hamburg Marathon [A]", -21)  # now a week earlier than at first
    earlier = run_pass(store, entry, NOW)
    assert earlier.error is None
    assert earlier.updated > 10
    assert {k: u for k, (u, _) in before.items() if k in output(entry)} == {
        k: str(e["UID"]) for k, e in output(entry).items() if k in before
    }
    assert run_pass(store, entry, NOW).writes == 0


def test_pinned_and_deleted_sessions_survive(setup) -> None:  # type: ignore[no-untyped-def]
    store, entry, run_pass = setup
    run_pass(store, entry, NOW)
    cal = icalendar.Calendar.from_ical(entry.output_ics.read_bytes())
    lifts = sorted(
        (e for e in cal.walk("VEVENT") if "Strength" in str(e["SUMMARY"])), key=lambda e: e.start
    )
    pinned, deleted = lifts[2], lifts[4]
    pinned_key, deleted_key = str(pinned["X-RACECAL-SESSION"]), str(deleted["X-RACECAL-SESSION"])
    new_start = pinned.start + timedelta(hours=2)
    duration = pinned.end - pinned.start
    del pinned["DTSTART"], pinned["DTEND"]
    pinned.add("dtstart", new_start)
    pinned.add("dtend", new_start + duration)
    cal.subcomponents.remove(deleted)
    entry.output_ics.write_bytes(cal.to_ical())
    for _ in range(2):
        result = run_pass(store, entry, NOW)
        assert result.error is None
        events = output(entry)
        assert events[pinned_key].start == new_start
        assert deleted_key not in events
    move_race(entry, "Berliner Halbmarathon (B race)", 7)
    run_pass(store, entry, NOW)
    events = output(entry)
    assert events[pinned_key].start == new_start
    assert deleted_key not in events


def test_broken_race_file_keeps_the_last_good_plan(setup) -> None:  # type: ignore[no-untyped-def]
    store, entry, run_pass = setup
    run_pass(store, entry, NOW)
    good = entry.output_ics.read_bytes()
    entry.race_ics[0].write_text("BEGIN:VCALENDAR\nthis is broken", encoding="utf-8")
    result = run_pass(store, entry, NOW)
    assert result.error is not None
    assert str(entry.race_ics[0]) in result.error
    assert "\n" not in result.error
    assert entry.output_ics.read_bytes() == good


def test_adding_a_c_race_and_removing_the_b_race(setup) -> None:  # type: ignore[no-untyped-def]
    store, entry, run_pass = setup
    run_pass(store, entry, NOW)
    before = output(entry)
    path = entry.race_ics[0]
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    b_race = next(e for e in cal.walk("VEVENT") if "(B race)" in str(e["SUMMARY"]))
    cal.subcomponents.remove(b_race)
    c_race = icalendar.Event()
    c_race.add("uid", "c-10k@example")
    c_race.add("summary", "Stadtlauf 10 km #C")
    c_race.add("dtstart", datetime(2027, 3, 13, 10, 0, tzinfo=BERLIN))  # a Saturday
    c_race.add("dtend", datetime(2027, 3, 13, 11, 0, tzinfo=BERLIN))
    c_race.add("dtstamp", NOW)
    cal.add_component(c_race)
    path.write_bytes(cal.to_ical())
    result = run_pass(store, entry, NOW)
    assert result.error is None
    after = output(entry)
    b_sunday = date(2027, 3, 28)
    # The B race no longer replaces that week's long run...
    assert any(
        e.start.date() == b_sunday and "Long run" in str(e["SUMMARY"]) for e in after.values()
    )
    # ...and no heavy legs in the two days before the new C race (P5).
    for e in after.values():
        if e.start.date() in (date(2027, 3, 11), date(2027, 3, 12)):
            assert not (
                "Strength" in str(e["SUMMARY"])
                and "upper body" not in str(e["SUMMARY"])
                and "light" not in str(e["SUMMARY"])
                and "taper" not in str(e["SUMMARY"])
            )
    assert 0 < result.writes < len(before)
    assert run_pass(store, entry, NOW).writes == 0
