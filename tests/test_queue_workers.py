"""The procrastinate executor against the real PostgreSQL: the round in racecal's tables
(service.store.rounds), and two real `racecal worker` processes syncing a handful of .ics
athletes, each pass timed by the database's clock."""

from __future__ import annotations

import http.server
import itertools
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from service.store import athletes, quota, rounds
from service.store.database import Store
from tests.queue_support import racecal, rows, wait
from tests.queue_support import workers as start_workers
from tests.support import ROOT, ics_athlete

# The defaults of [google] requests_per_minute and requests_per_minute_per_user.
GOOGLE = quota.Budget(10_000, 600)

IDS = ("ana", "ben", "cleo", "dev", "eli")
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(pg_url: str) -> Iterator[Store]:
    opened = Store.open(pg_url)
    opened.upgrade()
    yield opened
    opened.engine.dispose()


def _athlete(store: Store, athlete_id: str) -> None:
    athletes.put(store, athlete_id, {"id": athlete_id}, "cli", "/", NOW)


def test_a_pass_that_read_a_stale_version_commits_nothing(store: Store) -> None:
    _athlete(store, "ana")
    stale = rounds.begin(store, "ana", "paused-worker")
    fresh = rounds.begin(store, "ana", "other-worker")
    assert stale.version < fresh.version  # the later pass took the lease
    assert rounds.commit(store, fresh) is True
    rounds.note_change(store, "ana")
    assert rounds.commit(store, stale) is False
    with store.engine.connect() as c:
        row = c.execute(text("SELECT version, synced_seq FROM sync_rows")).one()
        passes = c.execute(text("SELECT worker, committed FROM worker_passes ORDER BY id")).all()
        due = c.execute(text("SELECT next_due_at - now() FROM sync_rows")).scalar_one()
    assert tuple(row) == (fresh.version + 1, fresh.change_seq)
    assert due.total_seconds() <= rounds.RETRY_SECONDS  # the change left over comes due soon
    assert [tuple(p) for p in passes] == [("paused-worker", False), ("other-worker", True)]


def test_the_dispatcher_defers_what_is_due_once_and_a_change_again(store: Store) -> None:
    for athlete_id in ("ana", "ben"):
        _athlete(store, athlete_id)
    assert sorted(rounds.dispatch(store, 3600, 10, GOOGLE)) == [("ana", 1, 0), ("ben", 1, 0)]
    assert rounds.dispatch(store, 3600, 10, GOOGLE) == []  # dispatched, not due again for an hour
    rounds.note_change(store, "ben")
    rounds.note_change(store, "ben")  # two changes before a tick: one job
    assert rounds.dispatch(store, 3600, 10, GOOGLE) == [("ben", 3, 0)]
    athletes.remove(store, "ben", NOW)
    rounds.note_change(store, "ben")
    assert rounds.dispatch(store, 3600, 10, GOOGLE) == []  # removed: no pass
    athletes.put(store, "ana", {"id": "ana", "weekly_km": 30}, "cli", "/", NOW)
    assert rounds.dispatch(store, 0, 10, GOOGLE) == [("ana", 2, 0)]  # an edit makes it due
    assert rounds.dispatch(store, 3600, 10, GOOGLE) == [
        ("ana", 3, 0)
    ]  # due by time: a change of its own


def _config(tmp_path: Path, pg_url: str) -> Path:
    for athlete_id in IDS:
        shutil.copy(ROOT / "examples" / "races.ics", tmp_path / f"races-{athlete_id}.ics")
    body = (
        f'[service]\ndatabase_url = "{pg_url}"\nexecutor = "procrastinate"\n'
        "interval_minutes = 60\n" + "".join(ics_athlete(i, f"races-{i}.ics") for i in IDS)
    )
    path = tmp_path / "config.toml"
    path.write_text(body)
    return path


def test_two_workers_give_every_athlete_its_passes_one_at_a_time(
    tmp_path: Path, pg_url: str
) -> None:
    config = _config(tmp_path, pg_url)
    for _ in range(2):  # applying procrastinate's schema twice is harmless
        upgraded = subprocess.run(
            racecal("db", "upgrade", "--config", str(config)),
            check=False,
            capture_output=True,
            text=True,
        )
        assert upgraded.returncode == 0, upgraded.stderr
    assert "procrastinate's schema in place" in upgraded.stdout
    logs = [tmp_path / f"worker-{n}.log" for n in (1, 2)]
    workers = start_workers(config, logs, concurrency=2)
    store = Store.open(pg_url)
    try:
        wait(
            "every athlete's first pass",
            lambda: len(rows(store)) == len(IDS) and all(s >= 1 for _, s in rows(store).values()),
        )
        for athlete_id in IDS:  # changes while passes may run: follow-ups, merged
            for _ in range(3):
                rounds.note_change(store, athlete_id)
                time.sleep(0.05)
        wait(
            "every change synced",
            lambda: all(c == s for c, s in rows(store).values()),
        )
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    said = "\n".join(log.read_text() for log in logs)
    assert "Traceback" not in said, said
    for athlete_id in IDS:
        training = (tmp_path / "var" / f"{athlete_id}.ics").read_text()
        assert training.count("BEGIN:VEVENT") > 10, athlete_id
    with store.engine.connect() as c:
        passes = c.execute(
            text("SELECT athlete_id, started_at, ended_at, committed FROM worker_passes")
        ).all()
    store.engine.dispose()
    assert {p[0] for p in passes} == set(IDS)
    assert all(p[2] is not None and p[3] is True for p in passes), passes
    for athlete_id in IDS:
        own = sorted((p[1], p[2]) for p in passes if p[0] == athlete_id)
        assert len(own) >= 2, athlete_id  # the first pass and at least one follow-up
        for (_, ended), (started, _) in itertools.pairwise(own):
            assert ended <= started, f"{athlete_id}: two passes overlapped"


class _HeldRaces(http.server.BaseHTTPRequestHandler):
    """The example races over HTTP; the first request is held until `release` is set, so a
    pass is under way for as long as the test needs."""

    body = (ROOT / "examples" / "races.ics").read_bytes()
    release = threading.Event()
    asked = threading.Event()

    def do_GET(self) -> None:
        if not _HeldRaces.asked.is_set():
            _HeldRaces.asked.set()
            _HeldRaces.release.wait(30)
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_: object) -> None:
        pass


def test_a_worker_killed_mid_pass_leaves_its_athlete_to_the_other(
    tmp_path: Path, pg_url: str
) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HeldRaces)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/races.ics"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[service]\ndatabase_url = "{pg_url}"\nexecutor = "procrastinate"\n'
        "interval_minutes = 60\n" + ics_athlete("ana", url)
    )
    logs = [tmp_path / f"worker-{n}.log" for n in (1, 2)]
    workers = {process.pid: process for process in start_workers(config, logs, concurrency=1)}
    store = Store.open(pg_url)
    try:
        assert _HeldRaces.asked.wait(40), "no pass asked for the races"
        with store.engine.connect() as c:
            worker = c.execute(text("SELECT worker FROM worker_passes")).scalar_one()
        killed = workers.pop(int(str(worker).rsplit(":", 1)[1]))
        killed.kill()
        killed.wait()
        _HeldRaces.release.set()
        wait("the pass run again by the other worker", lambda: rows(store)["ana"][1] >= 1)
    finally:
        server.shutdown()
        for process in workers.values():
            process.send_signal(signal.SIGTERM)
            process.wait(30)
    with store.engine.connect() as c:
        passes = c.execute(
            text("SELECT worker, started_at, ended_at, committed FROM worker_passes ORDER BY id")
        ).all()
    store.engine.dispose()
    (dead, dead_start, dead_end, _), (alive, alive_start, _, alive_committed) = passes
    assert dead == worker
    assert dead_end is None  # killed: it never ended
    assert alive != worker
    assert alive_start > dead_start
    assert alive_committed is True
    assert (tmp_path / "var" / "ana.ics").read_text().count("BEGIN:VEVENT") > 10
    said = "\n".join(log.read_text() for log in logs)
    assert "its worker went silent; the pass runs again" in said
