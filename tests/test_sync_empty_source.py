"""A race or busy source that suddenly reads empty is a fault, not the athlete deleting every
race (seen: a truncated race file silently replaced the race plan with an offseason plan,
"80 created, 73 deleted" at INFO, no warning). Real .ics files, the store on SQLite and
PostgreSQL, each pass in process or through the procrastinate queue, and the CLI a person uses
to confirm."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from service.config.load import AthleteConfig
from service.store import state
from service.store.database import Store
from service.views.status import athlete_status
from tests.executors import Embedded, Passes
from tests.support import example_workspace

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 1, 11, 5, 0, tzinfo=BERLIN)
EMPTY = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n"


@pytest.fixture
def setup(tmp_path: Path, stores_and_executors: Embedded) -> tuple[Store, AthleteConfig, Passes]:
    return (*stores_and_executors.example(tmp_path), stores_and_executors.run_pass)


def training(entry: AthleteConfig) -> dict[str, tuple[str, str]]:
    cal = icalendar.Calendar.from_ical(entry.output_ics.read_bytes())
    return {
        str(e["X-RACECAL-SESSION"]): (str(e["SUMMARY"]), e.start.isoformat())
        for e in cal.walk("VEVENT")
        if "X-RACECAL-SESSION" in e
    }


def drop_races(entry: AthleteConfig, keep: int) -> None:
    """Keep the first `keep` events of the race file (0: an empty calendar)."""
    path = entry.race_ics[0]
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    events = [c for c in cal.subcomponents if c.name == "VEVENT"]
    for event in events[keep:]:
        cal.subcomponents.remove(event)
    path.write_bytes(cal.to_ical())


def test_race_calendar_that_reads_empty_keeps_the_race_plan(setup) -> None:  # type: ignore[no-untyped-def]
    store, entry, run_pass = setup
    assert run_pass(store, entry, NOW).created > 60
    before = training(entry)
    original = entry.race_ics[0].read_bytes()
    entry.race_ics[0].write_bytes(EMPTY)  # a truncated export, a sync tool's empty copy

    held = run_pass(store, entry, NOW + timedelta(minutes=5))

    assert held.error is None
    assert held.writes == 0
    assert training(entry) == before
    (line,) = held.held
    assert f"{entry.race_ics[0]} reads empty" in line
    assert f"racecal sync --once --accept-empty {entry.athlete.id}" in line
    assert line in held.problems  # the CLI prints it as a warning
    (row,) = athlete_status(store, [entry.athlete.id], 5)
    assert [h["source"] for h in row["held_sources"]] == [f"races:{entry.race_ics[0]}"]  # type: ignore[attr-defined,index]

    # A hiccup: the file comes back and nothing was lost or rewritten.
    entry.race_ics[0].write_bytes(original)
    back = run_pass(store, entry, NOW + timedelta(minutes=10))
    assert (back.held, back.writes) == ((), 0)
    assert training(entry) == before


def test_truncated_race_file_is_taken_once_the_athlete_accepts(setup) -> None:  # type: ignore[no-untyped-def]
    store, entry, run_pass = setup
    run_pass(store, entry, NOW)
    entry.race_ics[0].write_bytes(EMPTY)
    assert run_pass(store, entry, NOW + timedelta(minutes=5)).held

    assert state.accept_empty(store, entry.athlete.id) == [f"races:{entry.race_ics[0]}"]
    taken = run_pass(store, entry, NOW + timedelta(minutes=6))

    assert taken.held == ()
    assert taken.deleted > 0  # the race plan gives way to the offseason plan
    # The empty reading is the new normal: the next pass neither holds nor rewrites.
    quiet = run_pass(store, entry, NOW + timedelta(minutes=7))
    assert (quiet.held, quiet.writes) == ((), 0)


def test_empty_source_is_taken_after_a_day(setup) -> None:  # type: ignore[no-untyped-def]
    store, entry, run_pass = setup
    run_pass(store, entry, NOW)
    entry.race_ics[0].write_bytes(EMPTY)
    assert run_pass(store, entry, NOW + timedelta(hours=1)).held
    assert run_pass(store, entry, NOW + timedelta(hours=24, minutes=59)).held
    assert run_pass(store, entry, NOW + timedelta(hours=25, minutes=1)).held == ()


def test_busy_calendar_that_reads_empty_keeps_the_placements(setup) -> None:  # type: ignore[no-untyped-def]
    store, entry, run_pass = setup
    run_pass(store, entry, NOW)
    before = training(entry)
    entry.busy_ics[0].write_bytes(EMPTY)
    held = run_pass(store, entry, NOW + timedelta(minutes=5))
    assert held.writes == 0
    assert training(entry) == before
    assert "busy source" in held.held[0]


def test_removing_one_race_of_several_replans_at_once(setup) -> None:  # type: ignore[no-untyped-def]
    store, entry, run_pass = setup
    run_pass(store, entry, NOW)
    drop_races(entry, keep=2)
    result = run_pass(store, entry, NOW + timedelta(minutes=5))
    assert result.held == ()
    assert result.writes > 0


def test_sync_once_warns_and_accept_empty_goes_on(tmp_path: Path) -> None:
    """The person's path: a pass, the race file emptied, a warning naming it, `status` showing
    the hold, `sync --once --accept-empty` taking it."""
    config = example_workspace(tmp_path)
    env = {**os.environ, "RACECAL_CONFIG": str(config)}

    def racecal(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "service.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )

    moment = "--now=2027-01-11T05:00:00+01:00"
    assert racecal("sync", "--once", moment).returncode == 0
    (tmp_path / "examples" / "races.ics").write_bytes(EMPTY)

    held = racecal("sync", "--once", "--now=2027-01-11T05:05:00+01:00")
    assert held.returncode == 0, held.stderr
    assert "races.ics reads empty" in held.stderr
    assert "0 created, 0 updated, 0 deleted" in held.stdout
    status = racecal("status")
    assert "HELD: races:" in status.stdout
    assert json.loads(racecal("status", "--json").stdout)[0]["held_sources"]
    # What the athlete sees is what the calendar holds: the race plan, said to be kept.
    shown = json.loads(racecal("plan", "show", "--json", "--today", "2027-01-11").stdout)
    assert "reads empty" in shown["stale"]
    assert {s["phase"] for s in shown["sessions"]} != {"offseason"}  # the race block stays

    taken = racecal("sync", "--once", "--accept-empty", "alex", "--now=2027-01-11T05:06:00+01:00")
    assert taken.returncode == 0, taken.stderr
    assert "accepted as empty: races:" in taken.stderr
    assert "reads empty" not in taken.stderr
    assert "0 deleted" not in taken.stdout
    assert "HELD" not in racecal("status").stdout

    unknown = racecal("sync", "--once", "--accept-empty", "nobody")
    assert unknown.returncode == 2
    assert "no athlete 'nobody'" in unknown.stderr
