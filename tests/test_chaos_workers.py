"""The chaos run (issue 14): a roster of Google athletes imported with `racecal athlete import`,
three real `racecal worker` processes on the real PostgreSQL against the local Calendar v3
server (20 ms a request, 2% of requests and batched calls answered 429), random push
notifications noted as changes, one worker SIGKILLed mid-pass (a replacement started) and one
SIGSTOPped past its heartbeat, then woken. At the end, by the database's clock and at the
server: no two committed passes of one athlete overlapped, no athlete was skipped, every
change was synced, each athlete has one Training calendar holding each session once, and the
woken worker's commit was refused.

RACECAL_CHAOS_ATHLETES shrinks the roster for a quick local run (default 2,000).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import icalendar
import pytest
from sqlalchemy import text

from service.daemon.queue import JANITOR_CRON, STALLED_SECONDS
from service.store import rounds, state
from service.store.database import Store
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.google_world import google_body
from tests.queue_support import google_athlete, racecal, rows, wait, workers
from tests.support import ROOT

ROSTER = int(os.environ.get("RACECAL_CHAOS_ATHLETES", "2000"))
PUSHES = 3000
# Spread over this long: the kill and the pause happen while they come in.
PUSH_SECONDS = 60.0
PUSHERS = 4
# How long a phase may take: a first pass costs a worker about 0.2 s of CPU, and CI machines
# are shared.
PHASE_SECONDS = max(300.0, ROSTER * 0.6)
WORKERS, CONCURRENCY = 3, 4
LATENCY_MS, RATE_LIMITED = 20, 0.02
# Past the heartbeat's silence, and the janitor's next tick after that.
PAUSE_SECONDS = STALLED_SECONDS + int(JANITOR_CRON.rsplit("/", 1)[1]) + 3
SCOPES = [
    "https://www.googleapis.com/auth/calendar.events.readonly",
    "https://www.googleapis.com/auth/calendar.app.created",
]
CONFIG = """
[service]
database_url = "{db}"
executor = "procrastinate"
interval_minutes = 600

[google]
api_endpoint = "{url}/"
token_uri = "{url}/token"
# The run is about faults, not pacing: the cluster's budget stays out of the way.
requests_per_minute = 10000000
requests_per_minute_per_user = 100000
"""
CRASH = "Traceback (most recent call last):"


@pytest.fixture
def fake() -> Iterator[FakeGoogleCalendar]:
    with FakeGoogleCalendar(latency_ms=LATENCY_MS) as server:
        yield server


def _athletes(base: Path, fake: FakeGoogleCalendar) -> list[str]:
    """The roster, each its own Google user: the example races and meetings in its primary
    calendar, a token the server refreshes for it, and its [[athletes]] table."""
    ids = [f"a{n:05d}" for n in range(ROSTER)]
    bodies = []
    for name in ("races.ics", "busy.ics"):
        source = icalendar.Calendar.from_ical((ROOT / "examples" / name).read_bytes())
        bodies.extend(google_body(event) for event in source.walk("VEVENT"))
    (base / "tokens").mkdir()
    for athlete_id in ids:
        for body in bodies:
            fake.put_event("primary", body, user=athlete_id)
        token = base / "tokens" / f"{athlete_id}.json"
        token.write_text(
            json.dumps(
                {
                    "refresh_token": f"user:{athlete_id}",
                    "token_uri": f"{fake.url}/token",
                    "client_id": "racecal-test.apps.googleusercontent.com",
                    "client_secret": "not-a-secret",
                    "scopes": SCOPES,
                }
            )
        )
        token.chmod(0o600)
    (base / "athletes.toml").write_text(
        "".join(google_athlete(i, weeks=6, retry_seconds=30) for i in ids)
    )
    return ids


def _run(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        racecal(*args), check=False, capture_output=True, text=True, cwd=cwd, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _in_flight(store: Store, names: dict[str, subprocess.Popen[bytes]]) -> str | None:
    """A worker (of `names`) with a pass under way now."""
    with store.engine.connect() as c:
        busy = c.execute(
            text("SELECT DISTINCT worker FROM worker_passes WHERE ended_at IS NULL")
        ).scalars()
        found = [str(w) for w in busy if str(w) in names]
    return random.choice(found) if found else None


def _pick(store: Store, names: dict[str, subprocess.Popen[bytes]]) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = _in_flight(store, names)
        if found is not None:
            return found
        time.sleep(0.01)
    pytest.fail("no worker had a pass under way")


def _clock(store: Store) -> datetime:
    with store.engine.connect() as c:
        found: datetime = c.execute(text("SELECT clock_timestamp()")).scalar_one()
        return found


def _settled(store: Store, ids: list[str]) -> bool:
    found = rows(store)
    if len(found) < len(ids) or any(found[i][1] < 1 or found[i][0] != found[i][1] for i in ids):
        return False
    with store.engine.connect() as c:
        open_jobs = c.execute(
            text(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'racecal.sync_athlete' "
                "AND status IN ('todo', 'doing')"
            )
        ).scalar_one()
    return int(open_jobs) == 0


def _name(process: subprocess.Popen[bytes]) -> str:
    return f"{os.uname().nodename}:{process.pid}"


def test_chaos_run(tmp_path: Path, pg_url: str, fake: FakeGoogleCalendar) -> None:
    began = time.monotonic()
    figures: dict[str, object] = {"athletes": ROSTER}
    ids = _athletes(tmp_path, fake)
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.format(db=pg_url, url=fake.url))
    _run("db", "upgrade", "--config", str(config), cwd=tmp_path)
    imported = time.monotonic()
    _run("athlete", "import", "athletes.toml", "--config", str(config), cwd=tmp_path)
    figures["import_s"] = round(time.monotonic() - imported, 1)
    _say("imported", began)
    fake.reset_log()
    fake.faults(rate=RATE_LIMITED, kinds=("429",), seed=14)

    logs = [tmp_path / f"worker-{n}.log" for n in range(1, WORKERS + 1)]
    running = {_name(p): p for p in workers(config, logs, CONCURRENCY)}
    store = Store.open(pg_url)
    pushes_done: list[int] = []

    def push(part: int) -> None:
        # Google's notifications, as a node's webhook takes them: a change noted, no more;
        # on a schedule (PUSH_SECONDS for all), from a few threads, as webhooks come in.
        pushes = Store.open(pg_url)
        chosen = random.Random(part)
        start = time.monotonic()
        gap = PUSH_SECONDS * PUSHERS / PUSHES
        try:
            for n in range(PUSHES // PUSHERS):
                time.sleep(max(0.0, start + n * gap - time.monotonic()))
                rounds.note_change(pushes, chosen.choice(ids))
            pushes_done.append(PUSHES // PUSHERS)
        finally:
            pushes.engine.dispose()

    pushers = [threading.Thread(target=push, args=(n,), daemon=True) for n in range(PUSHERS)]
    for pusher in pushers:
        pusher.start()
    try:
        # One worker SIGKILLed mid-pass; a replacement takes its place.
        wait("a tenth of the roster synced", lambda: _synced(store) >= ROSTER // 10, PHASE_SECONDS)
        killed = _pick(store, running)
        running.pop(killed).kill()
        _say(f"killed {killed}", began)
        logs.append(tmp_path / f"worker-{len(logs) + 1}.log")
        running.update({_name(p): p for p in workers(config, logs[-1:], CONCURRENCY)})
        # One SIGSTOPped past its heartbeat, its jobs retried elsewhere, then woken.
        wait("a third of the roster synced", lambda: _synced(store) >= ROSTER // 3, PHASE_SECONDS)
        paused = _pick(store, running)
        running[paused].send_signal(signal.SIGSTOP)
        stopped_at = _clock(store)
        held = _under_way(store, paused)
        figures["paused_passes"] = len(held)
        time.sleep(PAUSE_SECONDS)
        # Woken once every pass it held was begun again elsewhere (the janitor's retry may
        # wait for a free slot under load). One paused inside a transaction holds its rows
        # until it wakes, so the wait is bounded: at least one must have been begun again.
        deadline = time.monotonic() + PHASE_SECONDS / 2
        while time.monotonic() < deadline and not held <= _begun_again(store, stopped_at):
            time.sleep(0.2)
        woken_at = _clock(store)  # still asleep: what it ends, it ends after this
        running[paused].send_signal(signal.SIGCONT)
        _say(f"paused {paused} with {len(held)} pass(es), woken", began)
        for pusher in pushers:
            pusher.join(PUSH_SECONDS * 5)
        assert sum(pushes_done) == PUSHES, "the notifications were not all noted"
        _say("notifications noted", began)
        wait("every change synced", lambda: _settled(store, ids), PHASE_SECONDS * 2)
        _say("every change synced", began)
        figures["run_s"] = round(time.monotonic() - imported, 1)
    finally:
        for process in running.values():
            process.send_signal(signal.SIGCONT)
            process.send_signal(signal.SIGTERM)
        for process in running.values():
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    figures |= {
        "requests": len(fake.log),
        "calls_in_batches": len(fake.batch_log),
        "429s": fake.injected["429"],
    }

    with store.engine.connect() as c:
        passes = c.execute(
            text("SELECT athlete_id, worker, started_at, ended_at, committed FROM worker_passes")
        ).all()
    # No two committed passes of one athlete overlapped (the database's clock).
    committed: dict[str, list[tuple[datetime, datetime]]] = {}
    for athlete_id, _, started, ended, ok in passes:
        if ok:
            committed.setdefault(athlete_id, []).append((started, ended))
    for athlete_id, own in committed.items():
        own.sort()
        for (_, ended), (started, _) in itertools.pairwise(own):
            assert ended <= started, f"{athlete_id}: two committed passes overlapped"
    # No athlete skipped; every change synced.
    assert set(committed) == set(ids)
    final = rows(store)
    assert all(final[i][0] == final[i][1] >= 1 for i in ids)
    # The killed worker's pass never ended; the woken worker's pass under way when it was
    # paused ended without committing (its sync row had moved on).
    assert any(w == killed and ended is None for _, w, _, ended, _ in passes)
    again = {p[0] for p in passes if p[1] != paused and stopped_at < p[2] < woken_at}
    woken = [
        p
        for p in passes
        if p[1] == paused and p[2] < stopped_at and (p[3] is None or p[3] > stopped_at)
    ]
    assert {p[0] for p in woken} == held
    assert all(p[3] is not None and p[3] > woken_at for p in woken), woken
    refused = [p for p in woken if p[0] in again]
    assert refused, "no pass of the paused worker was run again while it slept"
    assert not any(p[4] for p in refused), "a pass of the woken worker committed"
    figures["refused"] = len(refused)
    said = {log.name: log.read_text() for log in logs}
    assert any("its worker went silent; the pass runs again" in t for t in said.values())
    figures["stale_warnings"] = sum(t.count("on a stale sync row") for t in said.values())
    figures["passes"] = len(passes)
    figures["committed"] = sum(1 for p in passes if p[4])
    # At the server: one Training calendar each, the one the store remembers, every session
    # once.
    for athlete_id in ids:
        calendars = [c for c, t in fake.calendars(athlete_id).items() if t == "Training"]
        assert len(calendars) == 1, f"{athlete_id}: {len(calendars)} Training calendars"
        assert state.recall_locator(store, athlete_id, "training") == calendars[0]
        events = fake.events(calendars[0], user=athlete_id)
        keys = Counter(e["extendedProperties"]["private"]["racecal_session"] for e in events)
        assert len(keys) > 10, athlete_id
        assert keys.most_common(1)[0][1] == 1, f"{athlete_id}: a session twice"
    store.engine.dispose()
    figures["total_s"] = round(time.monotonic() - began, 1)
    print("chaos figures:", figures)  # the run's figures, for the report
    # A pass that crashed is a defect, unless the database refused the connection (a server
    # shared with other suites runs out of connection slots): that pass failed and was run again.
    crashes = [c.split("\n20", 1)[0] for t in said.values() for c in t.split(" pass crashed\n")[1:]]
    refused_store = [c for c in crashes if c.startswith(CRASH) and "too many clients" in c]
    figures["crashed_store_full"] = len(refused_store)
    defects = [c[:3000] for c in crashes if c not in refused_store]
    assert not defects, defects[0]


def _under_way(store: Store, worker: str) -> set[str]:
    with store.engine.connect() as c:
        found = c.execute(
            text("SELECT athlete_id FROM worker_passes WHERE worker = :w AND ended_at IS NULL"),
            {"w": worker},
        ).scalars()
        return {str(a) for a in found}


def _begun_again(store: Store, since: datetime) -> set[str]:
    with store.engine.connect() as c:
        found = c.execute(
            text("SELECT DISTINCT athlete_id FROM worker_passes WHERE started_at > :since"),
            {"since": since},
        ).scalars()
        return {str(a) for a in found}


def _say(what: str, began: float) -> None:
    print(f"chaos {time.monotonic() - began:6.1f} s: {what}")  # progress, with -s


def _synced(store: Store) -> int:
    with store.engine.connect() as c:
        return int(
            c.execute(text("SELECT count(*) FROM sync_rows WHERE synced_seq >= 1")).scalar_one()
        )
