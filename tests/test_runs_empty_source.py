"""A runs calendar (R6) that suddenly reads empty is held like a race or busy source: the
strength placed around the other app's runs stays where it is, the pass says so once, and the
athlete accepts an intended emptying with `--accept-empty`. Without the guard a feed hiccup
would place the lifts as if there were no runs, heavy legs beside the app's key runs. Real .ics
files, a real local HTTP feed, the store on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import icalendar
import pytest

from service.config.load import AthleteConfig, load_config
from service.store import state
from service.store.database import Store
from service.sync.engine import run_pass
from service.views.status import athlete_status
from tests.support import example_workspace

HERE = Path(__file__).parent / "calendars"
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2027, 1, 11)
NOW = datetime.combine(MONDAY, time(5), tzinfo=BERLIN)
EMPTY = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n"
PLAN = (HERE / "runs_runna.ics").read_bytes()


def athlete_with_runs(base: Path, store_url: str, runs: str) -> tuple[Store, AthleteConfig]:
    config = example_workspace(base)
    with config.open("a", encoding="utf-8") as f:
        f.write(f'\n[athletes.runs]\nics = ["{runs}"]\n')
    entry = load_config(config).athletes[0]
    store = Store.open(store_url, base)
    store.upgrade()
    return store, entry


def training(entry: AthleteConfig) -> dict[str, tuple[str, str]]:
    cal = icalendar.Calendar.from_ical(entry.output_ics.read_bytes())
    return {
        str(e["X-RACECAL-SESSION"]): (str(e["SUMMARY"]), e.start.isoformat())
        for e in cal.walk("VEVENT")
        if "X-RACECAL-SESSION" in e
    }


@pytest.fixture
def from_file(tmp_path: Path, store_url: str) -> tuple[Store, AthleteConfig, Path]:
    shutil.copy(HERE / "runs_runna.ics", tmp_path / "runs.ics")
    store, entry = athlete_with_runs(tmp_path, store_url, "runs.ics")
    return store, entry, tmp_path / "runs.ics"


def test_a_runs_file_that_reads_empty_keeps_the_strength_where_it_is(from_file) -> None:  # type: ignore[no-untyped-def]
    store, entry, runs = from_file
    first = run_pass(store, entry, NOW)
    assert first.error is None
    assert first.created > 0
    before = training(entry)
    runs.write_bytes(EMPTY)  # the app's export truncated, a sync tool's empty copy

    held = run_pass(store, entry, NOW + timedelta(minutes=5))

    assert held.error is None
    assert held.writes == 0
    assert training(entry) == before
    (line,) = held.held
    assert line.startswith(f"runs source {runs} reads empty")
    assert f"racecal sync --once --accept-empty {entry.athlete.id}" in line
    assert line in held.problems
    (row,) = athlete_status(store, [entry.athlete.id], 5)
    assert [h["source"] for h in row["held_sources"]] == [f"runs:{runs}"]  # type: ignore[attr-defined,index]
    # Held still on the next pass (the daemon warns once per change of what is held).
    again = run_pass(store, entry, NOW + timedelta(minutes=6))
    assert again.writes == 0
    assert [h.split(" reads empty")[0] for h in again.held] == [f"runs source {runs}"]

    # A hiccup: the feed comes back and nothing was lost or rewritten.
    runs.write_bytes(PLAN)
    back = run_pass(store, entry, NOW + timedelta(minutes=10))
    assert (back.held, back.writes) == ((), 0)
    assert training(entry) == before


def test_an_emptied_runs_file_is_taken_once_the_athlete_accepts(from_file) -> None:  # type: ignore[no-untyped-def]
    store, entry, runs = from_file
    run_pass(store, entry, NOW)
    before = training(entry)
    runs.write_bytes(EMPTY)
    assert run_pass(store, entry, NOW + timedelta(minutes=5)).held

    assert state.accept_empty(store, entry.athlete.id) == [f"runs:{runs}"]
    taken = run_pass(store, entry, NOW + timedelta(minutes=6))

    assert taken.held == ()
    assert taken.writes > 0  # the lifts are placed anew, with no runs to place around
    assert training(entry) != before
    quiet = run_pass(store, entry, NOW + timedelta(minutes=7))
    assert (quiet.held, quiet.writes) == ((), 0)


class Feed(BaseHTTPRequestHandler):
    body: ClassVar[bytes] = PLAN

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("Content-Length", str(len(Feed.body)))
        self.end_headers()
        self.wfile.write(Feed.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def feed() -> Iterator[str]:
    Feed.body = PLAN
    server = ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/plan.ics"
    finally:
        server.shutdown()
        server.server_close()


def test_a_runs_feed_serving_an_empty_calendar_is_held_too(
    tmp_path: Path, store_url: str, feed: str
) -> None:
    store, entry = athlete_with_runs(tmp_path, store_url, feed)
    assert run_pass(store, entry, NOW).error is None
    before = training(entry)
    Feed.body = EMPTY  # the app's server answers 200 with no events

    held = run_pass(store, entry, NOW + timedelta(minutes=5))

    assert held.writes == 0
    assert training(entry) == before
    (line,) = held.held
    assert line.startswith("runs source http://127.0.0.1/")  # the URL without its secrets
    assert "reads empty" in line
