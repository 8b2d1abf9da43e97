"""A job that crashes before its pass begins (here: a stored athlete whose settings do not
parse; in the field, the store refusing a connection) leaves its athlete due again soon, as a
failed pass does, instead of at its next poll; against the real PostgreSQL."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from service.config.load import load_config
from service.daemon import queue
from service.store import athletes, quota, rounds
from service.store.database import Store
from tests.radicale_server import free_port

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_a_job_that_crashed_before_its_pass_comes_due_again_soon(
    tmp_path: Path, pg_url: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[service]\ndatabase_url = "{pg_url}"\nexecutor = "procrastinate"\n')
    store = Store.open(pg_url)
    store.upgrade()
    worker = queue.Worker(load_config(path, env={}), store, 3600)
    try:
        athletes.put(store, "ana", {"id": "ana"}, "cli", "/", NOW)
        [(athlete_id, seq, held)] = rounds.dispatch(store, 3600, 10, quota.Budget(10_000, 600))
        with store.engine.begin() as c:
            c.execute(text("UPDATE athletes SET settings = '{' WHERE id = 'ana'"))
        worker.sync(athlete_id, seq, held)
        with store.engine.connect() as c:
            due = c.execute(text("SELECT next_due_at - now() FROM sync_rows")).scalar_one()
            began = c.execute(text("SELECT count(*) FROM worker_passes")).scalar_one()
        assert began == 0  # it crashed before the pass began
        assert due.total_seconds() <= rounds.RETRY_SECONDS  # not an hour
    finally:
        worker.close()
        store.engine.dispose()


def test_a_store_out_of_reach_is_one_line_not_a_crash(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The database gone (restarted, the network cut, its connections all taken) is trouble
    of the moment: the worker says so in one line and goes on; no traceback."""
    path = tmp_path / "config.toml"
    # A port nothing listens on: every connection is refused at once.
    gone = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/racecal"
    path.write_text(f'[service]\ndatabase_url = "{gone}"\nexecutor = "procrastinate"\n')
    store = Store.open(gone)
    worker = queue.Worker(load_config(path, env={}), store, 3600)
    try:
        with caplog.at_level(logging.DEBUG, logger="racecal"):
            worker.sync("ana", 1)
    finally:
        worker.close()
    said = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("the store cannot be reached (OperationalError" in r.getMessage() for r in said)
    assert all(r.exc_info is None for r in said), [r.getMessage() for r in said]
    assert not any("crashed" in r.getMessage() for r in caplog.records)
