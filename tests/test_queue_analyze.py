"""After a dispatch tick that deferred many jobs, procrastinate's table is analyzed (its
queries planned for what it holds now), once a minute at most across the cluster; checked in
the real PostgreSQL's own statistics."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from service.config.load import load_config
from service.daemon import queue
from service.store import athletes, rounds
from service.store.database import Store
from tests.support import ROOT, ics_athlete

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _analyzed(store: Store) -> int:
    with store.engine.connect() as c:
        return int(
            c.execute(
                text(
                    "SELECT analyze_count FROM pg_stat_user_tables "
                    "WHERE relid = to_regclass('procrastinate_jobs')"
                )
            ).scalar_one()
        )


def test_a_large_tick_analyzes_the_jobs_table_once_a_minute(tmp_path: Path, pg_url: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[service]\ndatabase_url = "{pg_url}"\nexecutor = "procrastinate"\n'
        + ics_athlete("ana", str(ROOT / "examples" / "races.ics"))
    )
    store = Store.open(pg_url)
    store.upgrade()
    queue.apply_schema(store.engine)
    worker = queue.Worker(load_config(path, env={}), store, 3600)
    app = queue.make_app(worker)
    tick = app.tasks["racecal.dispatch"].func

    def dispatch() -> None:
        async def run() -> None:
            async with app.open_async():
                await tick(timestamp=0)

        asyncio.run(run())

    try:
        for n in range(150):
            athletes.put(store, f"a{n:03}", {"id": f"a{n:03}"}, "cli", "/", NOW)
        dispatch()  # 150 jobs: not many
        assert _analyzed(store) == 0
        for n in range(150, 400):
            athletes.put(store, f"a{n:03}", {"id": f"a{n:03}"}, "cli", "/", NOW)
        dispatch()  # 250
        assert _analyzed(store) == 1
        with store.engine.connect() as c:
            jobs = c.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar_one()
            planned = c.execute(
                text("SELECT reltuples FROM pg_class WHERE oid = to_regclass('procrastinate_jobs')")
            ).scalar_one()
        assert jobs == planned == 400  # the planner knows what the table holds
        for n in range(400):
            rounds.note_change(store, f"a{n:03}")
        dispatch()  # 400 more within the minute: not again
        assert _analyzed(store) == 1
        assert rounds.analyze_jobs(store, 0.0) is True  # once the period is over, again
        assert _analyzed(store) == 2
    finally:
        worker.close()
        store.engine.dispose()
