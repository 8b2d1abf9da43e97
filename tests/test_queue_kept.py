"""A worker keeps the calendars of its most recently passed athletes only: more athletes than
its bound leave it at the bound, the ones it drops closed, and never under a pass that is
still using them (real threads, the real PostgreSQL, races held over a local HTTP server)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.calendars import AthleteCalendars
from service.config.load import load_config
from service.daemon import queue
from service.store import athletes, rounds
from service.store.database import Store
from tests.support import ROOT

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
RACES = (ROOT / "examples" / "races.ics").read_bytes()


class _Held(http.server.BaseHTTPRequestHandler):
    """The example races; every request waits until `release` is set."""

    release = threading.Event()
    asked = threading.Event()

    def do_GET(self) -> None:
        _Held.asked.set()
        _Held.release.wait(30)
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("Content-Length", str(len(RACES)))
        self.end_headers()
        self.wfile.write(RACES)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def held_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Held)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/races.ics"
    _Held.release.set()
    server.shutdown()


def _athlete(store: Store, athlete_id: str, races: str, base: Path) -> None:
    settings = {
        "id": athlete_id,
        "timezone": "Europe/Berlin",
        "run_days": ["mon", "wed", "fri", "sun"],
        "long_run_day": "sun",
        "races": {"ics": [races]},
        "output": {"ics": str(base / "var" / f"{athlete_id}.ics")},
    }
    athletes.put(store, athlete_id, settings, "cli", str(base), NOW)


def test_the_worker_keeps_a_bounded_lru_and_never_closes_calendars_in_use(
    tmp_path: Path, pg_url: str, held_url: str
) -> None:
    (tmp_path / "races.ics").write_bytes(RACES)
    path = tmp_path / "config.toml"
    path.write_text(f'[service]\ndatabase_url = "{pg_url}"\nexecutor = "procrastinate"\n')
    store = Store.open(pg_url)
    store.upgrade()
    worker = queue.Worker(load_config(path, env={}), store, 3600, calendars_kept=2)
    try:
        _athlete(store, "held", held_url, tmp_path)
        others = ["b", "c", "d", "e"]
        for athlete_id in others:
            _athlete(store, athlete_id, str(tmp_path / "races.ics"), tmp_path)
        seq = rounds.note_change(store, "held")
        passing = threading.Thread(target=worker.sync, args=("held", seq))
        passing.start()
        assert _Held.asked.wait(30), "the held athlete's pass never asked for its races"
        held = worker.kept.peek("held")
        assert held is not None
        seen: dict[str, AthleteCalendars] = {}
        for athlete_id in others:
            worker.sync(athlete_id, rounds.note_change(store, athlete_id))
            kept = worker.kept.peek(athlete_id)
            assert kept is not None
            seen[athlete_id] = kept
            assert len(worker.kept) <= 2
        assert len(worker.kept) == 2
        assert worker.kept.peek("held") is None  # dropped, least recently used
        assert held.closes == 0  # but its pass still uses it
        assert [seen[a].closes for a in others] == [1, 1, 0, 0]
        assert worker.kept.peek("d") is seen["d"]
        assert worker.kept.peek("e") is seen["e"]
        _Held.release.set()
        passing.join(30)
        assert not passing.is_alive()
        assert held.closes == 1  # closed once its pass gave it back
        assert rounds.synced(store, "held") >= seq  # the pass committed, undisturbed
        written = (tmp_path / "var" / "held.ics").read_text()
        assert written.count("BEGIN:VEVENT") > 10
        # Passed again, the athlete's calendars are made anew; the least recent dropped.
        worker.sync("held", rounds.note_change(store, "held"))
        again = worker.kept.peek("held")
        assert again is not None
        assert again is not held
        assert again.closes == 0
        assert seen["d"].closes == 1
    finally:
        _Held.release.set()
        worker.close()
        store.engine.dispose()
    assert again.closes == 1
    assert seen["e"].closes == 1
