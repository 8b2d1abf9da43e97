"""A job that crashes before its pass begins (here: a stored athlete whose settings do not
parse; in the field, the store refusing a connection) leaves its athlete due again soon, as a
failed pass does, instead of at its next poll; against the real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from service.config.load import load_config
from service.daemon import queue
from service.store import athletes, quota, rounds
from service.store.database import Store

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
