"""What the sync state machine (tests/sync_machine.py) found, each as a test named after it: the
shrunk case, with a real SQLite store, on the in-memory calendar or a real Radicale."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.memory import MemoryCalendar
from service.calendars import AthleteCalendars
from service.config.load import AthleteConfig
from service.store import state
from service.store.database import Store
from service.store.payload import plan_from_body
from service.sync.decide import Update
from service.sync.engine import run_pass
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.fault_proxy import FaultProxy
from tests.machine_backends import Inputs, World, first_passes
from tests.machine_servers import CalDavWorld, GoogleWorld
from tests.radicale_server import Radicale
from tests.support import example_store

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 1, 11, 5, 0, tzinfo=BERLIN)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Store, AthleteConfig]:
    return example_store(tmp_path)


def test_a_release_while_the_calendars_are_quiet_is_taken_by_the_next_pass(
    setup: tuple[Store, AthleteConfig],
) -> None:
    """Found: the daemon kept a quiet pass's key (nothing in the calendars moved, nothing to
    write) and skipped planning while it held; a `racecal release KEY` made meanwhile changed
    only the store, so the released session kept the athlete's version until some calendar
    changed. (The quiet key kept in the store, which a release drops, fixed it meanwhile; this
    holds the daemon's case, one set of calendars kept across passes.)"""
    store, entry = setup
    calendar = MemoryCalendar()
    calendars = AthleteCalendars(entry, calendar, store)  # the daemon's, kept across passes
    run_pass(store, entry, NOW, calendars)
    held = next(e for e in calendar.events(NOW, NOW + timedelta(weeks=20)) if e.session_key)
    assert held.session_key is not None
    calendar.put(replace(held, title="Run with Sam"))
    assert run_pass(store, entry, NOW + MINUTE, calendars).writes == 0  # the athlete's now
    assert run_pass(store, entry, NOW + 2 * MINUTE, calendars).writes == 0  # quiet
    assert state.release(store, entry.athlete.id, held.session_key, NOW + 3 * MINUTE)
    taken = run_pass(store, entry, NOW + 4 * MINUTE, calendars)
    assert taken.error is None
    assert [a.key for a in taken.actions if isinstance(a, Update)] == [held.session_key]
    assert state.edits(store, entry.athlete.id) == {}
    back = next(e for e in calendar.events(NOW, NOW + timedelta(weeks=20)) if e.id == held.id)
    assert back.title == held.title


def test_a_caldav_account_changed_in_the_config_is_written_to_not_the_one_before(
    radicale: Radicale, tmp_path: Path
) -> None:
    """Found: the URL of a CalDAV calendar found by its name was remembered in the store under
    the name alone, so after the config named another account (another user, another server)
    with a calendar of the same name, the pass went on writing into the old account's
    calendar."""
    inputs = Inputs(tmp_path / "inputs", {"10k": ("Winter 10K [A]", date(2027, 2, 7))})
    inputs.write()
    with FaultProxy(radicale.url, rate=0) as proxy:
        before = CalDavWorld(tmp_path / "before", inputs.folder, radicale, proxy, "before")
        first_passes(before)
        held = before.sessions()
        after = CalDavWorld(tmp_path / "after", inputs.folder, radicale, proxy, "after")
        inputs.races["10k"] = ("Winter 10K [A]", date(2027, 2, 14))  # so the pass writes
        inputs.write()
        calendars = AthleteCalendars(after.entry, store=before.store, retry_seconds=0)
        moved = run_pass(before.store, after.entry, NOW + 3 * MINUTE, calendars)
        calendars.close()
    assert moved.error is None, moved.error
    assert before.sessions() == held  # the old account's calendar is left as it was
    assert moved.created == len(after.sessions()) > 10


# A race the athlete's file holds that cannot be read (its day is not a date): the pass stops
# after the training calendar's look and keeps the last plan (a broken race).
BROKEN_RACE = (
    "BEGIN:VEVENT\r\nUID:spring\r\nDTSTAMP:20270101T000000Z\r\nDTSTART;VALUE=DATE:2027-04\r\n"
    "SUMMARY:Spring Marathon [A]\r\nEND:VEVENT\r\n"
)


def _failed_after_a_restart(world: World, inputs: Inputs, how: str) -> str:
    """A new process, whose first pass looks at the training calendar from the cursor the
    one before left (so it holds only what changed since: the session the athlete moved
    meanwhile), then fails: a broken race in the race file, or the first calendar write
    timing out. The key of the session moved."""
    world.restart()
    key, shown = world.sessions()[0]
    world.put(key, replace(shown, start=shown.start + 43 * MINUTE, end=shown.end + 43 * MINUTE))
    races = inputs.folder / "races.ics"
    if how == "broken race":
        races.write_text(races.read_text().replace("END:VCALENDAR", BROKEN_RACE + "END:VCALENDAR"))
    else:
        inputs.races["10k"] = ("Winter 10K [A]", date(2027, 2, 14))  # so the pass writes
        inputs.write()
        world.arm("timeout", 1)
    failed = world.run(NOW + 3 * MINUTE)
    assert failed is not None
    assert failed.error is not None, failed
    assert world.fired == (None if how == "broken race" else "timeout")
    inputs.write()  # the race file fixed
    return key


def _calendar_kept_whole(world: World, moved: str) -> None:
    """The pass after takes the calendar as the server holds it: the session moved is the
    athlete's, no other is their deletion, and the calendar shows the plan racecal keeps."""
    after = world.run(NOW + 4 * MINUTE)
    assert after is not None
    assert after.error is None, after
    assert {k: e.kind for k, e in state.edits(world.store, "mia").items()} == {moved: "pinned"}
    again = world.run(NOW + 5 * MINUTE)
    assert again is not None
    assert (again.writes, again.error) == (0, None), again
    kept = state.last_plan(world.store, "mia")
    assert kept is not None
    plan = plan_from_body(kept[1])
    assert plan is not None
    assert sorted(k for k, _ in world.sessions()) == sorted(s.key for s in plan.sessions)


@pytest.mark.parametrize("how", ["broken race", "timed-out write"])
def test_a_caldav_pass_failed_after_a_restart_leaves_the_next_pass_the_whole_calendar(
    radicale: Radicale, tmp_path: Path, how: str
) -> None:
    """Found (CalDAV, a kill then a timed-out write): a process that went on from an earlier
    one's sync token holds only what changed since; a failed pass dropped the stored cursor,
    so the next pass asked for everything, and was answered with that part. Every session
    not written since the restart read as deleted by the athlete, and stayed in the calendar
    while the plan went on without it."""
    inputs = Inputs(tmp_path / "inputs", {"10k": ("Winter 10K [A]", date(2027, 2, 7))})
    inputs.write()
    with FaultProxy(radicale.url, rate=0) as proxy:
        world = CalDavWorld(tmp_path / "world", inputs.folder, radicale, proxy, how[:6])
        try:
            first_passes(world)
            _calendar_kept_whole(world, _failed_after_a_restart(world, inputs, how))
        finally:
            world.close()


def test_a_google_pass_failed_after_a_restart_leaves_the_next_pass_the_whole_calendar(
    tmp_path: Path,
) -> None:
    """The same on Google: a pass that fails after the training calendar's look and before
    its first write (which lists the calendar whole) left the next pass only what changed
    since the restart."""
    inputs = Inputs(tmp_path / "inputs", {"10k": ("Winter 10K [A]", date(2027, 2, 7))})
    inputs.write()
    with FakeGoogleCalendar() as fake:
        world = GoogleWorld(tmp_path / "world", inputs.folder, fake, 1)
        try:
            first_passes(world)
            _calendar_kept_whole(world, _failed_after_a_restart(world, inputs, "broken race"))
        finally:
            world.close()
