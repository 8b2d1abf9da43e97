"""Sync passes end to end against the local Calendar v3 server with the real client: races and
recurring meetings read from the athlete's primary calendar, sessions in a "Training" calendar
racecal creates, requests counted at the server."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from service.calendars import AthleteCalendars
from service.sync.engine import run_pass
from service.views.status import athlete_status
from tests.executors import Embedded
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.google_world import GoogleWorld

NOW = datetime(2027, 1, 11, 5, 0, tzinfo=ZoneInfo("Europe/Berlin"))
WATCHED = 2  # primary (races and busy time) and Training


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGoogleCalendar]:
    with FakeGoogleCalendar() as server:
        yield server


@pytest.fixture
def world(
    fake: FakeGoogleCalendar,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    stores_and_executors: Embedded,
) -> GoogleWorld:
    fake.faults(rate=0)
    name = "a" + str(abs(hash(request.node.name)) % 10**8)
    made = GoogleWorld(fake, tmp_path, athlete=name)
    made.on(stores_and_executors)
    return made


def test_first_pass_creates_the_calendar_and_a_quiet_pass_costs_one_request_per_calendar(
    world: GoogleWorld, fake: FakeGoogleCalendar
) -> None:
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry, store=store)
    first = world.run_pass(store, entry, NOW, calendars)
    assert first.error is None, first.error
    sessions = world.sessions()
    assert first.created == len(sessions) > 60
    assert all(s["colorId"] in {"2", "6", "11"} for s in sessions.values())
    assert {m for m, v in fake.send_updates} <= {"none"} or all(
        v == "none" for _m, v in fake.send_updates
    )
    before = len(fake.log)
    quiet = world.run_pass(store, entry, NOW, calendars)
    assert (quiet.writes, quiet.error) == (0, None)
    assert len(fake.log) - before == WATCHED
    # A new process finds the calendar by the id it stored (the scope cannot list calendars).
    fresh = world.run_pass(store, entry, NOW, AthleteCalendars(entry, store=store))
    assert (fresh.writes, fresh.error) == (0, None)
    assert [c for c in world.app().calendarList().list().execute()["items"]
            if c.get("summary") == "Training"].__len__() == 1  # fmt: skip


def test_a_moved_race_costs_one_list_per_calendar_plus_a_batch_per_50_writes(
    world: GoogleWorld, fake: FakeGoogleCalendar
) -> None:
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry, store=store)
    world.run_pass(store, entry, NOW, calendars)
    before_ids = {k: s["id"] for k, s in world.sessions().items()}
    world.move_race("Hamburg Marathon [A]", days=14)
    sent = len(fake.log)
    moved = world.run_pass(store, entry, NOW, calendars)
    assert moved.error is None
    assert moved.updated > 10
    assert len(fake.log) - sent == WATCHED + math.ceil(moved.writes / 50)
    after_ids = {k: s["id"] for k, s in world.sessions().items()}
    assert all(before_ids[k] == after_ids[k] for k in set(before_ids) & set(after_ids))


def test_race_removed_and_athlete_edits_kept(world: GoogleWorld) -> None:
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry, store=store)
    world.run_pass(store, entry, NOW, calendars)
    keys = sorted(k for k in world.sessions() if "/w-" in k)
    start, end = world.move_session(keys[-1], hours=2)
    world.delete_session(keys[-2])
    world.remove_race("Berliner Halbmarathon (B race)")
    result = world.run_pass(store, entry, NOW, calendars)
    assert result.error is None, result.error
    sessions = world.sessions()
    assert keys[-2] not in sessions
    assert (sessions[keys[-1]]["start"]["dateTime"], sessions[keys[-1]]["end"]["dateTime"]) == (
        start,
        end,
    )
    assert not any("Berliner" in s.get("description", "") for s in sessions.values())
    assert world.run_pass(store, entry, NOW, calendars).writes == 0


def test_a_deleted_training_calendar_is_created_again(
    world: GoogleWorld, fake: FakeGoogleCalendar
) -> None:
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry, store=store)
    first = world.run_pass(store, entry, NOW, calendars)
    old = world.training_id()
    fake.delete_calendar(old, user=world.user)
    again = world.run_pass(store, entry, NOW, calendars)
    assert again.error is None, again.error
    assert world.training_id() != old
    assert again.created == first.created == len(world.sessions())
    fresh = AthleteCalendars(entry, store=store)  # the new id was stored
    assert world.run_pass(store, entry, NOW, fresh).writes == 0


def test_a_revoked_token_marks_the_athlete_and_the_next_good_pass_clears_it(
    world: GoogleWorld, fake: FakeGoogleCalendar
) -> None:
    entry, store = world.config(), world.store()
    assert world.run_pass(store, entry, NOW, AthleteCalendars(entry, store=store)).error is None
    fake.revoke()
    try:
        result = world.run_pass(store, entry, NOW, AthleteCalendars(entry, store=store))
    finally:
        fake.revoke(False)
    assert result.needs_reauth
    assert result.error is not None
    assert "racecal auth google" in result.error
    assert "\n" not in result.error
    assert "not-a-secret" not in result.error
    [state] = athlete_status(store, [entry.athlete.id], 15)
    assert state["needs_reauth"] is True
    healed = world.run_pass(store, entry, NOW, AthleteCalendars(entry, store=store))
    assert (healed.error, healed.writes) == (None, 0)


def test_three_503s_from_the_token_endpoint_do_not_flag_the_athlete_for_re_auth(
    world: GoogleWorld, fake: FakeGoogleCalendar
) -> None:
    """A sign-in outage is not a revoked grant: the pass retries it (or ends as a calendar
    failure the next pass gets past), and nobody is asked to run 'racecal auth google'."""
    entry, store = world.config(), world.store()
    fake.fail_token(3, 503)
    outage = world.run_pass(store, entry, NOW, AthleteCalendars(entry, store=store))
    assert not outage.needs_reauth
    assert outage.error is None or "auth" not in outage.error
    [state] = athlete_status(store, [entry.athlete.id], 15)
    assert state["needs_reauth"] is False
    after = world.run_pass(store, entry, NOW, AthleteCalendars(entry, store=store))
    assert after.error is None, after.error


def test_30_percent_faults_over_200_passes_end_on_the_fault_free_calendar(
    fake: FakeGoogleCalendar, tmp_path: Path
) -> None:
    clean = GoogleWorld(fake, tmp_path / "clean", athlete="clean")
    faulty = GoogleWorld(fake, tmp_path / "faulty", athlete="faulty")
    clean_entry, clean_store = clean.config(), clean.store()
    entry, store = faulty.config(retry=0.2), faulty.store()
    clean_calendars = AthleteCalendars(clean_entry, store=clean_store)
    calendars = AthleteCalendars(entry, store=store)
    failed = 0
    fake.faults(rate=0.3, seed=11)
    try:
        for n in range(200):
            if n % 40 == 20:
                fake.faults(rate=0)
                clean.move_race("Hamburg Marathon [A]", days=7)
                faulty.move_race("Hamburg Marathon [A]", days=7)
                assert run_pass(clean_store, clean_entry, NOW, clean_calendars).error is None
                fake.faults(rate=0.3, seed=n)
            failed += run_pass(store, entry, NOW, calendars).error is not None
    finally:
        fake.faults(rate=0)
    assert run_pass(clean_store, clean_entry, NOW, clean_calendars).error is None
    settled = run_pass(store, entry, NOW, calendars)
    assert settled.error is None
    assert sum(fake.injected.values()) > 100  # passes that failed part-way: counted in `failed`
    del failed

    def shape(world: GoogleWorld) -> dict[str, tuple[str, str, str]]:
        """Sessions by key, the race's id in the key replaced by its title (each world's
        races got their own ids)."""
        titles = {f"{i}@google.com": t for t, i in world.race_ids.items()}
        out = {}
        for key, s in world.sessions().items():
            anchor, _, rest = key.partition("/")
            out[f"{titles.get(anchor, anchor)}/{rest}"] = (
                s["summary"],
                s["start"]["dateTime"],
                s["end"]["dateTime"],
            )
        return out

    assert shape(faulty) == shape(clean)  # sessions() fails on a key held twice


def test_a_workspace_service_account_acts_for_its_user(
    fake: FakeGoogleCalendar, tmp_path: Path
) -> None:
    """Domain-wide delegation: a service account's signed assertion names the user, the token
    acts as that user, and only racecal's two scopes are asked for."""
    import json  # noqa: PLC0415
    import os  # noqa: PLC0415

    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    world = GoogleWorld(fake, tmp_path, athlete="sam")
    account = tmp_path / "sa.json"
    account.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "racecal-team",
                "private_key_id": "k1",
                "private_key": pem,
                "client_email": "racecal@racecal-team.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": f"{fake.url}/token",
            }
        )
    )
    os.chmod(account, 0o600)
    entry = world.config(account='service_account_file = "sa.json"\nsubject = "sam@example.com"')
    store = world.store()
    result = world.run_pass(store, entry, NOW, AthleteCalendars(entry, store=store))
    assert result.error is None, result.error
    assert result.created == len(world.sessions()) > 60
    issuer, subject, scopes = fake.delegated[-1]
    assert (issuer, subject) == ("racecal@racecal-team.iam.gserviceaccount.com", "sam@example.com")
    assert sorted(scopes.split()) == [
        "https://www.googleapis.com/auth/calendar.app.created",
        "https://www.googleapis.com/auth/calendar.events.readonly",
    ]


def test_a_meeting_on_a_session_moves_it_even_after_quiet_passes(
    world: GoogleWorld, fake: FakeGoogleCalendar
) -> None:
    """Quiet passes skip planning; the first change to busy time must not be skipped."""
    entry, store = world.config(), world.store()
    calendars = AthleteCalendars(entry, store=store)
    world.run_pass(store, entry, NOW, calendars)
    for _ in range(3):
        assert world.run_pass(store, entry, NOW, calendars).writes == 0
    future = sorted(
        (s for s in world.sessions().values() if s["start"]["dateTime"] > "2027-02-01"),
        key=lambda s: s["start"]["dateTime"],
    )
    target = future[0]
    fake.put_event(
        "primary",
        {
            "summary": "Dentist",
            "start": {"dateTime": target["start"]["dateTime"], "timeZone": "Europe/Berlin"},
            "end": {"dateTime": target["end"]["dateTime"], "timeZone": "Europe/Berlin"},
        },
        user=world.user,
    )
    moved = world.run_pass(store, entry, NOW, calendars)
    assert moved.error is None
    assert moved.updated >= 1
    key = target["extendedProperties"]["private"]["racecal_session"]
    assert world.sessions()[key]["start"]["dateTime"] != target["start"]["dateTime"]


def test_a_race_added_is_planned_and_a_race_calendar_gone_stops_the_athlete(
    world: GoogleWorld, fake: FakeGoogleCalendar
) -> None:
    club = fake.add_calendar("Club races", user=world.user, time_zone="Europe/Berlin")
    entry = world.config(races=f'["primary", "{club}"]')
    store = world.store()
    calendars = AthleteCalendars(entry, store=store)
    world.run_pass(store, entry, NOW, calendars)
    fake.put_event(
        club,
        {
            "summary": "Stadtlauf 10K #C",
            "start": {"date": "2027-03-20"},
            "end": {"date": "2027-03-21"},
        },
        user=world.user,
    )
    added = world.run_pass(store, entry, NOW, calendars)
    assert added.error is None
    assert added.writes > 0
    race_day = [s for s in world.sessions().values() if s["start"]["dateTime"][:10] == "2027-03-20"]
    assert race_day == []  # the C race's day is the race
    written = {k: s["start"]["dateTime"] for k, s in world.sessions().items()}
    fake.delete_calendar(club, user=world.user)
    stopped = world.run_pass(store, entry, NOW, calendars)
    assert stopped.error is not None
    assert f"'{club}' is gone" in stopped.error
    assert "\n" not in stopped.error
    assert {k: s["start"]["dateTime"] for k, s in world.sessions().items()} == written


def test_google_sources_read_the_same_races_and_busy_time_as_the_files(
    world: GoogleWorld, tmp_path: Path
) -> None:
    """The example races and the recurring meetings, as Google holds them, give exactly what
    the .ics files give."""
    from service.planning import read_sources  # noqa: PLC0415
    from tests.support import example_store  # noqa: PLC0415

    _store, from_files = example_store(tmp_path / "files")
    today = NOW.date()
    files = read_sources(from_files, today, 16)
    served = read_sources(world.config(), today, 16)
    assert sorted((r.title, r.date, r.priority) for r in served.races) == sorted(
        (r.title, r.date, r.priority) for r in files.races
    )
    assert len(files.busy) > 16 * 3  # recurring meetings expanded
    # Here the race file's events share the primary calendar with the meetings, and timed
    # ones block their hours like any event: without them, the files' busy time exactly.
    from service.planning import read_busy  # noqa: PLC0415

    tz = ZoneInfo("Europe/Berlin")
    start, end = files.busy[0].start - timedelta(days=30), files.busy[-1].end + timedelta(days=30)
    race_file = read_busy(from_files.race_ics[0], tz, start, end)
    assert race_file  # the expo and the timed races
    meetings = tuple(i for i in served.busy if i not in race_file)
    assert meetings == files.busy
