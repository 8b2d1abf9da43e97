"""What the sync state machine (test_sync_machine.py) found, each as a test named after it: the
shrunk case, on the example athlete with a real SQLite store and the in-memory calendar."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.memory import MemoryCalendar
from service.calendars import AthleteCalendars
from service.config.load import AthleteConfig
from service.store import state
from service.store.database import Store
from service.sync.decide import Update
from service.sync.engine import run_pass
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
