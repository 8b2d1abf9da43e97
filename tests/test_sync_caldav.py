"""Sync passes end to end against a real Radicale server: races and busy time read over CalDAV,
sessions written to a CalDAV training calendar, the athlete's edits made with another client.
Requests are counted at the wire, from the server's own log."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from service.calendars import AthleteCalendars
from tests.caldav_world import World
from tests.executors import Embedded
from tests.radicale_server import Radicale

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 1, 11, 5, 0, tzinfo=BERLIN)  # a Monday morning, 15 weeks before Hamburg
WATCHED = 3  # Races, Personal, Training


@pytest.fixture
def world(radicale: Radicale, tmp_path: Path, stores_and_executors: Embedded) -> World:
    made = World(radicale, tmp_path)
    made.on(stores_and_executors)
    return made


def test_first_pass_writes_the_plan_and_a_quiet_pass_costs_one_request_per_calendar(
    world: World, radicale: Radicale
) -> None:
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry)
    first = world.run_pass(store, entry, NOW, calendars)
    assert first.error is None, first.error
    sessions = world.sessions()
    assert first.created == len(sessions) > 60
    assert "Hamburg Marathon [A]" not in {str(e["SUMMARY"]) for e in sessions.values()}
    before = radicale.requests
    quiet = world.run_pass(store, entry, NOW, calendars)
    assert (quiet.writes, quiet.error) == (0, None)
    assert radicale.requests - before == WATCHED
    calendars.close()


def test_a_moved_race_costs_one_report_per_calendar_plus_one_request_per_change(
    world: World, radicale: Radicale
) -> None:
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry)
    world.run_pass(store, entry, NOW, calendars)
    before = {k: (str(e["UID"]), e.start) for k, e in world.sessions().items()}
    world.edit_race("Hamburg Marathon [A]", days=14)
    sent = radicale.requests
    moved = world.run_pass(store, entry, NOW, calendars)
    assert moved.error is None
    assert moved.updated > 10
    assert radicale.requests - sent == WATCHED + moved.writes
    after = {k: (str(e["UID"]), e.start) for k, e in world.sessions().items()}
    kept = set(before) & set(after)
    assert all(before[k][0] == after[k][0] for k in kept)  # same UIDs, new dates
    assert sum(before[k][1] != after[k][1] for k in kept) == moved.updated
    calendars.close()


def test_races_added_and_removed_over_caldav(world: World) -> None:
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry)
    world.run_pass(store, entry, NOW, calendars)
    world.edit_race("Berliner Halbmarathon (B race)", remove=True)
    world.add_race(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
        "UID:stadtlauf-2027\r\nDTSTAMP:20261201T000000Z\r\nDTSTART;VALUE=DATE:20270320\r\n"
        "SUMMARY:Stadtlauf 10K #C\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    result = world.run_pass(store, entry, NOW, calendars)
    assert result.error is None
    assert result.writes > 0
    titles = {str(e["SUMMARY"]) for e in world.sessions().values()}
    descriptions = " ".join(str(e.get("DESCRIPTION", "")) for e in world.sessions().values())
    assert "Berliner Halbmarathon" not in descriptions
    assert titles  # the plan is still there
    assert world.run_pass(store, entry, NOW, calendars).writes == 0
    calendars.close()


def test_the_athletes_moves_and_deletions_in_their_own_app_are_kept(world: World) -> None:
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry)
    world.run_pass(store, entry, NOW, calendars)
    keys = sorted(k for k in world.sessions() if "/w-" in k)
    moved_key, deleted_key = keys[-1], keys[-2]
    start, end = world.move_session(moved_key, hours=2)
    world.delete_session(deleted_key)
    result = world.run_pass(store, entry, NOW, calendars)
    assert result.error is None
    sessions = world.sessions()
    assert deleted_key not in sessions
    assert (sessions[moved_key].start, sessions[moved_key].end) == (start, end)
    world.edit_race("Hamburg Marathon [A]", days=7)
    world.run_pass(store, entry, NOW, calendars)
    sessions = world.sessions()
    assert deleted_key not in sessions
    assert sessions[moved_key].start == start
    # A fresh process (no mirror, no tokens) sees the same and writes nothing.
    fresh = AthleteCalendars(entry)
    assert world.run_pass(store, entry, NOW, fresh).writes == 0
    calendars.close()
    fresh.close()


def test_a_deleted_training_calendar_is_made_again_with_edits_kept(world: World) -> None:
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry)
    world.run_pass(store, entry, NOW, calendars)
    keys = sorted(k for k in world.sessions() if "/w-" in k)
    start, _end = world.move_session(keys[-1], hours=1)
    world.delete_session(keys[-2])
    assert world.run_pass(store, entry, NOW, calendars).error is None  # edits recorded
    count = len(world.sessions())
    world.training().delete()
    result = world.run_pass(store, entry, NOW, calendars)
    assert result.error is None, result.error
    sessions = world.sessions()
    assert result.created == len(sessions) == count
    assert keys[-2] not in sessions  # still deleted
    assert sessions[keys[-1]].start == start  # still where the athlete put it
    assert world.run_pass(store, entry, NOW, calendars).writes == 0
    calendars.close()


def test_a_missing_race_calendar_stops_the_athlete_with_a_clear_line(world: World) -> None:
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry)
    world.run_pass(store, entry, NOW, calendars)
    world.races.delete()
    result = world.run_pass(store, entry, NOW, calendars)
    assert result.error is not None
    assert "race calendar" in result.error
    assert "gone" in result.error or "no calendar named 'Races'" in result.error
    assert "\n" not in result.error
    assert len(world.sessions()) > 60  # nothing written was lost
    calendars.close()


def test_a_broken_object_in_the_race_calendar_is_reported_and_the_rest_planned(
    world: World,
) -> None:
    entry, store = world.config(), world.store()
    world.races.save_event(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:odd\r\n"
        "DTSTAMP:20261201T000000Z\r\nDTSTART:20270301T100000Z\r\nGEO:abc\r\n"
        "SUMMARY:Lunch\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    result = world.run_pass(store, entry, NOW, AthleteCalendars(entry))
    assert result.error is None
    assert any("'Lunch'" in p and "GEO" in p for p in result.problems)
    assert len(world.sessions()) > 60


def test_a_broken_race_keeps_the_last_plan(world: World) -> None:
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry)
    world.run_pass(store, entry, NOW, calendars)
    before = {k: e.start for k, e in world.sessions().items()}
    world.races.save_event(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:odd\r\n"
        "DTSTAMP:20261201T000000Z\r\nDTSTART:20270301T100000Z\r\nGEO:abc\r\n"
        "SUMMARY:Lauf 10K [A]\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    result = world.run_pass(store, entry, NOW, calendars)
    assert result.error is not None
    assert "'Lauf 10K [A]'" in result.error
    assert "last plan is kept" in result.error
    assert {k: e.start for k, e in world.sessions().items()} == before
    calendars.close()


def test_outage_mid_pass_then_the_next_pass_converges(
    own_radicale: Radicale, tmp_path: Path
) -> None:
    """Radicale is stopped while the first sync writes; after a restart the next pass ends with
    the same calendar as a run without the outage, no UID twice and the athlete's move kept."""
    reference = World(own_radicale, tmp_path / "reference")
    ref_entry, ref_store = reference.config(), reference.store()
    assert reference.run_pass(ref_store, ref_entry, NOW).error is None

    world = World(own_radicale, tmp_path / "outage")
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry)
    writes_before = own_radicale.requests

    import threading  # noqa: PLC0415

    def stop_after_some_writes() -> None:
        while own_radicale.requests - writes_before < 40:
            threading.Event().wait(0.005)
        own_radicale.stop()

    stopper = threading.Thread(target=stop_after_some_writes)
    stopper.start()
    failed = world.run_pass(store, entry, NOW, calendars)
    stopper.join()
    assert failed.error is not None
    assert "connect" in failed.error
    own_radicale.start()
    first = world.run_pass(store, entry, NOW, calendars)
    assert first.error is None, first.error
    sessions = world.sessions()
    key = sorted(k for k in sessions if "/w-" in k)[-1]
    start, _end = world.move_session(key, hours=3)
    assert world.run_pass(store, entry, NOW, calendars).error is None

    def shape(found: dict[str, object]) -> dict[str, tuple[str, str, str]]:
        return {
            k: (str(e["SUMMARY"]), e.start.isoformat(), e.end.isoformat())  # type: ignore[attr-defined,index]
            for k, e in found.items()
        }

    expected = shape(reference.sessions())
    got = shape(world.sessions())
    expected[key] = (expected[key][0], start.isoformat(), got[key][2])  # the athlete's move
    assert got == expected
    assert world.sessions()[key].start == start + timedelta(0)


def test_caldav_sources_read_the_same_races_and_busy_time_as_the_files(
    world: World, tmp_path: Path
) -> None:
    """The example races and the recurring Outlook meetings, one object per event on the
    server, give exactly what the .ics files give."""
    from service.planning import read_sources  # noqa: PLC0415
    from tests.support import example_store  # noqa: PLC0415

    _store, from_files = example_store(tmp_path / "files")
    today = NOW.date()
    files = read_sources(from_files, today, 16)
    served = read_sources(world.config(), today, 16)
    assert sorted((r.uid, r.date, r.priority) for r in served.races) == sorted(
        (r.uid, r.date, r.priority) for r in files.races
    )
    assert len(files.busy) > 16 * 3  # recurring meetings expanded
    assert served.busy == files.busy


def test_a_plan_page_view_uses_the_daemons_open_calendars(
    radicale: Radicale, tmp_path: Path
) -> None:
    """Through the daemon's calendars a page view of a CalDAV athlete costs one REPORT per
    source calendar (no login, no listing); without them it would log in and list again."""
    import threading  # noqa: PLC0415

    from service.config.load import load_config  # noqa: PLC0415
    from service.daemon.health import ServiceState  # noqa: PLC0415
    from service.daemon.metrics import Metrics  # noqa: PLC0415
    from service.daemon.web import WebServer  # noqa: PLC0415

    world = World(radicale, tmp_path)
    entry, store = world.config(), world.store()
    config = load_config(tmp_path / "config.toml")
    calendars = AthleteCalendars(entry, store=store)
    world.run_pass(store, entry, NOW, calendars)
    lock = threading.Lock()
    web = WebServer(
        ("127.0.0.1", 0),
        config,
        ServiceState(["alex"], store, 1.0),
        Metrics(),
        calendars=lambda _athlete: (lock, calendars),
    )
    try:
        before = radicale.requests
        status, _type, body = web.respond("/athletes/alex?today=2027-01-11")
        assert status == 200
        assert b"Hamburg Marathon" in body
        assert radicale.requests - before == 2  # Races and Personal, one REPORT each
    finally:
        web.stop()
    calendars.close()
