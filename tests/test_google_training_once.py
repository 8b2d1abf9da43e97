"""The Google training calendar is made once, however a pass is cut off around making it: a
reply lost after Google made the calendar, a pass that fails between the insert and
remembering the id, another pass that claimed a calendar meanwhile. Through the real client
against the local Calendar v3 server, on both stores; calendars counted at the server."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from service.calendars import AthleteCalendars
from service.store import claims, state
from service.store.database import Store
from service.sync.engine import run_pass
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.google_world import GoogleWorld

NOW = datetime(2027, 1, 11, 5, 0, tzinfo=ZoneInfo("Europe/Berlin"))
INSERT = ("POST", "/calendar/v3/calendars")
LISTING = ("GET", "/calendar/v3/users/me/calendarList")


@pytest.fixture
def fake() -> Iterator[FakeGoogleCalendar]:
    with FakeGoogleCalendar() as server:
        yield server


@pytest.fixture
def world(fake: FakeGoogleCalendar, tmp_path: Path, store_url: str) -> GoogleWorld:
    made = GoogleWorld(fake, tmp_path, athlete="ada")
    made.store_url = store_url
    return made


def trainings(world: GoogleWorld) -> list[str]:
    return [cid for cid, title in world.fake.calendars(world.user).items() if title == "Training"]


def held_in_one(world: GoogleWorld, store: Store) -> str:
    """The one training calendar at the server, which the store remembers and which holds
    every session."""
    found = trainings(world)
    assert len(found) == 1, f"{len(found)} training calendars at the server"
    assert state.recall_locator(store, world.athlete, "training") == found[0]
    events = world.fake.events(found[0], user=world.user)
    keys = [e["extendedProperties"]["private"]["racecal_session"] for e in events]
    assert len(keys) == len(set(keys)) > 60
    return found[0]


def test_a_reply_lost_after_the_insert_is_not_made_twice(world: GoogleWorld) -> None:
    lost: list[str] = []

    def script(method: str, path: str, in_batch: bool) -> str | None:
        if (method, path) == INSERT and not lost:
            lost.append(path)
            return "lost"  # Google makes the calendar; the reply never arrives
        return None

    world.fake.script = script
    entry, store = world.config(), world.store()
    result = run_pass(store, entry, NOW, AthleteCalendars(entry, store=store))
    assert result.error is None, result.error
    assert lost
    held_in_one(world, store)


def test_a_pass_cut_off_between_the_insert_and_remembering_leaves_no_second_calendar(
    world: GoogleWorld,
) -> None:
    inserted: list[str] = []

    def script(method: str, path: str, in_batch: bool) -> str | None:
        # The insert's reply is lost, and the server fails everything after it until the
        # pass gives up: the pass ends having made a calendar it never learnt the id of.
        if (method, path) == INSERT and not inserted:
            inserted.append(path)
            return "lost"
        return "503" if inserted else None

    world.fake.script = script
    entry, store = world.config(retry=0.5), world.store()
    first = run_pass(store, entry, NOW, AthleteCalendars(entry, store=store))
    assert first.error is not None
    assert len(trainings(world)) == 1
    assert str(state.recall_locator(store, world.athlete, "training")).startswith("pending:")
    world.fake.script = None
    # The next pass, in a new process (a job retried on another worker).
    again = run_pass(store, entry, NOW, AthleteCalendars(entry, store=store))
    assert again.error is None, again.error
    held_in_one(world, store)
    quiet = run_pass(store, entry, NOW, AthleteCalendars(entry, store=store))
    assert (quiet.error, quiet.writes) == (None, 0)
    held_in_one(world, store)


def test_a_pass_that_lost_the_claim_deletes_its_calendar_and_takes_the_claimed_one(
    world: GoogleWorld,
) -> None:
    entry, store = world.config(), world.store()
    other: list[str] = []

    def script(method: str, path: str, in_batch: bool) -> str | None:
        if (method, path) == INSERT and not other:
            # While this pass's insert is on its way, another pass of the athlete (its worker
            # thought this one dead) makes a calendar and claims it over the same intent.
            intent = state.recall_locator(store, world.athlete, "training")
            other.append(world.fake.add_calendar("Training", user=world.user))
            assert claims.claim(store, world.athlete, "training", other[0], intent) == other[0]
        return None

    world.fake.script = script
    result = run_pass(store, entry, NOW, AthleteCalendars(entry, store=store))
    assert result.error is None, result.error
    assert held_in_one(world, store) == other[0]


def test_an_authorization_that_cannot_list_makes_a_new_one_and_says_so(
    world: GoogleWorld, caplog: pytest.LogCaptureFixture
) -> None:
    """Google lets calendar.app.created insert calendars but not list them: the calendar of
    a lost reply cannot be found then. The pass goes on into a new one and says which
    calendar a person may delete."""
    lost: list[str] = []

    def script(method: str, path: str, in_batch: bool) -> str | None:
        if (method, path) == LISTING:
            return "403scope"
        if (method, path) == INSERT and not lost:
            lost.append(path)
            return "lost"
        return None

    world.fake.script = script
    entry, store = world.config(), world.store()
    with caplog.at_level(logging.WARNING, logger="racecal.google"):
        result = run_pass(store, entry, NOW, AthleteCalendars(entry, store=store))
    assert result.error is None, result.error
    remembered = state.recall_locator(store, world.athlete, "training")
    assert len(trainings(world)) == 2
    assert remembered in trainings(world)
    assert len(world.fake.events(str(remembered), user=world.user)) > 60
    said = [r.getMessage() for r in caplog.records if "may have left" in r.getMessage()]
    assert len(said) == 1
    assert "delete it" in said[0]


def test_a_claim_never_overwrites_another_locator(world: GoogleWorld) -> None:
    store = world.store()
    assert claims.claim(store, "ben", "training", "pending:1", None) == "pending:1"
    assert claims.claim(store, "ben", "training", "pending:2", None) == "pending:1"
    assert claims.claim(store, "ben", "training", "x@group", "pending:1") == "x@group"
    assert claims.claim(store, "ben", "training", "y@group", "pending:1") == "x@group"
    assert state.recall_locator(store, "ben", "training") == "x@group"
