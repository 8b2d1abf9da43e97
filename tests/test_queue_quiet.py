"""What a quiet pass costs the store: a second pass of an .ics athlete through a worker, with
nothing changed, counted statement by statement on the real PostgreSQL (SQLAlchemy's own
hooks: every statement racecal sends)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text

from service.config.load import load_config
from service.daemon import queue
from service.store import athletes, locks, rounds
from service.store.database import Store
from service.sync.result import PassResult
from tests.support import ROOT

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def worker(tmp_path: Path, pg_url: str) -> Iterator[queue.Worker]:
    (tmp_path / "races.ics").write_bytes((ROOT / "examples" / "races.ics").read_bytes())
    path = tmp_path / "config.toml"
    path.write_text(f'[service]\ndatabase_url = "{pg_url}"\nexecutor = "procrastinate"\n')
    store = Store.open(pg_url)
    store.upgrade()
    settings = {
        "id": "ana",
        "timezone": "Europe/Berlin",
        "run_days": ["mon", "wed", "fri", "sun"],
        "long_run_day": "sun",
        "races": {"ics": [str(tmp_path / "races.ics")]},
        "output": {"ics": str(tmp_path / "var" / "ana.ics")},
    }
    athletes.put(store, "ana", settings, "cli", str(tmp_path), NOW)
    made = queue.Worker(load_config(path, env={}), store, 3600)
    yield made
    made.close()
    store.engine.dispose()


def _statements(worker: queue.Worker, seq: int) -> list[str]:
    sent: list[str] = []

    def counted(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(" ".join(statement.split())[:70])

    event.listen(Engine, "before_cursor_execute", counted)
    try:
        worker.sync("ana", seq)
    finally:
        event.remove(Engine, "before_cursor_execute", counted)
    return sent


def test_a_quiet_pass_sends_few_statements(worker: queue.Worker) -> None:
    store = worker.store
    for _ in range(3):
        first = rounds.note_change(store, "ana")
        worker.sync("ana", first)
    seq = rounds.note_change(store, "ana")
    told: list[PassResult] = []
    worker.on_pass = told.append
    sent = _statements(worker, seq)
    assert rounds.synced(store, "ana") == seq  # the quiet pass committed
    [result] = told
    assert result.quiet
    assert result.error is None
    # The athlete's row; begin (the synced_seq read with it); the store lock (let go with its
    # transaction); the quiet key; the run recorded with the re-auth flag; the fenced commit.
    # Nothing of the Google quota: the pass sent Google nothing and its job held nothing.
    assert len(sent) == 6, sent


def test_a_quiet_pass_still_clears_a_refused_login_and_a_covered_job_begins_nothing(
    worker: queue.Worker,
) -> None:
    store = worker.store
    for _ in range(3):
        worker.sync("ana", rounds.note_change(store, "ana"))
    with store.engine.begin() as c:
        c.execute(text("UPDATE athletes SET needs_reauth = true"))
    seq = rounds.note_change(store, "ana")
    told: list[PassResult] = []
    worker.on_pass = told.append
    worker.sync("ana", seq)
    assert [r.quiet for r in told] == [True]
    with store.engine.connect() as c:
        assert c.execute(text("SELECT needs_reauth FROM athletes")).scalar_one() is False
        before = c.execute(text("SELECT version FROM sync_rows")).scalar_one()
        passes = c.execute(text("SELECT count(*) FROM worker_passes")).scalar_one()
    worker.sync("ana", seq)  # a job for a change a pass covered since
    assert len(told) == 1
    with store.engine.connect() as c:
        assert c.execute(text("SELECT version FROM sync_rows")).scalar_one() == before
        assert c.execute(text("SELECT count(*) FROM worker_passes")).scalar_one() == passes


def test_the_store_lock_excludes_another_pass_and_lets_go_at_its_end(pg_url: str) -> None:
    store = Store.open(pg_url)
    # An older racecal takes the same key as a session lock.
    key = int.from_bytes(hashlib.sha256(b"racecal:athlete-ana").digest()[:8], signed=True)
    try:
        with locks.lock(store.engine, "athlete-ana", 0) as held:
            assert held
            with locks.lock(store.engine, "athlete-ana", 0.1) as other:
                assert not other
            with store.engine.connect() as c:
                session = c.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})
                assert session.scalar_one() is False
        with locks.lock(store.engine, "athlete-ana", 0) as again:
            assert again
        with store.engine.connect() as c:
            held_now = c.execute(
                text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                    "WHERE l.locktype = 'advisory' AND d.datname = current_database()"
                )
            )
            assert held_now.scalar_one() == 0
    finally:
        store.engine.dispose()
