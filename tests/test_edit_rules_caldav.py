"""The athlete's edit rules against a real Radicale server, the athlete's app a second CalDAV
client: each seen defect of issue 10 that showed over CalDAV, named after it."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from service.calendars import AthleteCalendars
from service.store import state
from service.sync.decide import Update
from service.sync.engine import run_pass
from tests.caldav_world import World
from tests.executors import Embedded
from tests.radicale_server import Radicale

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 1, 11, 5, 0, tzinfo=BERLIN)
A_RACE = "Hamburg Marathon [A]"


@pytest.fixture
def world(radicale: Radicale, tmp_path: Path, executor: Embedded) -> World:
    made = World(radicale, tmp_path)
    made.on(executor)
    return made


def updates_to_come(world: World, calendars: AthleteCalendars) -> list[str]:
    """The sessions the next pass would re-time, in the order it writes them (a dry run)."""
    dry = run_pass(world.store(), world.config(), NOW, calendars, dry_run=True)
    return [a.key for a in dry.actions if isinstance(a, Update) and a.held.start != a.event.start]


def test_retitle_is_an_edit_over_caldav(world: World) -> None:
    """Seen: a session renamed in another app was renamed back by the next pass."""
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry)
    world.run_pass(store, entry, NOW, calendars)
    world.edit_race(A_RACE, days=7)
    keys = updates_to_come(world, calendars)
    key = keys[len(keys) // 2]
    before = world.sessions()[key]

    def retitle(event: icalendar.Event) -> None:
        event["SUMMARY"] = "Long run with Sam"

    world.edit_session(key, retitle)
    result = world.run_pass(store, entry, NOW, calendars)
    assert result.error is None
    assert result.updated > 10
    after = world.sessions()[key]
    assert str(after["SUMMARY"]) == "Long run with Sam"
    assert after.start == before.start
    assert world.run_pass(store, entry, NOW, calendars).writes == 0
    calendars.close()


def test_description_note_is_an_edit_over_caldav(world: World) -> None:
    """Seen: a note added to the description in another app was wiped ("1 updated")."""
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry)
    world.run_pass(store, entry, NOW, calendars)
    key = sorted(k for k in world.sessions() if "/w-" in k)[-4]

    def note(event: icalendar.Event) -> None:
        event["DESCRIPTION"] = str(event["DESCRIPTION"]) + "\n\nShoes: the old pair."

    world.edit_session(key, note)
    result = world.run_pass(store, entry, NOW, calendars)
    assert (result.writes, result.error) == (0, None)
    assert "the old pair" in str(world.sessions()[key]["DESCRIPTION"])
    calendars.close()


def test_move_while_update_pending_is_kept_over_caldav(
    own_radicale: Radicale, tmp_path: Path
) -> None:
    """Seen: the server went away while a pass wrote, the athlete moved a session whose update
    was still pending, and the next pass overwrote the move."""
    world = World(own_radicale, tmp_path)
    entry, store = world.config(retry=0.2), world.store()
    calendars = AthleteCalendars(entry)
    assert world.run_pass(store, entry, NOW, calendars).error is None
    world.edit_race(A_RACE, days=7)
    sent = own_radicale.requests

    def stop_after_some_writes() -> None:
        while own_radicale.requests - sent < 15:
            time.sleep(0.005)
        own_radicale.stop()

    stopper = threading.Thread(target=stop_after_some_writes)
    stopper.start()
    failed = world.run_pass(store, entry, NOW, calendars)
    stopper.join()
    assert failed.error is not None
    own_radicale.start()
    managed = state.load(store, "alex").managed
    pending = sorted(k for k, m in managed.items() if m.state == "pending_update")
    assert len(pending) > 10
    key = pending[-1]
    start, end = world.move_session(key, hours=1)
    result = world.run_pass(store, entry, NOW, calendars)
    assert result.error is None, result.error
    held = world.sessions()[key]
    assert (held.start, held.end) == (start, end)
    assert "time" in state.edits(store, "alex")[key].changes
    assert world.run_pass(store, entry, NOW, calendars).writes == 0
    calendars.close()


def test_move_and_retitle_during_a_pass_are_kept_over_caldav(
    world: World, radicale: Radicale
) -> None:
    """Seen live: a move and a retitle made by another CalDAV client while a pass was writing
    were overwritten half a second later (the pass's write met the new etag, re-read, and took
    the athlete's version for its own)."""
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry)
    world.run_pass(store, entry, NOW, calendars)
    world.edit_race(A_RACE, days=7)
    key = updates_to_come(world, calendars)[-1]  # written last

    def refused() -> int:
        return radicale.log.read_text().count(": 412 Precondition Failed")

    refused_before = refused()
    sent = radicale.requests
    done: list[tuple[object, float]] = []

    def athlete_edits_mid_pass() -> None:
        while radicale.requests - sent < 8:  # the pass's reads and its first writes
            time.sleep(0.002)

        def move_and_retitle(event: icalendar.Event) -> None:
            start, end = event.start + timedelta(hours=2), event.end + timedelta(hours=2)
            del event["DTSTART"], event["DTEND"]
            event.add("dtstart", start)
            event.add("dtend", end)
            event["SUMMARY"] = "Intervals with the club"

        world.edit_session(key, move_and_retitle)
        done.append((world.sessions()[key].start, time.monotonic()))

    editor = threading.Thread(target=athlete_edits_mid_pass)
    editor.start()
    result = world.run_pass(store, entry, NOW, calendars)
    ended = time.monotonic()
    editor.join()
    assert result.error is None, result.error
    [(start, edited_at)] = done
    assert edited_at < ended  # the edit landed while the pass ran...
    assert refused() > refused_before  # ...before racecal's write of it, which was refused
    for _ in range(2):
        held = world.sessions()[key]
        assert (held.start, str(held["SUMMARY"])) == (start, "Intervals with the club")
        world.run_pass(store, entry, NOW, calendars)
    assert world.run_pass(store, entry, NOW, calendars).writes == 0
    calendars.close()


def test_fields_racecal_does_not_own_survive_updates_over_caldav(world: World) -> None:
    """Seen: racecal's update replaced the whole object. Another app's X- property is no edit
    and survives racecal re-timing the session; a reminder the athlete added makes the session
    theirs, and once released racecal re-times it with the reminder kept."""
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry)
    world.run_pass(store, entry, NOW, calendars)
    world.edit_race(A_RACE, days=7)
    keys = updates_to_come(world, calendars)
    tagged, reminded = keys[len(keys) // 3], keys[2 * len(keys) // 3]
    before = world.sessions()

    def tag(event: icalendar.Event) -> None:
        event.add("X-APPLE-TRAVEL-ADVISORY-BEHAVIOR", "AUTOMATIC")

    def remind(event: icalendar.Event) -> None:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", "Shoes!")
        alarm.add("trigger", timedelta(minutes=-30))
        event.add_component(alarm)

    world.edit_session(tagged, tag)
    world.edit_session(reminded, remind)
    assert world.run_pass(store, entry, NOW, calendars).error is None
    after = world.sessions()
    assert after[tagged].start != before[tagged].start
    assert str(after[tagged]["X-APPLE-TRAVEL-ADVISORY-BEHAVIOR"]) == "AUTOMATIC"
    assert after[reminded].start == before[reminded].start
    assert state.edits(store, "alex")[reminded].changes == ("reminders",)
    assert state.release(store, "alex", reminded, NOW) is not None
    assert world.run_pass(store, entry, NOW, calendars).error is None
    released = world.sessions()[reminded]
    assert released.start != before[reminded].start
    assert [str(a["DESCRIPTION"]) for a in released.walk("VALARM")] == ["Shoes!"]
    assert world.run_pass(store, entry, NOW, calendars).writes == 0
    calendars.close()
