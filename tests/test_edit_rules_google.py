"""The athlete's edit rules against the local Calendar v3 server with the real client, the
athlete's app the same client signed in as them: each seen defect of issue 10 that showed on
Google, named after it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from service.calendars import AthleteCalendars
from service.daemon.metrics import Metrics
from service.store import state
from service.sync.decide import Update
from service.sync.engine import run_pass
from tests.executors import Embedded
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.google_world import GoogleWorld

NOW = datetime(2027, 1, 11, 5, 0, tzinfo=ZoneInfo("Europe/Berlin"))
A_RACE = "Hamburg Marathon [A]"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGoogleCalendar]:
    with FakeGoogleCalendar() as server:
        yield server


@pytest.fixture
def world(
    fake: FakeGoogleCalendar, tmp_path: Path, request: pytest.FixtureRequest, executor: Embedded
) -> GoogleWorld:
    fake.faults(rate=0)
    made = GoogleWorld(fake, tmp_path, athlete="e" + str(abs(hash(request.node.name)) % 10**8))
    made.on(executor)
    return made


def test_retitle_is_an_edit_on_google(world: GoogleWorld) -> None:
    """Seen: a session renamed in Google Calendar was renamed back by the next pass."""
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry, store=store)
    world.run_pass(store, entry, NOW, calendars)
    world.move_race(A_RACE, days=7)
    dry = run_pass(store, entry, NOW, calendars, dry_run=True)
    keys = [a.key for a in dry.actions if isinstance(a, Update)]
    key = keys[len(keys) // 2]
    before = world.sessions()[key]
    world.edit_session(key, summary="Long run with Sam")
    result = world.run_pass(store, entry, NOW, calendars)
    assert result.error is None
    assert result.updated > 10
    after = world.sessions()[key]
    assert after["summary"] == "Long run with Sam"
    assert after["start"] == before["start"]
    assert world.run_pass(store, entry, NOW, calendars).writes == 0


def test_description_note_and_reminder_are_edits_on_google(world: GoogleWorld) -> None:
    """Seen: a note added to the description was wiped by the next pass ("1 updated")."""
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry, store=store)
    world.run_pass(store, entry, NOW, calendars)
    noted, reminded = sorted(k for k in world.sessions() if "/w-" in k)[-4:-2]
    note = world.sessions()[noted]["description"] + "\n\nBring gels."
    world.edit_session(noted, description=note)
    world.edit_session(
        reminded, reminders={"useDefault": False, "overrides": [{"method": "popup", "minutes": 30}]}
    )
    result = world.run_pass(store, entry, NOW, calendars)
    assert (result.writes, result.error) == (0, None)
    assert world.sessions()[noted]["description"] == note
    edits = state.edits(store, entry.athlete.id)
    assert edits[noted].changes == ("description",)
    assert edits[reminded].changes == ("reminders",)


def test_move_while_update_pending_is_kept_on_google(
    world: GoogleWorld, fake: FakeGoogleCalendar
) -> None:
    """Seen: a pass failed after recording its intents, the athlete moved a session whose
    update was pending, and the next pass overwrote the move."""
    entry, store = world.config(retry=0.2), world.store()
    calendars = AthleteCalendars(entry, store=store)
    assert world.run_pass(store, entry, NOW, calendars).error is None
    world.move_race(A_RACE, days=7)
    fake.fail_next(1000, "503", in_batch=True)  # every write, until the retry budget is spent
    try:
        failed = world.run_pass(store, entry, NOW, calendars)
    finally:
        with fake._lock:
            fake._next_in_batch.clear()
    assert failed.error is not None
    managed = state.load(store, entry.athlete.id).managed
    pending = sorted(k for k, m in managed.items() if m.state == "pending_update")
    assert pending
    key = pending[-1]
    start, end = world.move_session(key, hours=1)
    result = world.run_pass(store, entry, NOW, calendars)
    assert result.error is None, result.error
    held = world.sessions()[key]
    assert (held["start"]["dateTime"], held["end"]["dateTime"]) == (start, end)
    assert world.run_pass(store, entry, NOW, calendars).writes == 0


def test_counts_after_a_412_retry_on_google(world: GoogleWorld, fake: FakeGoogleCalendar) -> None:
    """Seen: a pass retried after a 412 reported "1 updated" after ~89 writes."""
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry, store=store)
    world.run_pass(store, entry, NOW, calendars)
    world.move_race(A_RACE, days=7)
    fake.reset_log()
    fake.fail_next(1, "412")
    metrics = Metrics()
    result = world.run_pass(store, entry, NOW, calendars)
    metrics.record(result, 1.0, 0.0)
    assert result.error is None, result.error
    done = [e for e in fake.batch_log if e.method in ("POST", "PUT", "DELETE") and e.status < 300]
    assert len(done) > 10
    assert result.writes == len(done)
    written = sum(
        metrics.registry.get_sample_value("racecal_events_written_total", {"operation": op}) or 0
        for op in ("created", "updated", "deleted")
    )
    assert written == len(done)


def test_fields_racecal_does_not_own_survive_updates_on_google(world: GoogleWorld) -> None:
    """Seen: racecal's update replaced the whole event resource. Another app's private
    property is no edit and survives racecal re-timing the session; reminders the athlete set
    make the session theirs, and once released racecal re-times it with the reminders kept."""
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry, store=store)
    world.run_pass(store, entry, NOW, calendars)
    world.move_race(A_RACE, days=7)
    dry = run_pass(store, entry, NOW, calendars, dry_run=True)
    keys = [a.key for a in dry.actions if isinstance(a, Update) and a.held.start != a.event.start]
    tagged, reminded = keys[len(keys) // 3], keys[2 * len(keys) // 3]
    before = world.sessions()
    private = {**before[tagged]["extendedProperties"]["private"], "strava": "linked"}
    world.edit_session(tagged, extendedProperties={"private": private})
    alarms = {"useDefault": False, "overrides": [{"method": "popup", "minutes": 30}]}
    world.edit_session(reminded, reminders=alarms)
    assert world.run_pass(store, entry, NOW, calendars).error is None
    after = world.sessions()
    assert after[tagged]["start"] != before[tagged]["start"]
    assert after[tagged]["extendedProperties"]["private"]["strava"] == "linked"
    assert after[reminded]["start"] == before[reminded]["start"]
    assert state.edits(store, entry.athlete.id)[reminded].changes == ("reminders",)
    assert state.release(store, entry.athlete.id, reminded, NOW) is not None
    assert world.run_pass(store, entry, NOW, calendars).error is None
    released = world.sessions()[reminded]
    assert released["start"] != before[reminded]["start"]
    assert released["reminders"] == alarms
    assert world.run_pass(store, entry, NOW, calendars).writes == 0
