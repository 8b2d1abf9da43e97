"""A restart goes on where the last process stopped: each calendar's change cursor and what it
held, the last quiet pass's key and the push channels live in the store.

A "restart" here is a new AthleteCalendars on the same store: nothing in memory carries over,
as in a new process (one test runs `racecal sync --once` as real processes). Requests are
counted at the wire: the local Calendar v3 server's log, Radicale's own log. Every test runs
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import update

from service.calendars import AthleteCalendars
from service.config.load import AthleteConfig, load_config
from service.store import cursors, state
from service.store.database import Store
from service.store.models import CalendarState
from service.sync.engine import PassResult, run_pass
from tests.caldav_world import World
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.google_world import GoogleWorld
from tests.radicale_server import Radicale
from tests.support import example_store, example_workspace

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 1, 11, 5, 0, tzinfo=BERLIN)  # a Monday morning, 15 weeks before Hamburg
LATER = NOW + timedelta(hours=3)  # the same day


def fresh(store: Store, entry: AthleteConfig, now: datetime = LATER) -> PassResult:
    """One pass as a new process runs it: nothing of an earlier pass in memory."""
    calendars = AthleteCalendars(entry, store=store)
    try:
        result = run_pass(store, entry, now, calendars)
    finally:
        calendars.close()
    assert result.error is None, result.error
    return result


def garble_keeping_stamp(path: Path) -> None:
    """The file overwritten in place with as many bytes that are no iCalendar, its mtime put
    back: inode, size and mtime as they were, so its stamp is too. Whoever reads it fails."""
    info = path.stat()
    size = len(path.read_bytes())
    with path.open("r+b") as handle:
        handle.write(b"X" * size)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def stored_cursors(store: Store, athlete: str) -> dict[tuple[str, str], str | None]:
    return {key: held.cursor for key, held in cursors.held(store, athlete).items()}


# -- .ics files ---------------------------------------------------------------------------------


def weeks(path: Path, count: int) -> AthleteConfig:
    """The athlete of the config at `path`, planning `count` weeks (fewer writes: a quicker
    suite; what is kept across a restart does not depend on how many)."""
    text = path.read_text()
    assert "plan_weeks = 16" in text
    path.write_text(text.replace("plan_weeks = 16", f"plan_weeks = {count}"))
    return load_config(path).athletes[0]


@pytest.fixture
def ics(tmp_path: Path, store_url: str) -> Iterator[tuple[Store, AthleteConfig]]:
    store, _entry = example_store(tmp_path, store_url)
    entry = weeks(tmp_path / "config.toml", 8)
    assert run_pass(store, entry, NOW).created > 30  # each run_pass: a new process's calendars
    assert run_pass(store, entry, NOW).writes == 0  # reads its writes back, settles
    yield store, entry
    store.engine.dispose()


def test_a_new_process_on_an_unchanged_ics_athlete_reads_and_plans_nothing(
    ics: tuple[Store, AthleteConfig], caplog: pytest.LogCaptureFixture
) -> None:
    store, entry = ics
    settled = cursors.quiet(store, entry.athlete.id)
    assert settled is not None
    # Every file racecal reads is garbage now, with the stamp it had: a pass that opened one
    # would fail. The quiet pass looks at each file's stamp and reads none.
    for path in (*entry.race_ics, *entry.busy_ics, entry.output_ics):
        garble_keeping_stamp(path)
    with caplog.at_level(logging.DEBUG, logger="racecal.sync"):
        result = fresh(store, entry)
    assert result.quiet
    assert (result.writes, result.actions) == (0, ())
    assert "nothing changed since the last quiet pass" in caplog.text
    assert cursors.quiet(store, entry.athlete.id) == settled  # nothing written to the store


def test_the_next_day_a_new_process_plans_again(ics: tuple[Store, AthleteConfig]) -> None:
    store, entry = ics
    tomorrow = fresh(store, entry, NOW + timedelta(days=1))
    assert not tomorrow.quiet
    assert fresh(store, entry, NOW + timedelta(days=1, hours=2)).quiet


def test_an_edit_in_the_training_file_between_two_processes_is_seen_and_so_is_a_release(
    ics: tuple[Store, AthleteConfig],
) -> None:
    store, entry = ics
    calendar = icalendar.Calendar.from_ical(entry.output_ics.read_bytes())
    moved = next(
        e
        for e in calendar.walk("VEVENT")
        if "/w-" in str(e.get("X-RACECAL-SESSION", "")) and e.start > NOW + timedelta(days=7)
    )
    key = str(moved["X-RACECAL-SESSION"])
    start = moved.start + timedelta(hours=1)
    end = moved.end + timedelta(hours=1)
    del moved["DTSTART"], moved["DTEND"]
    moved.add("dtstart", start)
    moved.add("dtend", end)
    entry.output_ics.write_bytes(calendar.to_ical())
    seen = fresh(store, entry)
    assert not seen.quiet
    assert seen.writes == 0  # the athlete's session stays where they put it
    assert state.edits(store, entry.athlete.id)[key].kind == "pinned"
    assert fresh(store, entry).quiet  # the edit is recorded: quiet again
    state.release(store, entry.athlete.id, key, LATER)
    released = fresh(store, entry)
    assert not released.quiet
    assert key not in state.edits(store, entry.athlete.id)  # racecal's again


def test_a_config_change_plans_again(ics: tuple[Store, AthleteConfig], tmp_path: Path) -> None:
    store, _entry = ics
    path = tmp_path / "config.toml"
    text = path.read_text()
    assert "weekly_km = 45" in text
    path.write_text(text.replace("weekly_km = 45", "weekly_km = 60"))
    changed = load_config(path).athletes[0]
    result = fresh(store, changed)
    assert not result.quiet
    assert result.updated > 0  # longer runs
    assert fresh(store, changed).writes == 0  # read back
    assert fresh(store, changed).quiet


def test_a_calendar_dropped_from_the_config_is_forgotten(
    ics: tuple[Store, AthleteConfig], tmp_path: Path
) -> None:
    store, entry = ics
    assert any(k[1].endswith("busy.ics") for k in stored_cursors(store, entry.athlete.id))
    path = tmp_path / "config.toml"
    text = path.read_text()
    assert 'ics = ["examples/busy.ics"]' in text
    path.write_text(text.replace('ics = ["examples/busy.ics"]', "ics = []"))
    fresh(store, load_config(path).athletes[0])
    assert not any(k[1].endswith("busy.ics") for k in stored_cursors(store, entry.athlete.id))


def test_an_unusable_cursor_is_answered_with_a_full_listing(
    ics: tuple[Store, AthleteConfig],
) -> None:
    store, entry = ics
    with store.session() as s, s.begin():
        s.execute(update(CalendarState).values(cursor="not-a-cursor-we-gave"))
    result = fresh(store, entry)
    assert result.writes == 0
    assert "not-a-cursor-we-gave" not in stored_cursors(store, entry.athlete.id).values()
    assert fresh(store, entry).quiet


def test_sync_once_twice_the_second_reads_no_file(tmp_path: Path) -> None:
    """`racecal sync --once` as real processes: the second finds every stamp as the first
    left it and reads nothing (every file is garbage by then), writes nothing."""
    config = example_workspace(tmp_path)
    weeks(config, 8)

    def sync() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "service.cli", "sync", "--once", "--config", str(config),
             "--now", LATER.isoformat()],
            cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip

    first, back = sync(), sync()
    assert first.returncode == back.returncode == 0, first.stderr + back.stderr
    entry = load_config(config).athletes[0]
    for path in (*entry.race_ics, *entry.busy_ics, entry.output_ics):
        garble_keeping_stamp(path)
    quiet = sync()
    assert quiet.returncode == 0, quiet.stderr
    assert "0 created, 0 updated, 0 deleted" in quiet.stdout
    store = Store.open(load_config(config).service.database_url, tmp_path)
    assert cursors.quiet(store, entry.athlete.id) is not None
    store.engine.dispose()


# -- Google -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGoogleCalendar]:
    with FakeGoogleCalendar() as server:
        yield server


@pytest.fixture
def google(
    fake: FakeGoogleCalendar, tmp_path: Path, request: pytest.FixtureRequest, store_url: str
) -> GoogleWorld:
    fake.faults(rate=0)
    world = GoogleWorld(fake, tmp_path, athlete="r" + str(abs(hash(request.node.name)) % 10**8))
    world.store_url = store_url
    return world


def api_requests(fake: FakeGoogleCalendar) -> list[str]:
    """The Calendar API requests so far (the OAuth token refresh is not one)."""
    return [f"{e.method} {e.path}" for e in fake.log if e.path != "/token"]


def settled_google(world: GoogleWorld) -> tuple[Store, AthleteConfig]:
    entry, store = world.config(), world.store()
    assert fresh(store, entry, NOW).created > 60
    assert fresh(store, entry, NOW).writes == 0  # read back
    return store, entry


def test_google_a_restart_then_a_quiet_pass_is_one_list_per_calendar_and_no_write(
    google: GoogleWorld, fake: FakeGoogleCalendar
) -> None:
    store, entry = settled_google(google)
    before = len(fake.log)
    result = fresh(store, entry)
    sent = [e for e in fake.log[before:] if e.path != "/token"]
    assert result.quiet
    assert result.writes == 0
    training = google.training_id()
    assert sorted(f"{e.method} {e.path}" for e in sent) == sorted(
        [f"GET /calendar/v3/calendars/{c}/events" for c in ("primary", training)]
    )
    assert all("syncToken" in e.query for e in sent)  # each goes on from the stored token


def test_google_an_edit_and_a_moved_race_while_down_are_seen(
    google: GoogleWorld, fake: FakeGoogleCalendar
) -> None:
    store, entry = settled_google(google)
    key = sorted(k for k in google.sessions() if "/w-1" in k)[-1]
    start, _end = google.move_session(key, hours=1)
    seen = fresh(store, entry)
    assert (seen.quiet, seen.writes) == (False, 0)
    assert state.edits(store, entry.athlete.id)[key].kind == "pinned"
    google.move_race("Hamburg Marathon [A]", days=7)
    moved = fresh(store, entry)
    assert moved.updated > 10
    assert google.sessions()[key]["start"]["dateTime"] == start  # still the athlete's
    assert fresh(store, entry).writes == 0  # read back
    assert fresh(store, entry).quiet


def test_google_an_expired_sync_token_after_a_restart_is_one_full_listing(
    google: GoogleWorld, fake: FakeGoogleCalendar
) -> None:
    store, entry = settled_google(google)
    fake.fail_next(2, "410")  # both calendars' tokens
    before = len(api_requests(fake))
    result = fresh(store, entry)
    assert result.writes == 0
    lists = [r for r in api_requests(fake)[before:] if r.endswith("/events")]
    assert len(lists) == 4  # two refused tokens, two full listings
    assert fresh(store, entry).quiet


def test_google_a_training_calendar_deleted_while_down_is_made_again_from_nothing(
    google: GoogleWorld, fake: FakeGoogleCalendar
) -> None:
    store, entry = settled_google(google)
    old = google.training_id()
    count = len(google.sessions())
    fake.delete_calendar(old, user=google.user)
    made = fresh(store, entry)
    new = google.training_id()
    assert new != old
    assert made.created == count == len(google.sessions())
    # What the store keeps of the training calendar is the new one's, under its own id.
    kept = [k for k in stored_cursors(store, entry.athlete.id) if k[0] == "training"]
    assert kept == [("training", f"google {new}")]
    assert fresh(store, entry).writes == 0  # read back
    before = len(api_requests(fake))
    assert fresh(store, entry).quiet
    assert len(api_requests(fake)) - before == 2


# -- CalDAV -------------------------------------------------------------------------------------


@pytest.fixture
def caldav(radicale: Radicale, tmp_path: Path, store_url: str) -> World:
    world = World(radicale, tmp_path)
    world.store_url = store_url
    return world


def settled_caldav(world: World) -> tuple[Store, AthleteConfig]:
    world.config()
    entry, store = weeks(world.base / "config.toml", 6), world.store()
    assert fresh(store, entry, NOW).created > 20
    assert fresh(store, entry, NOW).writes == 0  # read back
    return store, entry


def test_caldav_a_restart_then_a_quiet_pass_is_one_report_per_calendar_and_no_write(
    caldav: World, radicale: Radicale
) -> None:
    store, entry = settled_caldav(caldav)
    before = radicale.requests
    result = fresh(store, entry)
    assert result.quiet
    assert result.writes == 0
    assert radicale.requests - before == 3  # Races, Personal, Training: no discovery either


def test_caldav_an_unusable_sync_token_after_a_restart_is_one_full_listing(
    caldav: World, radicale: Radicale
) -> None:
    store, entry = settled_caldav(caldav)
    with store.session() as s, s.begin():
        for row in s.query(CalendarState):
            mark, _, _token = (row.cursor or "").partition(":")
            row.cursor = f"{mark}:s:http://radicale.org/ns/sync/unknown"
    result = fresh(store, entry)
    assert result.writes == 0
    assert fresh(store, entry).quiet


def test_caldav_an_edit_while_down_is_seen(caldav: World) -> None:
    store, entry = settled_caldav(caldav)
    key = sorted(k for k in caldav.sessions() if "/w-" in k)[-1]
    start, _end = caldav.move_session(key, hours=2)
    seen = fresh(store, entry)
    assert (seen.quiet, seen.writes) == (False, 0)
    assert state.edits(store, entry.athlete.id)[key].kind == "pinned"
    assert caldav.sessions()[key].start == start


def test_caldav_a_training_calendar_deleted_while_down_is_made_again_from_nothing(
    caldav: World, radicale: Radicale
) -> None:
    store, entry = settled_caldav(caldav)
    keys = sorted(k for k in caldav.sessions() if "/w-" in k)
    caldav.delete_session(keys[-1])
    assert fresh(store, entry).writes == 0  # the deletion is recorded
    count = len(caldav.sessions())
    old = caldav.training().url
    caldav.training().delete()
    made = fresh(store, entry)
    assert str(caldav.training().url) != str(old)
    assert made.created == count == len(caldav.sessions())
    assert keys[-1] not in caldav.sessions()  # still deleted by the athlete
    assert fresh(store, entry).writes == 0  # read back
    before = radicale.requests
    assert fresh(store, entry).quiet
    assert radicale.requests - before == 3
